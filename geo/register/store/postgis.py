"""The PostGIS backend: the register in a PostgreSQL database, shared by several users.

Named by a URL (``--store postgresql://benutzer@rechner:5432/datenbank`` or ``QM_STORE``); the
tables live in the first schema of the connection's ``search_path`` (another schema:
``?options=-csearch_path%3Dname,public``). They are the GeoPackage's tables with native
types (dates, times in UTC, booleans, ``geometry(Point, 4326)`` / ``geometry(MultiPolygon,
4326)`` with GiST indexes), so QGIS opens ``units``, ``boundaries`` and ``observations`` as
layers. The schema is made and upgraded by the same numbered steps as the GeoPackage file
(:data:`geo.register.store._schema.MIGRATIONS`), recorded in ``qm_migrations``.

The rules of :class:`~geo.register.store.gpkg.GeoPackageStore` hold here too:

- every :meth:`PostgisStore.write` is one transaction: all of it or nothing;
- observations and visits are append-only in the database: triggers refuse ``UPDATE``,
  ``DELETE`` and ``TRUNCATE`` (of visits, only ``follow_up_done`` may change), whoever writes;
- the version (:meth:`PostgisStore.version`) is a change counter: one up per write of this
  program, one up per row another program (QGIS) changes. A write locks the counter row
  (``SELECT ... FOR UPDATE``) first, so writers from several app servers take turns; one
  given ``expected_version`` gets :class:`~geo.errors.StoreConflict` when the register
  changed meanwhile, and nothing is written. Other programs' changes are counted in
  ``qm_changes`` (one row per transaction) without waiting for that lock;
- a store flagged as demo refuses imports.

Reading takes one snapshot (``REPEATABLE READ``) and moves units and observations through
``COPY`` as CSV parsed by Arrow: a million observations in about a second.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from geo import settings
from geo.errors import StoreError
from geo.register.history import Register
from geo.register.model import LOCATION_CHECK_COLUMNS
from geo.register.store import _pg_frames, _rows
from geo.register.store._access import PostgisAccess, copy_postgres
from geo.register.store._pg import HAS_TABLE, connect, copy_in, mask_url, pg_error
from geo.register.store._pg_schema import (
    SCHEMA_LOCK,
    drop_tables,
    migrate,
    prepare_empty,
    schema_name,
    schema_version,
)
from geo.register.store._schema import (
    RESERVED_META,
    SCHEMA_VERSION,
    WRITER_SETTING,
    check_change_counter,
)
from geo.register.store._sqlite import now_iso, records
from geo.register.store.base import (
    ChangeSet,
    WriteResult,
    conflict_error,
    demo_import_refusal,
    not_empty_refusal,
)

if TYPE_CHECKING:
    import psycopg

#: Deadlocks (another program holding rows a write needs) and serialisation failures are retried.
_WRITE_TRIES = 3


class PostgisStore(PostgisAccess):
    """The register in a PostgreSQL/PostGIS database.

    Use :func:`geo.register.store.open_store` with a ``postgresql://`` URL to open or create one.
    Also keeps the app's accounts and the audit trail (:class:`~geo.access.accounts.AccessStore`,
    :class:`~geo.register.store._access.PostgisAccess`).

    Attributes
    ----------
    location
        The URL without its password (for messages).
    target
        The URL as given (with a password, if it has one): never shown.
    """

    def __init__(self, url: str) -> None:
        self.target = url
        self.location = mask_url(url)
        self._local = threading.local()  # the connection each thread reuses (:meth:`_connect`)

    def _connect(self) -> psycopg.Connection[Any]:
        """A connection for one call: the one this thread used last, when still fine, else a new one.

        Autocommit: each transaction is an explicit ``con.transaction()`` block. Reusing the
        connection saves the connection setup (about 10 ms) per call, e.g. ``version()`` on every
        rerun of a page.
        """
        import psycopg

        cached = getattr(self._local, "con", None)
        self._local.con = None
        if cached is not None:
            if (
                getattr(self._local, "pid", None) == os.getpid()
                and not cached.closed
                and not cached.broken
                and cached.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
            ):
                return cached  # type: ignore[no-any-return]
            if getattr(self._local, "pid", None) == os.getpid():
                cached.close()
        return connect(self.target, autocommit=True)

    def _release(self, con: psycopg.Connection[Any]) -> None:
        """Keep ``con`` for the next call of this thread when it is idle and healthy; else close it."""
        import psycopg

        if con.closed or con.broken or con.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            con.close()
            return
        old = getattr(self._local, "con", None)
        if old is not None and old is not con:
            old.close()
        self._local.con, self._local.pid = con, os.getpid()

    def _error(self, exc: Exception, *, writing: bool) -> StoreError:
        return pg_error(self.target, exc, writing=writing)

    # -- schema ------------------------------------------------------------------
    def check(self, *, create: bool = False) -> None:
        """Check that the database (schema) holds a register; upgrade an older one, or create one.

        Parameters
        ----------
        create
            Make an empty register (with PostGIS) when the schema has none.

        Raises
        ------
        StoreError
            No register there (and ``create`` is false), foreign tables in the way, PostGIS
            missing, the server not reachable.
        SchemaVersionError
            A schema version that is not a number, or newer than this program knows.
        """
        import psycopg

        con = self._connect()
        version = None
        try:
            version = schema_version(con, self.location)
            if version is None and not create:
                raise StoreError(
                    f"{self.location} enthält kein Register des Quartiersmonitors (Tabelle qm_meta fehlt im "
                    f"Schema {schema_name(con)}). Anlegen mit 'python -m geo import DATEI --store URL' oder "
                    "'python -m geo store copy register.gpkg URL'."
                )
            if version is None or version < SCHEMA_VERSION:
                self._upgrade(con)
        except psycopg.errors.InsufficientPrivilege as exc:
            if version is None:  # creating needs the right to create tables: say so
                raise self._error(exc, writing=True) from None
            # a reading role cannot upgrade: read as it is (this program reads every older version)
        except psycopg.Error as exc:
            raise self._error(exc, writing=create) from None
        finally:
            self._release(con)

    def exists(self) -> bool:
        """Whether the database (the schema of the URL's ``search_path``) holds a register.

        Raises
        ------
        StoreError
            The server cannot be reached.
        """
        import psycopg

        con = self._connect()
        try:
            return con.execute(HAS_TABLE, ("qm_meta",)).fetchone() == (True,)
        except psycopg.Error as exc:
            raise self._error(exc, writing=False) from None
        finally:
            self._release(con)

    def remove_if_empty(self) -> None:
        """Drop the register's tables when it holds no unit, observation or visit (a creation undone).

        Used when the first write into a register just created failed, so that a failed import
        leaves the database as it was.
        """
        import psycopg

        con = self._connect()
        try:
            with con.transaction():
                con.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
                if con.execute(HAS_TABLE, ("qm_meta",)).fetchone() != (True,):
                    return
                used = con.execute(
                    "SELECT EXISTS (SELECT 1 FROM units) OR EXISTS (SELECT 1 FROM observations)"
                    " OR EXISTS (SELECT 1 FROM visits)"
                ).fetchone()
                if used == (True,):
                    return
                drop_tables(con)
        except psycopg.Error as exc:
            raise self._error(exc, writing=True) from None
        finally:
            self._release(con)

    def _upgrade(self, con: psycopg.Connection[Any]) -> None:
        """Create the register or apply the steps it lacks, in one transaction (one process at a time)."""
        with con.transaction():
            con.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
            version = schema_version(con, self.location)  # again, under the lock
            if version is None:
                prepare_empty(con, self.location)
                version = 0
            if version < SCHEMA_VERSION:
                migrate(con, version)
            if version == 0:
                con.execute("INSERT INTO qm_meta (key, value) VALUES ('created_at', %s)", (now_iso(),))

    # -- small reads ---------------------------------------------------------------
    def _version(self, con: psycopg.Connection[Any]) -> int:
        row = con.execute(
            "SELECT (SELECT value FROM qm_meta WHERE key = 'change_counter'),"
            " (SELECT COALESCE(sum(changed_rows), 0) FROM qm_changes)"
        ).fetchone()
        assert row is not None
        return 0 if row[0] is None else check_change_counter(row[0], self.location) + int(row[1])

    def version(self) -> int:
        """The store's version: a change counter, one up with every write (one query, no register read).

        Writes of this program count once; rows changed by another program (QGIS) count one each.

        Raises
        ------
        StoreError
            The server is not reachable, the schema holds no register, or the counter is not a
            whole number.
        """
        import psycopg

        con = self._connect()
        try:
            return self._version(con)
        except psycopg.Error as exc:
            raise self._error(exc, writing=False) from None
        finally:
            self._release(con)

    def _meta(self, con: psycopg.Connection[Any]) -> dict[str, str]:
        meta = {str(k): str(v) for k, v in con.execute("SELECT key, value FROM qm_meta ORDER BY key").fetchall()}
        meta["change_counter"] = str(self._version(con))
        return meta

    def meta(self) -> dict[str, str]:
        """The store's metadata (``qm_meta``; ``change_counter`` is the version), without reading the register."""
        import psycopg

        con = self._connect()
        try:
            with con.transaction():
                con.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                return self._meta(con)
        except psycopg.Error as exc:
            raise self._error(exc, writing=False) from None
        finally:
            self._release(con)

    @property
    def is_demo(self) -> bool:
        """Whether the store is flagged as the fictional demo (``qm_meta``: ``demo = true``)."""
        return self.meta().get("demo") == "true"

    def imports(self) -> pd.DataFrame:
        """The ``imports`` table: one row per import with its report (JSON text), by id."""
        import psycopg

        con = self._connect()
        try:
            rows = con.execute(
                "SELECT import_id, file_name, to_char(imported_at, 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), mode,"
                " rows_read, units_added, observations_added, report FROM imports ORDER BY import_id"
            ).fetchall()
        except psycopg.Error as exc:
            raise self._error(exc, writing=False) from None
        finally:
            self._release(con)
        return pd.DataFrame.from_records(rows, columns=["import_id", *_rows.IMPORT_COLUMNS])

    def location_checks(self) -> pd.DataFrame:
        """The location checks, oldest first (none in a register before schema version 5)."""
        import psycopg

        select = ", ".join(
            f"to_char({c} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')" if c == "recorded_at" else c
            for c in LOCATION_CHECK_COLUMNS
        )
        con = self._connect()
        try:
            if con.execute(HAS_TABLE, ("location_checks",)).fetchone() != (True,):
                return _rows.location_check_frame([])
            rows = con.execute(f"SELECT {select} FROM location_checks ORDER BY check_id").fetchall()
        except psycopg.Error as exc:
            raise self._error(exc, writing=False) from None
        finally:
            self._release(con)
        return _rows.location_check_frame(rows)

    # -- reading -----------------------------------------------------------------
    def read(self, *, unit_ids: Sequence[str] | None = None, figures_only: bool = False) -> Register:
        """Read units, observations, visits and boundaries into a :class:`Register` (one snapshot).

        Parameters
        ----------
        unit_ids
            Read only these units with their observations and visits.
        figures_only
            Only the columns the figures need (:data:`~geo.register.store.base.FIGURE_UNIT_COLUMNS`,
            :data:`~geo.register.store.base.FIGURE_OBSERVATION_COLUMNS`); the others stay empty.
        """
        import psycopg

        where, params = "", None
        if unit_ids is not None:
            where, params = " WHERE unit_id = ANY(%s)", [[str(u) for u in unit_ids]]
        con = self._connect()
        try:
            with con.transaction():
                con.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                meta = self._meta(con)
                with con.cursor() as cur:
                    units = _pg_frames.read_units(cur, where, params, figures_only=figures_only)
                    observations = _pg_frames.read_observations(
                        cur, where, params, figures_only=figures_only, url=self.target
                    )
                    boundaries = _pg_frames.read_boundaries(cur)
                    visits = _pg_frames.read_visits(cur, where, params)
        except psycopg.Error as exc:
            raise self._error(exc, writing=False) from None
        finally:
            self._release(con)
        return Register(units=units, observations=observations, boundaries=boundaries, meta=meta, visits=visits)

    # -- writing -----------------------------------------------------------------
    def write(self, changes: ChangeSet, *, expected_version: int | None = None) -> WriteResult:
        """Apply ``changes`` in one transaction and raise the version by one; on any error nothing is written.

        Parameters
        ----------
        changes
            What to add or change.
        expected_version
            The version the changes were made on (:meth:`version`). When the store has another
            one, nothing is written.

        Returns
        -------
        WriteResult
            What was written, with the new ids and the store's new version.

        Raises
        ------
        StoreConflict
            ``expected_version`` was given and the store was changed since (nothing written).
        StoreError
            The write was refused or failed (the message names the cause); nothing written.
            Also: an import (``import_record``) into a store flagged as demo.
        SchemaVersionError
            The store has a newer schema version than this program knows.
        """
        import psycopg

        for attempt in range(1, _WRITE_TRIES + 1):
            try:
                return self._write(changes, expected_version)
            except (psycopg.errors.DeadlockDetected, psycopg.errors.SerializationFailure) as exc:
                if attempt == _WRITE_TRIES:
                    raise self._error(exc, writing=True) from None
            except psycopg.Error as exc:
                raise self._error(exc, writing=True) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _write(self, changes: ChangeSet, expected_version: int | None) -> WriteResult:
        result = WriteResult()
        con = self._connect()
        try:
            with con.transaction(), con.cursor() as cur:  # any error, Ctrl-C included: rolled back
                version = self._prepare(con, changes, expected_version)
                # mark the write as ours for its transaction: the counting triggers skip it
                cur.execute("SELECT set_config(%s, 'on', true)", (WRITER_SETTING,))
                self._apply(cur, changes, result)
                result.version = version + 1  # a write through this library counts once
                cur.execute(
                    "UPDATE qm_meta SET value = %s WHERE key = 'change_counter'", (str(result.version),)
                )
        finally:
            self._release(con)
        return result

    def _upgraded(self, con: psycopg.Connection[Any]) -> None:
        """Inside a write transaction: a register of an older schema version receives the steps it lacks."""
        schema = schema_version(con, self.location)
        if schema is None:
            raise StoreError(f"{self.location} enthält kein Register des Quartiersmonitors (Tabelle qm_meta fehlt).")
        if schema < SCHEMA_VERSION:
            con.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
            schema = schema_version(con, self.location) or 0  # again, under the lock
            if schema < SCHEMA_VERSION:
                migrate(con, schema)

    def _prepare(self, con: psycopg.Connection[Any], changes: ChangeSet, expected_version: int | None) -> int:
        """Inside the write transaction: upgrade, lock the counter, check the version; refuse imports into a demo.

        Returns the store's version before the write.
        """
        self._upgraded(con)
        # writers take turns here; another program's edits are not held up (qm_changes)
        row = con.execute("SELECT value FROM qm_meta WHERE key = 'change_counter' FOR UPDATE").fetchone()
        if row is None:
            raise StoreError(f"{self.location}: der Änderungszähler (change_counter) fehlt in qm_meta.")
        # fold the changes other programs committed into the counter (rolled back with a refusal)
        folded = con.execute(
            "WITH gone AS (DELETE FROM qm_changes RETURNING changed_rows)"
            " SELECT COALESCE(sum(changed_rows), 0) FROM gone"
        ).fetchone()
        version = check_change_counter(row[0], self.location) + int(folded[0] if folded else 0)
        if expected_version is not None and version != expected_version:
            raise conflict_error(self.location, version=version, expected=expected_version)
        if changes.import_record is not None:
            demo = con.execute("SELECT value FROM qm_meta WHERE key = 'demo'").fetchone()
            if demo is not None and demo[0] == "true":
                raise StoreError(demo_import_refusal(self.location))
        if changes.keep_ids and con.execute("SELECT EXISTS (SELECT 1 FROM units)").fetchone() == (True,):
            raise StoreError(not_empty_refusal(self.location))
        return version

    def _apply(self, cur: psycopg.Cursor[Any], changes: ChangeSet, result: WriteResult) -> None:
        import_id = None
        if changes.meta:
            cur.executemany(
                "INSERT INTO qm_meta (key, value) VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [(k, v) for k, v in changes.meta.items() if k not in RESERVED_META],
            )
        if changes.import_record is not None:
            row = _rows.import_row(
                changes.import_record,
                units_added=0 if changes.new_units is None else len(changes.new_units),
                observations_added=0 if changes.observations is None else len(changes.observations),
            )
            found = cur.execute(
                f"INSERT INTO imports ({', '.join(_rows.IMPORT_COLUMNS)}) VALUES (%s,%s,%s,%s,%s,%s,%s)"
                " RETURNING import_id",
                row,
            ).fetchone()
            assert found is not None
            import_id = result.import_id = int(found[0])
        if changes.keep_ids and changes.imports is not None and len(changes.imports):
            cols = ["import_id", *_rows.IMPORT_COLUMNS]
            copy_in(cur, "imports", cols, records(_rows.kept_imports(changes.imports), cols))

        if changes.boundaries is not None:
            b = changes.boundaries.to_crs(settings.storage_crs)
            cur.execute("DELETE FROM boundaries")
            copy_in(
                cur, "boundaries", ["name", "quarter", "source", "approximate", "geom"],
                [
                    (*row, geom)
                    for row, geom in zip(
                        records(b, ["name", "quarter", "source", "approximate"]), _pg_frames.ewkb(b.geometry, multi=True),
                        strict=True,
                    )
                ],
            )

        if changes.new_units is not None and len(changes.new_units):
            u = _rows.new_units(changes.new_units)
            copy_in(
                cur, "units", [*_rows.UNIT_ATTRS, "geom"],
                [(*row, geom) for row, geom in zip(records(u, _rows.UNIT_ATTRS), _pg_frames.ewkb(u.geometry), strict=True)],
            )
            result.units_added = len(u)

        if changes.unit_updates is not None and len(changes.unit_updates):
            upd = changes.unit_updates
            attrs = [c for c in upd.columns if c in _rows.UNIT_ATTRS and c != "unit_id"]
            if "geometry" in upd.columns:
                attrs.append("geometry")
            if attrs:  # per column the last value given wins, a missing one keeps the stored value
                last = upd[["unit_id", *attrs]].groupby("unit_id", sort=False).last().reset_index()
                _pg_frames.update_units(cur, last, attrs, keep_missing=True)
            result.units_updated = int(upd["unit_id"].nunique())

        if changes.area_assignments is not None and len(changes.area_assignments):
            areas = changes.area_assignments.drop_duplicates("unit_id", keep="last")
            _pg_frames.update_units(cur, areas, ["ortsteil", "quarter"], keep_missing=False)
            result.units_updated = max(result.units_updated, len(changes.area_assignments))

        if changes.observations is not None and len(changes.observations):
            o = _rows.new_observations(changes.observations, import_id=import_id)
            if not changes.keep_ids:
                o["obs_id"] = _pg_frames.new_ids(cur, "observations", "obs_id", len(o))
            copy_in(cur, "observations", ["obs_id", *_rows.OBS_INSERT], records(o, ["obs_id", *_rows.OBS_INSERT]))
            result.obs_ids = [int(i) for i in o["obs_id"]]
            result.observations_added = len(o)

        if changes.visits is not None and len(changes.visits):
            v = _rows.new_visits(changes.visits, result.obs_ids)
            if not changes.keep_ids:
                v["visit_id"] = _pg_frames.new_ids(cur, "visits", "visit_id", len(v))
            copy_in(cur, "visits", ["visit_id", *_rows.VISIT_INSERT], records(v, ["visit_id", *_rows.VISIT_INSERT]))
            result.visit_ids = [int(i) for i in v["visit_id"]]

        if changes.location_checks is not None and len(changes.location_checks):
            c = _rows.new_location_checks(changes.location_checks)
            if not changes.keep_ids:
                c["check_id"] = _pg_frames.new_ids(cur, "location_checks", "check_id", len(c))
            cols = ["check_id", *_rows.CHECK_INSERT]
            copy_in(cur, "location_checks", cols, records(c, cols))

        if changes.follow_ups_done:
            cur.executemany(
                "UPDATE visits SET follow_up_done = true WHERE visit_id = %s",
                [(int(i),) for i in changes.follow_ups_done],
            )
        if changes.keep_ids:  # a copy: accounts and audit trail too
            copy_postgres(cur, changes.accounts or [], changes.audit)

        if changes.keep_ids:  # later ids continue after the copied ones
            for table, column in (
                ("observations", "obs_id"), ("visits", "visit_id"), ("imports", "import_id"),
                ("location_checks", "check_id"),
            ):
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), max({column}))"
                    f" FROM {table} HAVING max({column}) IS NOT NULL"
                )
