"""What the subcommands share: argument helpers, the register to use, error output, German help.

Every subcommand module (``geo/cli/<name>.py``) has ``add_cli(subparsers)`` and
``run_cli(args)``; the helpers here keep their arguments and messages alike:

=============================  ====================================================
:func:`add_store_arg`          ``--store`` (reading: demo fallback; writing: none)
:func:`parse_date_arg`         argparse ``type`` for dates (``JJJJ-MM-TT``, ``TT.MM.JJJJ``)
:func:`add_format_arg`         ``--format json|csv|table`` for tables on stdout
:func:`resolve_store`          ``--store``, else ``QM_STORE``, else the demo working copy
:func:`print_error`            one German line ``Fehler: ...`` on stderr, exit code 2
:func:`audit`                  what a command did, into the register's audit trail
:class:`GermanArgumentParser`  argparse with German help and error texts
=============================  ====================================================
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import sys
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any, TypeAlias

from geo import settings
from geo.dates import parse_date
from geo.errors import QuartiersmonitorError

if TYPE_CHECKING:
    from geo.access.accounts import AccessStore, AuditAction

__all__ = [
    "WRITING",
    "GermanArgumentParser",
    "Subparsers",
    "add_format_arg",
    "add_store_arg",
    "audit",
    "german_argparse",
    "parse_date_arg",
    "print_error",
    "resolve_store",
]

#: Subcommands that write into the register: they need a register the user named.
WRITING = frozenset({"import", "boundaries"})

#: What :meth:`argparse.ArgumentParser.add_subparsers` returns; each subcommand's ``add_cli`` gets it.
Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def parse_date_arg(text: str) -> date:
    """Parse a date argument (argparse ``type``); a bad date is a German argparse error."""
    try:
        return parse_date(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_store_arg(p: argparse.ArgumentParser, *, write: bool = False) -> None:
    """Add ``--store`` (``write``: the command writes, so it names no demo fallback)."""
    p.add_argument(
        "--store",
        type=settings.store_location,
        default=None,
        metavar="DATEI|URL",
        help="Register (.gpkg-Datei oder PostGIS: postgresql://benutzer@rechner/datenbank), in das "
        "geschrieben wird; Vorgabe: Umgebungsvariable QM_STORE (ohne beides wird nichts geschrieben)"
        if write
        else "Register (.gpkg-Datei oder PostGIS: postgresql://benutzer@rechner/datenbank); Vorgabe: "
        "Umgebungsvariable QM_STORE, ohne beides die Arbeitskopie des Demo-Registers (fiktiv)",
    )


def add_format_arg(p: argparse.ArgumentParser) -> None:
    """Add ``--format json|csv|table`` (default ``table``) for a table printed on stdout."""
    p.add_argument("--format", choices=("json", "csv", "table"), default="table", help="Ausgabeformat")


def resolve_store(args: argparse.Namespace) -> None:
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
    if args.command in WRITING:
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


def command(run: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """A subcommand's ``run_cli``: an error of ours prints one German line and returns 2.

    The one home of the command line's error rule, so that a subcommand called on its
    own (``geo.cli.stats.run_cli(args)``) behaves as through :func:`geo.cli.main`.
    """

    @functools.wraps(run)
    def run_command(args: argparse.Namespace) -> int:
        try:
            return run(args)
        except QuartiersmonitorError as exc:
            return print_error(exc)

    return run_command


def audit(store: AccessStore, action: AuditAction, detail: str) -> None:
    """Record what the command did in the register's audit trail, as ``cli:`` and the OS user name.

    ``detail`` names files and counts, never personal data or a password. The register's version
    stays (:func:`geo.access.accounts.record`).
    """
    from geo.access.accounts import cli_account, record

    record(store, cli_account(), action, detail)


def print_error(exc: QuartiersmonitorError) -> int:
    """Write ``Fehler: <message>`` as one line on stderr (no traceback); returns the exit code 2."""
    sys.stderr.write(f"Fehler: {exc}\n")
    return 2


# -- German argparse ----------------------------------------------------------------------------
# argparse looks its texts up through the module-level names ``argparse._`` and
# ``argparse.ngettext`` (gettext) when it uses them. GermanArgumentParser swaps in the
# table below while it builds, parses and formats, and restores the originals after, so
# other parsers in the same process (pytest's, streamlit's) keep theirs.

_GERMAN: dict[str, str] = {
    "usage: ": "Aufruf: ",
    "positional arguments": "Argumente",
    "options": "Optionen",
    "optional arguments": "Optionen",
    "subcommands": "Befehle",
    "show this help message and exit": "diese Hilfe zeigen und beenden",
    "%(prog)s: error: %(message)s\n": "%(prog)s: Fehler: %(message)s\n",
    "argument %(argument_name)s: %(message)s": "Argument %(argument_name)s: %(message)s",
    "the following arguments are required: %s": "diese Angaben fehlen: %s",
    "one of the arguments %s is required": "eine dieser Angaben fehlt: %s",
    "unrecognized arguments: %s": "unbekannte Argumente: %s",
    "not allowed with argument %s": "nicht zusammen mit %s erlaubt",
    "ignored explicit argument %r": "Wert %r ist hier nicht vorgesehen",
    "expected one argument": "erwartet einen Wert",
    "expected at most one argument": "erwartet höchstens einen Wert",
    "expected at least one argument": "erwartet mindestens einen Wert",
    "expected %s argument": "erwartet %s Wert",
    "expected %s arguments": "erwartet %s Werte",
    "ambiguous option: %(option)s could match %(matches)s":
        "mehrdeutige Option: %(option)s passt zu %(matches)s",
    "unexpected option string: %s": "unerwartete Option: %s",
    "invalid %(type)s value: %(value)r": "ungültiger Wert %(value)r (erwartet: %(type)s)",
    "invalid choice: %(value)r (choose from %(choices)s)":
        "ungültige Auswahl: %(value)r (möglich: %(choices)s)",
    "unknown parser %(parser_name)r (choices: %(choices)s)":
        "unbekannter Befehl %(parser_name)r (möglich: %(choices)s)",
    "can't open '%(filename)s': %(error)s": "'%(filename)s' lässt sich nicht öffnen: %(error)s",
}


#: German names of argument types in "ungültiger Wert … (erwartet: …)".
_TYPE_NAMES: dict[str, str] = {"int": "eine ganze Zahl", "float": "eine Zahl", "Path": "ein Pfad", "str": "ein Text"}


def _gettext(message: str) -> str:
    return _GERMAN.get(message, message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    return _gettext(singular if n == 1 else plural)


@contextlib.contextmanager
def german_argparse() -> Iterator[None]:
    """Within the block argparse writes German (help headings, usage prefix, error texts)."""
    saved = argparse._, argparse.ngettext  # type: ignore[attr-defined]
    argparse._, argparse.ngettext = _gettext, _ngettext  # type: ignore[attr-defined]
    try:
        yield
    finally:
        argparse._, argparse.ngettext = saved  # type: ignore[attr-defined]


class GermanArgumentParser(argparse.ArgumentParser):
    """:class:`argparse.ArgumentParser` with German help and error texts.

    ``Aufruf:`` instead of ``usage:``, ``Argumente``/``Optionen`` as headings,
    ``-h, --help  diese Hilfe zeigen und beenden``, German error messages. Subparsers
    made by :meth:`add_subparsers` are of this class too.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        with german_argparse():
            super().__init__(*args, **kwargs)

    def add_subparsers(self, **kwargs: Any) -> Any:
        with german_argparse():
            return super().add_subparsers(**kwargs)

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        with german_argparse():
            return super().parse_known_args(args, namespace)

    def parse_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> argparse.Namespace:
        with german_argparse():
            return super().parse_args(args, namespace)

    def format_usage(self) -> str:
        with german_argparse():
            return super().format_usage()

    def format_help(self) -> str:
        with german_argparse():
            return super().format_help()

    def error(self, message: str) -> Any:
        with german_argparse():
            return super().error(message)

    def _get_value(self, action: argparse.Action, arg_string: str) -> Any:
        """argparse's conversion, with the expected type named in German (``int`` -> „eine ganze Zahl“)."""
        try:
            return super()._get_value(action, arg_string)
        except argparse.ArgumentError:
            name = getattr(action.type, "__name__", None)
            if name not in _TYPE_NAMES:
                raise
            message = f"ungültiger Wert {arg_string!r} (erwartet: {_TYPE_NAMES[name]})"
            raise argparse.ArgumentError(action, message) from None
