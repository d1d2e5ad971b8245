"""The ``users`` subcommand: local accounts of the app.

``python -m geo users add NAME --role buero`` (password from standard input),
``python -m geo users list``, ``python -m geo users remove NAME``. Accounts live
in the register's store, so every app server on that store knows them; each
change is recorded in its audit trail. Neither a password nor its hash is ever
printed.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from geo.cli._common import Subparsers, add_format_arg, add_store_arg, command


def add_cli(subparsers: Subparsers) -> argparse.ArgumentParser:
    """Add the ``users`` subcommand to the command line.

    Parameters
    ----------
    subparsers
        The object returned by :meth:`argparse.ArgumentParser.add_subparsers`.

    Returns
    -------
    argparse.ArgumentParser
        The parser of the subcommand.
    """
    from geo.access.roles import Role

    p = subparsers.add_parser("users", help="Konten der App anlegen, auflisten, entfernen")
    actions = p.add_subparsers(dest="users_action", required=True, metavar="AKTION")
    add = actions.add_parser("add", help="Konto anlegen oder Rolle/Passwort ändern (Passwort über stdin)")
    add.add_argument("name", metavar="NAME", help="Anmeldename (bei Anmeldung über die Stadt: E-Mail)")
    add.add_argument(
        "--role", required=True, choices=[role.value for role in Role if role is not Role.PUBLIC],
        help="Rolle (stadt: Karten ohne personenbezogene Daten; buero: Bearbeiten, interne Daten; "
        "admin: zusätzlich Importe, Grenzen, Register, Konten)",
    )
    add.add_argument(
        "--oidc", action="store_true", help="ohne Passwort: meldet sich nur über den Identitätsanbieter an"
    )
    add_store_arg(add)
    listing = actions.add_parser("list", help="Konten auflisten (ohne Passwörter)")
    add_store_arg(listing)
    add_format_arg(listing)
    remove = actions.add_parser("remove", help="Konto entfernen")
    remove.add_argument("name", metavar="NAME")
    add_store_arg(remove)
    return p


def _read_password() -> str:
    """The new password: from a terminal asked twice (not shown), else the first line of stdin."""
    if sys.stdin.isatty():
        first = getpass.getpass("Passwort: ")
        if getpass.getpass("Passwort wiederholen: ") != first:
            from geo.errors import InputError

            raise InputError("Die beiden Passwörter stimmen nicht überein; nichts wurde gespeichert.")
        return first
    return sys.stdin.readline().rstrip("\r\n")


@command
def run_cli(args: argparse.Namespace) -> int:
    """Run the ``users`` subcommand.

    Returns
    -------
    int
        0 on success, 2 on bad input (one German message on stderr).
    """
    import pandas as pd

    from geo.access.accounts import add_account, cli_account, remove_account
    from geo.access.roles import ROLE_LABELS, Role
    from geo.outputs.tables import emit
    from geo.register.store import open_store

    store = open_store(args.store)
    if args.users_action == "add":
        password = None if args.oidc else _read_password()
        account = add_account(store, args.name, role=Role(args.role), password=password, by=cli_account())
        print(f"Konto {account.name!r} gespeichert, Rolle {ROLE_LABELS[account.role]}.")
    elif args.users_action == "remove":
        remove_account(store, args.name, by=cli_account())
        print(f"Konto {args.name.strip()!r} entfernt.")
    else:
        rows = [
            {
                "name": a.name,
                "rolle": ROLE_LABELS[a.role],
                "anmeldung": "Passwort" if a.password_hash else "Identitätsanbieter",
                "angelegt_utc": a.created.strftime("%d.%m.%Y %H:%M"),
            }
            for a in store.accounts()
        ]
        if not rows and args.format == "table":
            print(f"Keine Konten in {store.location}; anlegen mit 'python -m geo users add NAME --role buero'.")
            return 0
        emit(pd.DataFrame(rows, columns=["name", "rolle", "anmeldung", "angelegt_utc"]), args.format)
    return 0
