"""The ``export`` subcommand: ``python -m geo export --out FILE [--internal] [--at DATE] [--headers de|en]``.

Exports the units with their status on a reference day
(:func:`geo.register.io.export_units`); public version unless ``--internal``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from geo.cli._common import Subparsers, add_store_arg, audit, command, parse_date_arg


def add_cli(subparsers: Subparsers) -> argparse.ArgumentParser:
    """Add the ``export`` subcommand to the command line.

    Parameters
    ----------
    subparsers
        The object returned by :meth:`argparse.ArgumentParser.add_subparsers`.

    Returns
    -------
    argparse.ArgumentParser
        The parser of the subcommand.
    """
    p = subparsers.add_parser("export", help="Einheiten mit Status zum Stichtag exportieren")
    add_store_arg(p)
    p.add_argument(
        "--format",
        choices=("gpkg", "geojson", "csv", "xlsx"),
        default=None,
        help="Vorgabe: aus der Dateiendung von --out",
    )
    p.add_argument("--out", type=Path, required=True, metavar="DATEI", help="Zieldatei")
    p.add_argument(
        "--internal",
        action="store_true",
        help="interne Fassung mit personenbezogenen Daten (Dateiname erhält -intern); "
        "ohne: öffentliche Fassung",
    )
    p.add_argument(
        "--public", action="store_true", help="öffentliche Fassung (Vorgabe; nur zur Kompatibilität)"
    )
    p.add_argument(
        "--at", type=parse_date_arg, default=None, metavar="DATUM", help="Stichtag (Vorgabe: heute)"
    )
    p.add_argument(
        "--headers",
        choices=("de", "en"),
        default="de",
        help="Spaltennamen in CSV und XLSX: de deutsch (Vorgabe, lässt sich wieder importieren), "
        "en Feldnamen des Registers; GeoPackage und GeoJSON behalten die Feldnamen",
    )
    return p


@command
def run_cli(args: argparse.Namespace) -> int:
    """Run the ``export`` subcommand.

    ``--internal`` (personal data) is recorded in the register's audit trail first: no internal
    export without its line there (a register that cannot take it refuses the export).

    Returns
    -------
    int
        0 on success, 2 on bad input (one German message on stderr, nothing written).
    """
    from geo.access.accounts import AuditAction
    from geo.errors import InputError
    from geo.register.io import export_format, export_units
    from geo.register.store import open_store

    if args.internal and args.public:
        raise InputError(
            "--internal und --public widersprechen sich: eines weglassen (Vorgabe: öffentlich)."
        )
    fmt = export_format(args.out, args.format)  # a wrong suffix fails before the store is read
    store = open_store(args.store)
    register = store.read()
    if args.internal:
        at = "heute" if args.at is None else args.at.isoformat()
        detail = f"{args.out.name} ({fmt}): {len(register.units)} Einheiten, Stichtag {at}"
        audit(store, AuditAction.EXPORT_PERSONAL, detail)
    out = export_units(
        register, args.out, fmt=fmt, at=args.at, internal=args.internal, headers=args.headers  # type: ignore[arg-type]
    )
    version = "intern, mit personenbezogenen Daten" if args.internal else "öffentlich"
    print(f"{len(register.units)} Einheiten exportiert nach {out} ({version})")
    return 0
