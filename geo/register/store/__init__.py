"""The register store: the register behind a small interface a second backend can implement.

- :mod:`~geo.register.store.base`: the :class:`Store` protocol every backend offers (``read``,
  ``write`` of a :class:`ChangeSet` in one transaction, ``version``), :class:`WriteResult`;
- :mod:`~geo.register.store.gpkg`: :class:`GeoPackageStore`, the register in one GeoPackage file
  (a PostGIS backend will implement the same protocol);
- :mod:`~geo.register.store.demo`: the demo flag, the demo working copy and its reset;
- plumbing: ``_schema`` (tables, numbered upgrade steps, version numbers), ``_sqlite`` (values,
  errors, ids) and ``_gpkg`` (GeoPackage core tables and geometry blobs).

The store's version (:meth:`Store.version`) is a change counter kept in the database: one up
with every write. Caches key on it; an edit passes the version it was made on
(``write(changes, expected_version=...)``) and gets :class:`geo.errors.StoreConflict` when
someone else wrote meanwhile.
"""

from __future__ import annotations

import os
from pathlib import Path

from geo import settings
from geo.errors import StoreError
from geo.register.store._schema import SCHEMA_VERSION
from geo.register.store.base import (
    ChangeSet,
    Store,
    WriteResult,
    demo_import_refusal,
    normalise_observations,
    normalise_visits,
)
from geo.register.store.demo import demo_working_copy, is_demo_store, reset_demo_store
from geo.register.store.gpkg import GeoPackageStore

__all__ = [
    "SCHEMA_VERSION",
    "ChangeSet",
    "GeoPackageStore",
    "Store",
    "WriteResult",
    "demo_import_refusal",
    "demo_working_copy",
    "is_demo_store",
    "normalise_observations",
    "normalise_visits",
    "open_store",
    "reset_demo_store",
]


def open_store(path: str | os.PathLike[str] | None = None, *, create: bool = False) -> GeoPackageStore:
    """Open the register store at ``path`` (an older schema version is upgraded).

    Parameters
    ----------
    path
        A ``.gpkg`` file. Default: the register the user named
        (:func:`geo.settings.named_store_path`: ``settings.default_store_path`` or
        ``QM_STORE``), else the working copy of the demo register
        (:func:`demo_working_copy`) — for reading and for editing the fictional
        demo. Commands that write real data name their store (see :mod:`geo.cli`).
    create
        Create an empty store when the file does not exist.

    Raises
    ------
    StoreError
        The file does not exist (and ``create`` is false) or is not a store.
    SchemaVersionError
        The store has a newer or an unreadable schema version.
    """
    if path is None:
        target = settings.named_store_path() or demo_working_copy()
    else:
        target = Path(path)
    if not target.exists():
        if create:
            return GeoPackageStore.create(target)
        raise StoreError(
            f"Register-Datei {target} nicht gefunden. Anlegen mit 'python -m geo import DATEI "
            f"--store {target}' oder 'python -m geo demo --store {target}'."
        )
    store = GeoPackageStore(target)
    store.check()
    return store

