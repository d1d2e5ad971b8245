"""The command line: ``python -m geo SUBCOMMAND``.

Exit codes: 0 success, 2 bad input or a store that cannot be read or written
(one clear German message on stderr).

Which register: ``--store``, else the environment variable ``QM_STORE``.
Commands that write (``import``, ``boundaries``) refuse to run without one;
reading commands then use the demo working copy (fictional) and say so on
stderr.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from geo import settings
from geo.errors import ImportRejected, QuartiersmonitorError
from geo.osm import buildings
from geo.outputs.tables import emit


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        try:
            return pd.to_datetime(text, dayfirst=True, format="%d.%m.%Y").date()
        except ValueError as exc:
            raise argparse.ArgumentTypeError(
                f"Datum '{text}' nicht lesbar; erwartet JJJJ-MM-TT oder TT.MM.JJJJ"
            ) from exc


#: Subcommands that write into the register: they need a register the user named.
_WRITING = frozenset({"import", "boundaries"})


def _store_arg(p: argparse.ArgumentParser, *, write: bool = False) -> None:
    """Add ``--store`` (``write``: the command writes, so it names no demo fallback)."""
    p.add_argument(
        "--store",
        type=Path,
        default=None,
        help="Register (.gpkg), in das geschrieben wird; Vorgabe: Umgebungsvariable QM_STORE "
        "(ohne beides wird nichts geschrieben)"
        if write
        else "Register (.gpkg); Vorgabe: Umgebungsvariable QM_STORE, ohne beides die Arbeitskopie "
        "des Demo-Registers (fiktiv)",
    )


def _resolve_store(args: argparse.Namespace) -> None:
    """Set ``args.store`` when not given: ``QM_STORE``; else the demo working copy, for reading only.

    Raises
    ------
    InputError
        A writing command without a register named by ``--store`` or ``QM_STORE``.
    """
    from geo.errors import InputError
    from geo.register.store import demo_working_copy

    if getattr(args, "store", "") is not None or args.command == "demo":
        return
    named = settings.named_store_path()
    if named is not None:
        args.store = named
        return
    if args.command in _WRITING:
        example = "import liste.csv" if args.command == "import" else "boundaries ortsteile.geojson"
        raise InputError(
            f"'{args.command}' schreibt ins Register und braucht ein angegebenes: --store DATEI oder die "
            f"Umgebungsvariable QM_STORE, z. B. 'python -m geo {example} --store register.gpkg'"
            + (" (legt es an, wenn es fehlt)." if args.command == "import" else ".")
            + " In das Demo-Register wird nichts geschrieben."
        )
    args.store = demo_working_copy()
    sys.stderr.write(
        f"Hinweis: Demo-Register (fiktiv) {args.store} – kein Register angegeben "
        "(--store DATEI oder Umgebungsvariable QM_STORE).\n"
    )


def _format_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--format", choices=("json", "csv", "table"), default="table", help="Ausgabeformat"
    )


#: Subcommands whose modules are slow to import (reportlab, matplotlib, osmnx):
#: their parsers are built only when the subcommand is called.
_LAZY: dict[str, tuple[str, str]] = {
    "report": ("geo.outputs.report", "Zeitraumbericht als PDF für Beirat und Stadt"),
    "walk": ("geo.walks.outreach", "Begehung planen: Stopps, kürzeste Route, Laufzettel/GPX/GeoPackage/JSON"),
}


def build_parser(*, load: Sequence[str] = tuple(_LAZY)) -> argparse.ArgumentParser:
    """The argument parser with every subcommand (``load``: lazy subcommands to build fully)."""
    parser = argparse.ArgumentParser(
        prog="python -m geo",
        description="Quartiersmonitor: Gewerbeleerstand und Standortentwicklung "
        "im Leipziger Osten und in Grünau.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="BEFEHL")

    p = sub.add_parser("demo", help="Demo-Register (fiktiv) und Demo-Wegenetz daneben erzeugen")
    p.add_argument("--store", type=Path, required=True, help="Zieldatei (.gpkg), wird ersetzt")
    p.add_argument("--seed", type=int, default=2015, help="Zufallsstartwert (reproduzierbar)")

    p = sub.add_parser("boundaries", help="amtliche Ortsteilgrenzen laden, Zuordnung neu ableiten")
    _store_arg(p, write=True)
    p.add_argument("file", type=Path, nargs="?", help="Polygonebene (GeoJSON, GeoPackage, Shapefile-ZIP)")
    p.add_argument("--name-column", default=None, help="Spalte mit dem Ortsteilnamen")
    p.add_argument("--osm", action="store_true", help="statt einer Datei: Grenzen online aus OpenStreetMap (osmnx)")

    p = sub.add_parser("import", help="Liste von Gewerbeeinheiten importieren")
    p.add_argument("file", type=Path, help="CSV, XLSX, GeoJSON, GeoPackage oder Shapefile-ZIP")
    _store_arg(p, write=True)
    p.add_argument("--as-of", type=_date, default=None, help="Datum für Zeilen ohne Datum")
    p.add_argument(
        "--on-error",
        choices=("reject", "skip"),
        default="reject",
        help="reject: bei Fehlern nichts importieren (Vorgabe); skip: gute Zeilen übernehmen",
    )
    p.add_argument(
        "--report", type=Path, default=None, help="Prüfbericht als CSV/JSON/TXT schreiben"
    )

    p = sub.add_parser("export", help="Einheiten mit Status zum Stichtag exportieren")
    _store_arg(p)
    p.add_argument(
        "--format",
        choices=("gpkg", "geojson", "csv", "xlsx"),
        default=None,
        help="Vorgabe: aus der Dateiendung von --out",
    )
    p.add_argument("--out", type=Path, required=True)
    p.add_argument(
        "--internal",
        action="store_true",
        help="interne Fassung mit personenbezogenen Daten (Dateiname erhält -intern); "
        "ohne: öffentliche Fassung",
    )
    p.add_argument("--public", action="store_true", help="öffentliche Fassung (Vorgabe; nur zur Kompatibilität)")
    p.add_argument("--at", type=_date, default=None, help="Stichtag (Vorgabe: heute)")

    p = sub.add_parser("stats", help="Kennzahlen zum Stichtag")
    _store_arg(p)
    p.add_argument("--at", type=_date, default=None, help="Stichtag (Vorgabe: heute)")
    p.add_argument("--by", choices=("quarter", "ortsteil", "street"), default=None)
    _format_arg(p)

    p = sub.add_parser("timeline", help="Kennzahlen je Zeitraum")
    _store_arg(p)
    p.add_argument("--freq", choices=("year", "quarter", "month"), default="year")
    p.add_argument("--from", dest="start", type=_date, default=None)
    p.add_argument("--to", dest="end", type=_date, default=None)
    p.add_argument("--by", choices=("quarter", "ortsteil", "street"), default=None)
    _format_arg(p)

    buildings.add_cli(sub)
    for name, (module, help_text) in _LAZY.items():
        if name in load:
            importlib.import_module(module).add_cli(sub)
        else:
            sub.add_parser(name, help=help_text, add_help=False)
    return parser


def _cmd_demo(args: argparse.Namespace) -> int:
    from geo.register.demo import DEMO_WALK_NETWORK_NAME, write_demo_walk_network
    from geo.register.io import build_demo_store

    path = build_demo_store(args.store, seed=args.seed)
    network = write_demo_walk_network(path.with_name(DEMO_WALK_NETWORK_NAME), seed=args.seed)
    print(f"Demo-Register ({settings.demo_label}) geschrieben: {path}; Demo-Wegenetz (fiktiv): {network}")
    return 0


def _cmd_boundaries(args: argparse.Namespace) -> int:
    from geo.errors import InputError
    from geo.places.areas import boundaries_from_osm, load_boundaries
    from geo.register.io import replace_boundaries
    from geo.register.store import open_store

    if (args.file is None) == (not args.osm):
        raise InputError("Entweder eine Grenzdatei angeben oder --osm, nicht beides und nicht keins.")
    store = open_store(args.store)
    if args.osm:
        boundaries, source = boundaries_from_osm(), "OpenStreetMap"
    else:
        boundaries, source = load_boundaries(args.file, name_column=args.name_column), args.file.name
    counts = replace_boundaries(store, boundaries)
    print(
        f"{len(boundaries)} Ortsteile aus {source} geladen; "
        f"{counts['assigned']} Einheiten einem Ortsteil zugeordnet, {counts['unassigned']} außerhalb, "
        f"{counts['changed']} mit geänderter Zuordnung."
    )
    return 0


def _cmd_import(args: argparse.Namespace) -> int:
    from geo.register.io import import_file

    try:  # args.store: named by --store or QM_STORE (see _resolve_store); created when missing
        report = import_file(args.file, store=args.store, as_of=args.as_of, on_error=args.on_error)
    except ImportRejected as exc:
        _write_report(exc.report, args.report)
        sys.stderr.write(exc.report.to_text() + "\n")
        sys.stderr.write(str(exc) + "\n")
        return 2
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


def _cmd_export(args: argparse.Namespace) -> int:
    from geo.errors import InputError
    from geo.register.io import export_format, export_units
    from geo.register.store import open_store

    if args.internal and args.public:
        raise InputError("--internal und --public widersprechen sich: eines weglassen (Vorgabe: öffentlich).")
    fmt = export_format(args.out, args.format)  # a wrong suffix fails before the store is read
    register = open_store(args.store).read()
    out = export_units(register, args.out, fmt=fmt, at=args.at, internal=args.internal)  # type: ignore[arg-type]
    version = "intern, mit personenbezogenen Daten" if args.internal else "öffentlich"
    print(f"{len(register.units)} Einheiten exportiert nach {out} ({version})")
    return 0


def _cmd_stats(args: argparse.Namespace) -> int:
    from geo.register.stats import stats
    from geo.register.store import open_store

    register = open_store(args.store).read()
    emit(stats(register, at=args.at, by=args.by), args.format)
    return 0


def _cmd_timeline(args: argparse.Namespace) -> int:
    from geo.register.stats import timeline
    from geo.register.store import open_store

    register = open_store(args.store).read()
    emit(
        timeline(register, freq=args.freq, start=args.start, end=args.end, by=args.by), args.format
    )
    return 0


_COMMANDS = {
    "demo": _cmd_demo,
    "boundaries": _cmd_boundaries,
    "import": _cmd_import,
    "export": _cmd_export,
    "stats": _cmd_stats,
    "timeline": _cmd_timeline,
    "buildings": buildings.run_cli,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(load=[a for a in argv[:1] if a in _LAZY])
    args = parser.parse_args(argv)
    try:
        _resolve_store(args)
        if args.command in _LAZY:
            return importlib.import_module(_LAZY[args.command][0]).run_cli(args)
        return _COMMANDS[args.command](args)
    except QuartiersmonitorError as exc:
        # every error of ours names what was wrong and how to fix it: no traceback
        sys.stderr.write(f"Fehler: {exc}\n")
        return 2
