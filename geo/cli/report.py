"""The ``report`` subcommand: ``python -m geo report`` (the period report as PDF, optionally XLSX).

``python -m geo report --store PATH --quarter NAME --from DATE --to DATE
[--internal] --out report.pdf`` (or ``--period 2025H1``); see :mod:`geo.outputs.report`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from geo._files import internal_path
from geo.cli._common import Subparsers, add_store_arg, audit, command, parse_date_arg
from geo.errors import InputError
from geo.outputs import staticmaps as SM
from geo.outputs.report import Period, build_report, load_osm_buildings, parse_period, period_figures_xlsx


def add_cli(subparsers: Subparsers) -> argparse.ArgumentParser:
    """Add the ``report`` subcommand to the command line.

    Parameters
    ----------
    subparsers
        The object returned by :meth:`argparse.ArgumentParser.add_subparsers`.

    Returns
    -------
    argparse.ArgumentParser
        The parser of the subcommand.
    """
    p = subparsers.add_parser(
        "report",
        help="Zeitraumbericht als PDF (A4, deutsch) für Beirat und Stadt",
        description="Bericht für ein Quartier (oder zwei nebeneinander) und einen Zeitraum: Kennzahlen mit Vergleich "
        "zur Vorperiode, Karten, Diagramme, Tabellen, Methodik. Zeitraum mit --period (2025, 2025H1, 2025Q3, 2025-06) "
        "oder --from/--to.",
    )
    add_store_arg(p)
    p.add_argument(
        "--quarter",
        action="append",
        default=None,
        metavar="NAME",
        help="Quartier (Name oder Kürzel); zweimal angeben für zwei Quartiere nebeneinander; ohne: alle Einheiten",
    )
    p.add_argument("--period", default=None, help="Zeitraum: 2025, 2025H1, 2025Q3 oder 2025-06")
    p.add_argument(
        "--from", dest="start", type=parse_date_arg, default=None, metavar="DATUM", help="erster Tag des Zeitraums"
    )
    p.add_argument(
        "--to", dest="end", type=parse_date_arg, default=None, metavar="DATUM", help="letzter Tag des Zeitraums"
    )
    p.add_argument(
        "--internal",
        action="store_true",
        help="interne Fassung mit Eigentümern und Kontakten (Dateinamen erhalten -intern); ohne: öffentliche Fassung",
    )
    p.add_argument("--public", action="store_true", help="öffentliche Fassung (Vorgabe; nur zur Kompatibilität)")
    p.add_argument(
        "--unit-level",
        action="store_true",
        help="öffentliche Fassung: Leerstand trotzdem je Einheit zeigen (sonst je Straßenabschnitt)",
    )
    p.add_argument(
        "--osm-buildings",
        type=Path,
        default=None,
        metavar="ORDNER",
        help="Ordner mit OSM-Gebäude-Schnappschüssen (*-buildings.geojson) für den Gebäudebestand",
    )
    p.add_argument(
        "--streets",
        type=Path,
        default=None,
        metavar="DATEI",
        help="Straßennetz für die Karten (OSM-XML, GraphML, GeoJSON/GeoPackage mit Linien)",
    )
    p.add_argument(
        "--xlsx", type=Path, default=None, metavar="DATEI", help="zusätzlich die Kennzahlen als XLSX"
    )
    p.add_argument("--out", type=Path, required=True, metavar="DATEI", help="Ziel-PDF")
    return p


@command
def run_cli(args: argparse.Namespace) -> int:
    """Run the ``report`` subcommand.

    Returns
    -------
    int
        0 on success, 2 on bad input (one German message on stderr).
    """
    from geo.register.store import open_store

    if args.internal and args.public:
        raise InputError("--internal und --public widersprechen sich: eines weglassen (Vorgabe: öffentlich).")
    out = internal_path(args.out) if args.internal else args.out
    xlsx = internal_path(args.xlsx) if args.internal and args.xlsx is not None else args.xlsx
    if args.period and (args.start or args.end):
        raise InputError("Entweder --period oder --from/--to angeben, nicht beides.")
    if args.period:
        period = parse_period(args.period)
    elif args.start and args.end:
        period = Period.between(args.start, args.end)
    else:
        raise InputError(
            "Zeitraum fehlt: --period 2025 (bzw. 2025H1, 2025Q3) oder --from DATUM --to DATUM angeben."
        )
    store = open_store(args.store)
    register = store.read()
    if args.internal:  # personal data: recorded before anything is written
        from geo.access.accounts import AuditAction

        audit(
            store, AuditAction.REPORT_PERSONAL,
            f"{out.name}" + (f", {xlsx.name}" if xlsx is not None else "")
            + f": Bericht {period.label}, Quartier {args.quarter or 'alle'}",
        )
    osm = load_osm_buildings(args.osm_buildings, register) if args.osm_buildings is not None else None
    streets = SM.load_streets(args.streets) if args.streets is not None else None
    summary = build_report(
        register,
        quarter=args.quarter,
        start=period.start,
        end=period.end,
        internal=args.internal,
        out=out,
        osm_buildings=osm,
        unit_level=args.unit_level,
        streets=streets,
    )
    if xlsx is not None:
        period_figures_xlsx(
            register,
            quarter=args.quarter,
            start=period.start,
            end=period.end,
            out=xlsx,
            internal=args.internal,
            unit_level=args.unit_level,
        )
    for note in summary.notes:
        sys.stderr.write(f"Hinweis: {note}\n")
    version = "öffentlich" if summary.public else "intern, mit personenbezogenen Daten"
    print(
        f"Bericht {period.label} ({version}, {summary.pages} Seiten) geschrieben: {out}"
        + (f"; Kennzahlen: {xlsx}" if xlsx else "")
    )
    return 0
