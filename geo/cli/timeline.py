"""The ``timeline`` subcommand: ``python -m geo timeline [--freq F] [--from D] [--to D] [--by G]``.

Key figures per period (:func:`geo.register.stats.timeline`) as a table, CSV or JSON.
"""

from __future__ import annotations

import argparse

from geo.cli._common import Subparsers, add_format_arg, add_store_arg, command, parse_date_arg
from geo.outputs.tables import emit


def add_cli(subparsers: Subparsers) -> argparse.ArgumentParser:
    """Add the ``timeline`` subcommand to the command line.

    Parameters
    ----------
    subparsers
        The object returned by :meth:`argparse.ArgumentParser.add_subparsers`.

    Returns
    -------
    argparse.ArgumentParser
        The parser of the subcommand.
    """
    p = subparsers.add_parser("timeline", help="Kennzahlen je Zeitraum")
    add_store_arg(p)
    p.add_argument("--freq", choices=("year", "quarter", "month"), default="year")
    p.add_argument("--from", dest="start", type=parse_date_arg, default=None, metavar="DATUM")
    p.add_argument("--to", dest="end", type=parse_date_arg, default=None, metavar="DATUM")
    p.add_argument("--by", choices=("quarter", "ortsteil", "street"), default=None)
    add_format_arg(p)
    return p


@command
def run_cli(args: argparse.Namespace) -> int:
    """Run the ``timeline`` subcommand.

    Returns
    -------
    int
        0 on success, 2 on bad input (one German message on stderr).
    """
    from geo.register.stats import timeline
    from geo.register.store import open_store

    register = open_store(args.store).read(figures_only=True)  # only what the figures need: less to read
    emit(timeline(register, freq=args.freq, start=args.start, end=args.end, by=args.by), args.format)
    return 0
