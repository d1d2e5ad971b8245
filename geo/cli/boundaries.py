"""The ``boundaries`` subcommand: ``python -m geo boundaries FILE|--osm --store PATH``.

Loads official Ortsteil outlines (a polygon layer, or online from OpenStreetMap)
into the register and re-derives every unit's Ortsteil and quarter.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from geo.cli._common import Subparsers, add_store_arg, audit, command


def add_cli(subparsers: Subparsers) -> argparse.ArgumentParser:
    """Add the ``boundaries`` subcommand to the command line.

    Parameters
    ----------
    subparsers
        The object returned by :meth:`argparse.ArgumentParser.add_subparsers`.

    Returns
    -------
    argparse.ArgumentParser
        The parser of the subcommand.
    """
    p = subparsers.add_parser("boundaries", help="amtliche Ortsteilgrenzen laden, Zuordnung neu ableiten")
    add_store_arg(p, write=True)
    p.add_argument(
        "file",
        type=Path,
        nargs="?",
        metavar="DATEI",
        help="Polygonebene (GeoJSON, GeoPackage, Shapefile-ZIP)",
    )
    p.add_argument("--name-column", default=None, metavar="SPALTE", help="Spalte mit dem Ortsteilnamen")
    p.add_argument(
        "--osm", action="store_true", help="statt einer Datei: Grenzen online aus OpenStreetMap (osmnx)"
    )
    return p


@command
def run_cli(args: argparse.Namespace) -> int:
    """Run the ``boundaries`` subcommand.

    Returns
    -------
    int
        0 on success, 2 on bad input (one German message on stderr; the register unchanged).
    """
    from geo.access.accounts import AuditAction
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
        loaded = load_boundaries(args.file, name_column=args.name_column)
        boundaries, source = loaded.frame, args.file.name
    counts = replace_boundaries(store, boundaries)
    audit(
        store, AuditAction.BOUNDARIES,
        f"{source}: {len(boundaries)} Ortsteile, {counts.assigned} Einheiten zugeordnet, {counts.changed} geändert",
    )
    print(
        f"{len(boundaries)} Ortsteile aus {source} geladen; "
        f"{counts.assigned} Einheiten einem Ortsteil zugeordnet, {counts.unassigned} außerhalb, "
        f"{counts.changed} mit geänderter Zuordnung."
    )
    return 0
