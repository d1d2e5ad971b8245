"""The command line: ``python -m geo SUBCOMMAND``.

Exit codes: 0 success, 2 bad input or a store that cannot be read or written
(one clear German message on stderr).

Which register: ``--store``, else the environment variable ``QM_STORE``.
Commands that write (``import``, ``boundaries``) refuse to run without one;
reading commands then use the demo working copy (fictional) and say so on
stderr.

One module per subcommand, each with ``add_cli(subparsers)`` and ``run_cli(args)``:
``geo/cli/demo.py``, ``boundaries.py``, ``imports.py`` (``import``), ``export.py``,
``stats.py``, ``timeline.py``, ``buildings.py``, ``report.py``, ``walk.py``, ``network.py``,
``store.py``, ``users.py`` (accounts of the app); the
arguments, store resolution and error output they share are in ``geo/cli/_common.py``.
Subcommands in :data:`_LAZY` are imported only when called (slow imports).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence

from geo.cli import boundaries, buildings, demo, export, imports, stats, store, timeline, users
from geo.cli._common import GermanArgumentParser, print_error, resolve_store
from geo.errors import QuartiersmonitorError

#: Subcommands whose modules are slow to import (reportlab, matplotlib, osmnx):
#: their parsers are built only when the subcommand is called.
_LAZY: dict[str, tuple[str, str]] = {
    "report": ("geo.cli.report", "Zeitraumbericht als PDF für Beirat und Stadt"),
    "walk": ("geo.cli.walk", "Begehung planen: Stopps, kürzeste Route, Laufzettel/GPX/GeoPackage/JSON"),
    "network": ("geo.cli.network", "echtes Straßennetz eines Quartiers für Begehungen laden und speichern"),
    "geocode": ("geo.cli.geocode", "Adressen verorten (Adressdatei oder Nominatim), Ausgabe JSON"),
}

#: The other subcommands, in the order of the help: name -> ``run_cli``.
_COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "demo": demo.run_cli,
    "boundaries": boundaries.run_cli,
    "import": imports.run_cli,
    "export": export.run_cli,
    "stats": stats.run_cli,
    "timeline": timeline.run_cli,
    "buildings": buildings.run_cli,
    "store": store.run_cli,
    "users": users.run_cli,
}


def build_parser(*, load: Sequence[str] = tuple(_LAZY)) -> argparse.ArgumentParser:
    """The argument parser with every subcommand (``load``: lazy subcommands to build fully)."""
    parser = GermanArgumentParser(
        prog="python -m geo",
        description="Quartiersmonitor: Gewerbeleerstand und Standortentwicklung "
        "im Leipziger Osten und in Grünau.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="BEFEHL")
    for module in (demo, boundaries, imports, export, stats, timeline):
        module.add_cli(sub)
    buildings.add_cli(sub)
    store.add_cli(sub)
    users.add_cli(sub)
    for name, (module_name, help_text) in _LAZY.items():
        if name in load:
            importlib.import_module(module_name).add_cli(sub)
        else:
            sub.add_parser(name, help=help_text, add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(load=[a for a in argv[:1] if a in _LAZY])
    args = parser.parse_args(argv)
    try:
        resolve_store(args)
        if args.command in _LAZY:
            run_cli: Callable[[argparse.Namespace], int] = importlib.import_module(_LAZY[args.command][0]).run_cli
            return run_cli(args)
        return _COMMANDS[args.command](args)
    except QuartiersmonitorError as exc:
        # every error of ours names what was wrong and how to fix it: no traceback
        return print_error(exc)
