"""The ``walk`` subcommand: ``python -m geo walk`` plans an outreach walk and writes what to take along.

``python -m geo walk --store PATH [--graph NETZ.osm] [--stops IDS] [--rule REGEL ...]
[--verify LISTE] [--quarter NAME] [--street STRASSE] [--budget MIN] --out walk.pdf|.gpx|.gpkg|.json``;
see :func:`geo.walks.outreach.plan_outreach`. Without ``--graph`` the walk uses the network saved
for the quarter by ``python -m geo network`` (:mod:`geo.walks.quarter_network`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pyogrio

from geo.cli._common import Subparsers, add_store_arg, command, parse_date_arg
from geo.errors import InputError
from geo.walks.outreach import _out_suffix, plan_outreach
from geo.walks.stops import _RULE_HELP, Rule

__all__ = ["add_cli", "run_cli"]


def _lonlat_arg(text: str) -> tuple[float, float]:
    parts = [p.strip() for p in str(text).split(",")]
    try:
        lon, lat = (float(p) for p in parts)
    except ValueError:
        raise argparse.ArgumentTypeError(f"„{text}“ ist kein Punkt; erwartet LON,LAT, z. B. 12.4146,51.3459") from None
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise argparse.ArgumentTypeError(f"„{text}“ liegt außerhalb von Längen-/Breitengraden; erwartet LON,LAT.")
    return lon, lat


def _rule_arg(text: str) -> Rule:
    try:
        return Rule.parse(text)
    except InputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_cli(subparsers: Subparsers) -> argparse.ArgumentParser:
    """Add the ``walk`` subcommand to the command line.

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
        "walk",
        help="Begehung planen: Stopps wählen, kürzeste Route, Laufzettel/GPX/GeoPackage/JSON",
        description="Wählt Einheiten nach Regeln oder Liste, plant den kürzesten Fußweg über das Wegenetz "
        "und schreibt je nach Endung von --out: .pdf (Laufzettel), .gpx, .gpkg (für QField), .json.",
    )
    add_store_arg(p)
    p.add_argument("--graph", type=Path, default=None,
                   help="Wegenetz: OSM-XML (.osm) oder GraphML von osmnx; Vorgabe: das mit „network“ "
                   "gespeicherte Straßennetz des Quartiers (--quarter)")
    p.add_argument("--stops", default=None, help="Einheiten (unit_id), kommagetrennt")
    p.add_argument("--rule", action="append", type=_rule_arg, default=[], metavar="REGEL",
                   help=f"Auswahlregel, mehrfach möglich: {_RULE_HELP}")
    p.add_argument("--verify", type=Path, default=None,
                   help="Prüfliste aus dem OSM-Abgleich (Tabelle mit unit_id und reason; CSV, GeoJSON, GPKG)")
    p.add_argument("--quarter", default=None, help="nur Einheiten in diesem Quartier oder Ortsteil")
    p.add_argument("--street", default=None, metavar="STRASSE", help="nur Einheiten an dieser Straße")
    p.add_argument("--start", type=_lonlat_arg, default=None, help="Start LON,LAT (Vorgabe: Quartiersbüro)")
    p.add_argument("--end", type=_lonlat_arg, default=None, help="Ziel LON,LAT (nur ohne --round-trip)")
    p.add_argument("--round-trip", action="store_true", help="zum Start zurückkehren")
    p.add_argument("--budget", type=float, default=None, help="Zeitbudget in Minuten (Gehen und Besuche)")
    p.add_argument(
        "--speed", type=float, default=None, help="Gehgeschwindigkeit in km/h (Vorgabe: settings.walk_speed_kmh, 4,5)"
    )
    p.add_argument("--minutes-per-visit", type=float, default=10.0, help="Minuten je Besuch (Vorgabe 10)")
    p.add_argument("--at", type=parse_date_arg, default=None, help="Datum der Begehung (Vorgabe: heute)")
    p.add_argument("--internal", action="store_true",
                   help="PDF/GeoPackage mit Eigentümern und Kontakten (personenbezogen, nur intern; GPX/JSON nie)")
    p.add_argument("--out", type=Path, required=True, help="Ausgabe: .gpx, .pdf, .gpkg oder .json")
    return p


