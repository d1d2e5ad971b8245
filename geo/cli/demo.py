"""The ``demo`` subcommand: ``python -m geo demo --store PATH [--seed N]``.

Writes the demo register (fictional) and, next to it, the demo walk network
(:mod:`geo.register.demo`).
"""

from __future__ import annotations

import argparse

from geo import settings
from geo.cli._common import Subparsers, command


def add_cli(subparsers: Subparsers) -> argparse.ArgumentParser:
    """Add the ``demo`` subcommand to the command line.

    Parameters
    ----------
    subparsers
        The object returned by :meth:`argparse.ArgumentParser.add_subparsers`.

    Returns
    -------
    argparse.ArgumentParser
        The parser of the subcommand.
    """
    p = subparsers.add_parser("demo", help="Demo-Register (fiktiv) und Demo-Wegenetz daneben erzeugen")
    p.add_argument(
        "--store", type=settings.store_location, required=True, metavar="DATEI", help="Zieldatei (.gpkg), wird ersetzt"
    )
    p.add_argument("--seed", type=int, default=2015, metavar="ZAHL", help="Zufallsstartwert (reproduzierbar)")
    return p


@command
def run_cli(args: argparse.Namespace) -> int:
    """Run the ``demo`` subcommand.

    Returns
    -------
    int
        0 on success, 2 on bad input (one German message on stderr).
    """
    from geo.register.demo_network import DEMO_WALK_NETWORK_NAME, write_demo_walk_network
    from geo.register.io import build_demo_store

    path = build_demo_store(args.store, seed=args.seed)
    network = write_demo_walk_network(path.with_name(DEMO_WALK_NETWORK_NAME))
    print(f"Demo-Register ({settings.demo_label}) geschrieben: {path}; Demo-Wegenetz (fiktiv): {network}")
    return 0
