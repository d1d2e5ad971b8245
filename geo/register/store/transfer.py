"""Copying a whole register between stores: GeoPackage file ↔ PostGIS, in either direction.

:func:`copy_store` reads everything of the source (units, observations with their ids,
visits, boundaries, the import log, the location checks, the metadata, the app's accounts
with their password hashes and the audit trail) and writes it into an
empty target in one transaction (:attr:`~geo.register.store.base.ChangeSet.keep_ids`), so
corrections and visits still name their observations and every figure is the same before and after.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from geo import settings
from geo.errors import InputError, StoreError
from geo.register.history import Register
from geo.register.store._schema import RESERVED_META
from geo.register.store._sqlite import now_iso
from geo.register.store.base import ChangeSet
from geo.register.store.gpkg import GeoPackageStore
from geo.register.store.postgis import PostgisStore


@dataclass(frozen=True)
class CopyResult:
    """What a copy moved, and where (``target`` without a password)."""

    source: str
    target: str
    units: int
    observations: int
    visits: int
    imports: int
    accounts: int = 0
    audit: int = 0


def copy_store(
    source: str | os.PathLike[str], target: str | os.PathLike[str], *, replace: bool = False
) -> CopyResult:
    """Copy the register at ``source`` into ``target`` (a ``.gpkg`` file or a ``postgresql://`` URL).

    Parameters
    ----------
    source
        The register to copy (it is only read).
    target
        Where the copy goes: a new ``.gpkg`` file, or a database (schema) without a register.
    replace
        An existing ``.gpkg`` target is replaced (atomically, once the copy is complete). A
        register on a server is never replaced: its history is append-only; copy into an
        empty database or schema instead.

    Raises
    ------
    InputError
        Source and target are the same, or the target holds a register (see ``replace``).
    StoreError
        Reading or writing failed; the target is as it was (a file target is not left behind).
    """
    from geo.register.store import open_store

    src = open_store(source)
    where = settings.store_location(target)
    if str(where) == src.target or (
        isinstance(where, Path) and isinstance(src, GeoPackageStore) and where.resolve() == src.path.resolve()
    ):
        raise InputError(f"Quelle und Ziel sind dasselbe Register ({src.location}); nichts kopiert.")
    register = src.read()
    imports = src.imports()
    accounts = src.accounts()
    audit = src.audit()
    meta = {k: v for k, v in register.meta.items() if k not in RESERVED_META and k != "created_at"}
    meta.update(copied_from=src.location, copied_at=now_iso())
    changes = ChangeSet(
        new_units=register.units,
        observations=register.observations,
        visits=register.visits,
        boundaries=register.boundaries,
        imports=imports,
        location_checks=src.location_checks(),
        meta=meta,
        keep_ids=True,
        accounts=accounts,
        audit=audit,
    )
    dst: GeoPackageStore | PostgisStore
    if isinstance(where, str):
        dst = PostgisStore(where)
        _write_to_server(dst, changes)
    else:
        dst = _write_to_file(where, changes, replace=replace)
    counts = _counts(register)
    copied = (len(dst.accounts()), len(dst.audit()))
    # cannot happen (one transaction); never report a success unchecked
    if _counts(dst.read()) != counts or copied != (len(accounts), len(audit)):
        raise StoreError(f"Kopie nach {dst.location} ist unvollständig; bitte prüfen.")
    return CopyResult(
        source=src.location, target=dst.location, **counts, imports=len(imports), accounts=len(accounts),
        audit=len(audit),
    )


def _counts(register: Register) -> dict[str, int]:
    visits = 0 if register.visits is None else len(register.visits)
    return {"units": len(register.units), "observations": len(register.observations), "visits": visits}


def _write_to_server(dst: PostgisStore, changes: ChangeSet) -> None:
    """Create the register when the database (schema) has none, and write the copy (refused when not empty)."""
    created = not dst.exists()
    dst.check(create=True)
    written = False
    try:
        dst.write(changes)
        written = True
    finally:
        if created and not written:  # a failed copy (or an interrupt) leaves no empty register behind
            dst.remove_if_empty()


def _write_to_file(path: Path, changes: ChangeSet, *, replace: bool) -> GeoPackageStore:
    if path.exists() and not replace:
        raise InputError(
            f"{path} existiert bereits; nichts kopiert. Eine neue Datei angeben oder mit --replace ersetzen "
            "(die Datei wird erst ersetzt, wenn die Kopie vollständig ist)."
        )
    tmp = path.with_name(f".{path.name}.copy-tmp")
    tmp.unlink(missing_ok=True)
    try:
        GeoPackageStore.create(tmp).write(changes)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return GeoPackageStore(path)
