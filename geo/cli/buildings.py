"""The ``buildings`` subcommand: ``python -m geo buildings SCHNAPPSCHUSS ... --boundaries GRENZEN``.

Building figures per Ortsteil (or quarter) and snapshot date from OSM building
snapshots (:func:`geo.osm.buildings.analyse_files`), as a table, CSV or JSON.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from geo.cli._common import Subparsers, command
from geo.osm.buildings import CAVEAT, analyse_files
from geo.outputs.tables import emit

__all__ = ["add_cli", "run_cli"]


def add_cli(subparsers: Subparsers) -> argparse.ArgumentParser:
    """Add the ``buildings`` subcommand to the command line.

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
        "buildings",
        help="Gebäudebestand aus OSM-Schnappschüssen je Ortsteil und Stichtag auswerten",
        description="Gebäudebestand (Anzahl, Grundfläche, gewerblich genutzt) und Veränderungen "
        "(neu, entfernt, verändert) je Ortsteil oder Quartier und Stichtag aus OSM-Gebäude-"
        "Schnappschüssen. Hinweis: " + CAVEAT,
    )
    p.add_argument(
        "files",
        nargs="+",
        type=Path,
        metavar="SCHNAPPSCHUSS",
        help="Gebäude-Schnappschüsse, je Gebiet und Stichtag eine Datei mit der Jahreszahl im "
        "Namen (z. B. Volkmarsdorf-2024-buildings.geojson)",
    )
    p.add_argument("--boundaries", type=Path, required=True, help="Ortsteilgrenzen (Polygonebene)")
    p.add_argument("--name-column", default=None, help="Spalte mit dem Ortsteilnamen in der Grenzdatei")
    p.add_argument("--by", choices=("ortsteil", "quarter"), default="ortsteil", help="Gruppierung")
    p.add_argument("--format", choices=("json", "csv", "table"), default="table", help="Ausgabeformat")
    return p


@command
def run_cli(args: argparse.Namespace) -> int:
    """Run the ``buildings`` subcommand.

    Prints one row per group and snapshot date; remarks and :data:`CAVEAT`
    go to stderr (for ``table`` the caveat follows the table on stdout).

    Parameters
    ----------
    args
        Parsed arguments of the parser made by :func:`add_cli`.

    Returns
    -------
    int
        0 on success, 2 on bad input (one German message on stderr).
    """
    from geo.places.areas import load_boundaries

    boundaries = load_boundaries(args.boundaries, name_column=getattr(args, "name_column", None)).frame
    stats = analyse_files(args.files, boundaries, by=args.by)
    for note in stats.notes:
        sys.stderr.write(f"Hinweis: {note}\n")
    emit(stats.table, args.format)
    if args.format == "table":
        sys.stdout.write(f"\nHinweis: {CAVEAT}\n")
    else:
        sys.stderr.write(f"Hinweis: {CAVEAT}\n")
    return 0
