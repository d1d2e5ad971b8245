"""The ``stats`` subcommand: ``python -m geo stats [--at DATE] [--by GROUP] [--format F]``.

Key figures on a reference day (:func:`geo.register.stats.stats`) as a table, CSV or JSON.
"""

from __future__ import annotations

import argparse

from geo.cli._common import Subparsers, add_format_arg, add_store_arg, command, parse_date_arg
from geo.outputs.tables import emit


def add_cli(subparsers: Subparsers) -> argparse.ArgumentParser:
    """Add the ``stats`` subcommand to the command line.

    Parameters
    ----------
    subparsers
        The object returned by :meth:`argparse.ArgumentParser.add_subparsers`.

    Returns
    -------
    argparse.ArgumentParser
        The parser of the subcommand.
    """
    p = subparsers.add_parser("stats", help="Kennzahlen zum Stichtag")
    add_store_arg(p)
    p.add_argument(
        "--at", type=parse_date_arg, default=None, metavar="DATUM", help="Stichtag (Vorgabe: heute)"
    )
    p.add_argument("--by", choices=("quarter", "ortsteil", "street"), default=None)
    add_format_arg(p)
    return p


@command
def run_cli(args: argparse.Namespace) -> int:
    """Run the ``stats`` subcommand.

    Returns
    -------
    int
        0 on success, 2 on bad input (one German message on stderr).
    """
    from geo.register.stats import stats
    from geo.register.store import open_store

    register = open_store(args.store).read(figures_only=True)  # only what the figures need: less to read
    emit(stats(register, at=args.at, by=args.by), args.format)
    return 0
