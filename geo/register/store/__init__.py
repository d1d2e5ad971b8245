"""The register store: the register behind a small interface a second backend can implement.

- :mod:`~geo.register.store.base`: the :class:`Store` protocol every backend offers (``read``,
  ``write`` of a :class:`ChangeSet` in one transaction, ``version``), :class:`WriteResult`;
- :mod:`~geo.register.store.gpkg`: :class:`GeoPackageStore`, the register in one GeoPackage file;
- :mod:`~geo.register.store.postgis`: :class:`PostgisStore`, the register in a PostgreSQL/PostGIS
  database shared by several users (named by a ``postgresql://`` URL);
- :mod:`~geo.register.store.demo`: the demo flag, the demo working copy and its reset;
- plumbing: ``_schema`` (the numbered steps of both backends, version numbers), ``_rows`` (what a
  write's frames become), ``_sqlite`` (values, errors, ids), ``_gpkg`` (GeoPackage core tables and
  geometry blobs) and ``_pg`` (PostgreSQL URL, connection, errors, COPY).

:func:`open_store` is the one place a store is opened by name: a ``postgresql://`` URL gives a
:class:`PostgisStore`, anything else a :class:`GeoPackageStore`.

The store's version (:meth:`Store.version`) is a change counter kept in the database: one up
with every write. Caches key on it; an edit passes the version it was made on
(``write(changes, expected_version=...)``) and gets :class:`geo.errors.StoreConflict` when
someone else wrote meanwhile.
"""

from __future__ import annotations

import os

from geo import settings
from geo.errors import StoreError
from geo.register.store._pg import mask_url
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
from geo.register.store.postgis import PostgisStore

__all__ = [
    "SCHEMA_VERSION",
    "ChangeSet",
    "GeoPackageStore",
    "PostgisStore",
    "Store",
    "WriteResult",
    "demo_import_refusal",
    "demo_working_copy",
    "is_demo_store",
    "normalise_observations",
    "normalise_visits",
    "open_store",
    "remove_new_store",
    "store_exists",
    "reset_demo_store",
]


def open_store(
    path: str | os.PathLike[str] | None = None, *, create: bool = False
) -> GeoPackageStore | PostgisStore:
    """Open the register store named by ``path`` (an older schema version is upgraded).

    Parameters
    ----------
    path
        A ``.gpkg`` file, or the URL of a register on a PostgreSQL/PostGIS server
        (``postgresql://benutzer@rechner:5432/datenbank``; see :mod:`geo.register.store.postgis`).
        Default: the register the user named (:func:`geo.settings.named_store_path`:
        ``settings.default_store_path`` or ``QM_STORE``), else the working copy of the demo
        register (:func:`demo_working_copy`) — for reading and for editing the fictional
        demo. Commands that write real data name their store (see :mod:`geo.cli`).
    create
        Create an empty store when the file does not exist (or the database has none).

    Raises
    ------
    StoreError
        The file does not exist (and ``create`` is false) or is not a store; the server cannot be
        reached (the message names host and database, never a password).
    SchemaVersionError
        The store has a newer or an unreadable schema version.
    """
    if path is None:
        target = settings.named_store_path() or demo_working_copy()
    else:
        target = settings.store_location(path)
    if isinstance(target, str):
        if not settings.is_store_url(target):
            raise StoreError(
                f"Register-Adresse {mask_url(target)} unbekannt: erwartet eine .gpkg-Datei oder die URL eines "
                "PostGIS-Registers (postgresql://benutzer@rechner:5432/datenbank)."
            )
        server = PostgisStore(target)
        server.check(create=create)
        return server
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


def store_exists(location: str | os.PathLike[str]) -> bool:
    """Whether a register is at ``location``: the file exists, or the database (schema) holds one.

    Raises
    ------
    StoreError
        A server named by a URL cannot be reached.
    """
    target = settings.store_location(location)
    if isinstance(target, str):
        return PostgisStore(target).exists()
    return target.exists()


def remove_new_store(location: str | os.PathLike[str]) -> None:
    """Undo the creation of a store whose first write failed: the file is deleted, the empty tables dropped."""
    target = settings.store_location(location)
    if isinstance(target, str):
        PostgisStore(target).remove_if_empty()
    else:
        target.unlink(missing_ok=True)
