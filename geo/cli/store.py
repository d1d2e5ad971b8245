"""The ``store`` subcommand: ``python -m geo store copy QUELLE ZIEL [--replace]``.

Copies a whole register between a GeoPackage file and a PostGIS database, in either direction
(:func:`geo.register.store.transfer.copy_store`): everything, with the ids, in one transaction.
URLs are shown without their password.
"""

from __future__ import annotations

import argparse
import sys

from geo import settings
from geo.cli._common import Subparsers, audit, command


def add_cli(subparsers: Subparsers) -> argparse.ArgumentParser:
    """Add the ``store`` subcommand to the command line.

    Parameters
    ----------
    subparsers
        The object returned by :meth:`argparse.ArgumentParser.add_subparsers`.

    Returns
    -------
    argparse.ArgumentParser
        The parser of the subcommand.
    """
    p = subparsers.add_parser("store", help="Register kopieren: GeoPackage-Datei ↔ PostGIS-Datenbank")
    actions = p.add_subparsers(dest="action", required=True, metavar="AKTION")
    copy = actions.add_parser(
        "copy",
        help="ganzes Register in ein leeres kopieren (Datei oder PostGIS)",
        description="Kopiert ein ganzes Register (Einheiten, Beobachtungen mit ihren Nummern, Besuche, "
        "Ortsteile, Importprotokoll, Konten und Audit-Protokoll) in ein leeres Register, in einem Schritt. Ziel: eine neue .gpkg-Datei "
        "oder eine Datenbank/ein Schema ohne Register (postgresql://benutzer@rechner/datenbank).",
    )
    copy.add_argument("source", type=settings.store_location, metavar="QUELLE", help="Register (.gpkg oder URL)")
    copy.add_argument("target", type=settings.store_location, metavar="ZIEL", help="leeres Register (.gpkg oder URL)")
    copy.add_argument(
        "--replace", action="store_true",
        help="eine vorhandene Zieldatei ersetzen (erst wenn die Kopie vollständig ist); "
        "ein Register auf dem Server wird nie ersetzt",
    )
    return p


@command
def run_cli(args: argparse.Namespace) -> int:
    """Run the ``store`` subcommand.

    The copy is recorded in the audit trail of both registers (the source's only when it can be
    written and is no demo register: a register read with reading rights only gets a note on
    stderr instead).

    Returns
    -------
    int
        0 on success, 2 on bad input or a store fault (one German message on stderr).
    """
    from geo.access.accounts import AuditAction
    from geo.errors import StoreError
    from geo.register.store import open_store
    from geo.register.store.transfer import copy_store

    result = copy_store(args.source, args.target, replace=args.replace)
    counts = f"{result.units} Einheiten, {result.observations} Beobachtungen, {result.accounts} Konten"
    audit(open_store(args.target), AuditAction.STORE, f"Kopie von {result.source}: {counts}")
    source = open_store(args.source)
    try:
        if not source.is_demo:  # the shipped demo stays as committed; it has nothing to account for
            audit(source, AuditAction.STORE, f"Kopie nach {result.target}: {counts}")
    except StoreError as exc:
        sys.stderr.write(f"Hinweis: die Kopie ist nicht im Protokoll der Quelle vermerkt: {exc}\n")
    print(
        f"Register kopiert: {result.source} → {result.target}: {result.units} Einheiten, "
        f"{result.observations} Beobachtungen, {result.visits} Besuche, {result.imports} Importe, "
        f"{result.accounts} Konten, {result.audit} Protokolleinträge."
    )
    return 0
