"""The ``import`` subcommand: ``python -m geo import FILE --store PATH [--on-error skip] [--report R]``.

Imports a list of commercial units (:func:`geo.register.io.import_file`); the
validation report goes to stdout (stderr when rejected) and, with ``--report``,
into a CSV, JSON or text file.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from geo.cli._common import Subparsers, add_store_arg, audit, command, parse_date_arg
from geo.cli.geocode import add_geocode_args, geocoder_from_args
from geo.errors import ImportRejected


def add_cli(subparsers: Subparsers) -> argparse.ArgumentParser:
    """Add the ``import`` subcommand to the command line.

    Parameters
    ----------
    subparsers
        The object returned by :meth:`argparse.ArgumentParser.add_subparsers`.

    Returns
    -------
    argparse.ArgumentParser
        The parser of the subcommand.
    """
    p = subparsers.add_parser("import", help="Liste von Gewerbeeinheiten importieren")
    p.add_argument(
        "file", type=Path, metavar="DATEI", help="CSV, XLSX, GeoJSON, GeoPackage oder Shapefile-ZIP"
    )
    add_store_arg(p, write=True)
    p.add_argument(
        "--as-of", type=parse_date_arg, default=None, metavar="DATUM", help="Datum für Zeilen ohne Datum"
    )
    p.add_argument(
        "--on-error",
        choices=("reject", "skip"),
        default="reject",
        help="reject: bei Fehlern nichts importieren (Vorgabe); skip: gute Zeilen übernehmen",
    )
    p.add_argument(
        "--report", type=Path, default=None, metavar="DATEI", help="Prüfbericht als CSV/JSON/TXT schreiben"
    )
    add_geocode_args(p)
    return p


@command
def run_cli(args: argparse.Namespace) -> int:
    """Run the ``import`` subcommand.

    ``args.store`` is named by ``--store`` or ``QM_STORE`` (see
    :func:`geo.cli._common.resolve_store`); it is created when missing.

    An accepted import is recorded in the register's audit trail (file name and counts).

    Returns
    -------
    int
        0 on success, 2 when the import was rejected or the input is bad (the store unchanged).
    """
    from geo.access.accounts import AuditAction
    from geo.register.io import import_file
    from geo.register.store import open_store

    try:
        report = import_file(
            args.file,
            store=args.store,
            as_of=args.as_of,
            on_error=args.on_error,
            geocoder=geocoder_from_args(args),
        )
    except ImportRejected as exc:
        _write_report(exc.report, args.report)
        sys.stderr.write(exc.report.to_text() + "\n")
        sys.stderr.write(str(exc) + "\n")
        return 2
    audit(
        open_store(args.store), AuditAction.IMPORT,
        f"{args.file.name}: {report.rows_read} Zeilen gelesen, {report.units_added} Einheiten neu, "
        f"{report.units_updated} geändert, {report.observations_added} Beobachtungen, "
        f"{report.rows_rejected} Zeilen abgewiesen",
    )
    _write_report(report, args.report)
    print(report.to_text())
    return 0


def _write_report(report: Any, path: Path | None) -> None:
    """Write the validation report as JSON, CSV (cells safe for Excel) or text, by ``path``'s suffix."""
    from geo._files import write_bytes, write_csv

    if path is None:
        return
    suffix = path.suffix.lower()
    if suffix == ".json":
        text = json.dumps(report.to_dict(), ensure_ascii=False, indent=2, default=str)
        write_bytes(path, text.encode("utf-8"))
    elif suffix == ".csv":
        write_csv(report.to_frame(), path)
    else:
        write_bytes(path, (report.to_text() + "\n").encode("utf-8"))
