"""The ``network`` subcommand: ``python -m geo network`` saves the real walking network of a quarter.

``python -m geo network --quarter NAME [--refresh] [--from-file AUSZUG.osm] [--boundaries FILE]``
downloads the quarter's walking network from OpenStreetMap (Overpass, through osmnx) or cuts it
from a local extract, and saves it with its OSM date where ``walk`` and the page *Begehung
planen* find it; see :mod:`geo.walks.quarter_network`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from geo.cli._common import Subparsers, command

__all__ = ["add_cli", "run_cli"]


def add_cli(subparsers: Subparsers) -> argparse.ArgumentParser:
    """Add the ``network`` subcommand to the command line.

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
        "network",
        help="echtes Straßennetz eines Quartiers für Begehungen laden (OpenStreetMap) und speichern",
        description="Lädt das Fußwegenetz eines Quartiers (Umriss aus den Ortsteilgrenzen, etwas erweitert) "
        "von OpenStreetMap (Overpass) oder schneidet es aus einem lokalen OSM-Auszug, und speichert es mit "
        "seinem Datenstand für „walk“ und die Seite „Begehung planen“. Ein gespeichertes Netz wird ohne "
        "--refresh wiederverwendet, ohne online zu fragen.",
    )
    p.add_argument("--quarter", required=True, metavar="NAME", help="Quartier (Name oder Kürzel, z. B. gruenau)")
    p.add_argument("--from-file", type=Path, default=None, metavar="DATEI",
                   help="aus einem lokalen OSM-Auszug (.osm, .osm.gz, .osm.bz2) statt von Overpass")
    p.add_argument("--refresh", action="store_true", help="neu von Overpass laden, auch wenn ein Netz gespeichert ist")
    p.add_argument("--boundaries", type=Path, default=None, metavar="DATEI",
                   help="Ortsteilgrenzen (Polygondatei); Vorgabe: die amtlichen Grenzen des Projekts")
    return p


@command
def run_cli(args: argparse.Namespace) -> int:
    """Run the ``network`` subcommand.

    Prints which network is saved, its OSM date and where; exit 2 with one German message when
    Overpass cannot be reached (and nothing is saved) or the file is unusable.

    Parameters
    ----------
    args
        Parsed arguments of the parser made by :func:`add_cli`.

    Returns
    -------
    int
        0 on success, 2 on bad input or an unreachable Overpass.
    """
    from geo.places.areas import load_boundaries
    from geo.walks.quarter_network import fetch_quarter_network, network_from_file

    boundaries = load_boundaries(args.boundaries).frame if args.boundaries is not None else None
    if args.from_file is not None:
        network = network_from_file(args.quarter, args.from_file, boundaries=boundaries)
        verb = f"aus {args.from_file.name} erstellt"
    else:
        network, fetched = fetch_quarter_network(args.quarter, boundaries=boundaries, refresh=args.refresh)
        verb = "von OpenStreetMap geladen" if fetched else "bereits gespeichert (neu laden mit --refresh)"
    edges = f", {network.edges} Kanten" if network.edges is not None else ""
    print(f"Straßennetz {network.quarter} {verb}{edges}.")
    print(network.description)
    print(f"Datei: {network.path}")
    return 0