def _read_verify(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise InputError(f"Prüfliste nicht gefunden: {path}")
    try:
        if path.suffix.lower() == ".csv":
            return pd.read_csv(path, sep=None, engine="python", dtype=str, encoding="utf-8-sig")
        return pd.DataFrame(pyogrio.read_dataframe(path, read_geometry=False))
    except (OSError, ValueError, pd.errors.ParserError, pyogrio.errors.DataSourceError) as exc:
        raise InputError(f"Prüfliste {path.name} kann nicht gelesen werden: {exc}") from exc


def _saved_network(area: str | None) -> tuple[Any, str]:
    """The network saved for the quarter of ``area`` (a quarter or Ortsteil) and its attribution."""
    from geo.places.areas import get_quarter, quarter_of
    from geo.walks.quarter_network import cached_network

    hint = "Kein Wegenetz: --graph DATEI angeben, oder mit --quarter NAME das gespeicherte Straßennetz nutzen"
    if not area:
        raise InputError(f"{hint} (zuvor „python -m geo network --quarter NAME“).")
    try:
        quarter: str | None = get_quarter(area).name
    except InputError:
        quarter = quarter_of(area)
        if quarter is None:
            raise
    assert quarter is not None
    saved = cached_network(quarter)
    if saved is None:
        raise InputError(
            f"Für {quarter} ist noch kein Straßennetz gespeichert: „python -m geo network --quarter {quarter}“ "
            "ausführen (oder --graph DATEI angeben)."
        )
    sys.stderr.write(f"Hinweis: Wegenetz: {saved.description}\n")
    return saved.load(), saved.credit


@command
def run_cli(args: argparse.Namespace) -> int:
    """Run the ``walk`` subcommand.

    Prints the plan's summary and the file written; notes (dropped stops,
    passed-over entries) go to stderr.

    Parameters
    ----------
    args
        Parsed arguments of the parser made by :func:`add_cli`.

    Returns
    -------
    int
        0 on success, 2 on bad input (one German message on stderr).
    """
    from geo.register.store import open_store
    from geo.walks.network import load_walk_graph, network_credit
    from geo.walks.plan import WalkPoint

    _out_suffix(args.out)
    picked = [s for s in (args.stops or "").split(",") if s.strip()]
    if not picked and not args.rule and args.verify is None:
        raise InputError("Keine Stopps gewählt: --stops, --rule oder --verify angeben.")
    register = open_store(args.store).read()
    verify = _read_verify(args.verify) if args.verify is not None else None
    if args.graph is not None:
        graph, credit = load_walk_graph(args.graph), network_credit(args.graph)
    else:
        graph, credit = _saved_network(args.quarter)
    walk = plan_outreach(
        register,
        graph,
        at=args.at,
        rules=args.rule,
        area=args.quarter,
        street=args.street,
        picked=picked,
        verify=verify,
        start=WalkPoint("Start", *args.start) if args.start else None,
        end=WalkPoint("Ziel", *args.end) if args.end else None,
        round_trip=args.round_trip,
        speed_kmh=args.speed,
        minutes_per_visit=args.minutes_per_visit,
        time_budget_min=args.budget,
        network_credit=credit,
    )
    out = walk.write(args.out, internal=args.internal)
    if args.internal and out.suffix.lower() in (".gpx", ".json"):
        sys.stderr.write("Hinweis: --internal gilt nur für PDF und GeoPackage; GPX und JSON enthalten nie "
                         "personenbezogene Daten.\n")
    for note in [*walk.notes, *walk.plan.notes]:
        sys.stderr.write(f"Hinweis: {note}\n")
    print(f"{walk.plan.summary} Geschrieben: {out}")
    return 0
