"""The GeoPackage backend: the register in one GeoPackage file.

The GeoPackage holds these tables that open in QGIS as they are:

``units`` (points)
    One row per commercial unit (Gewerbeeinheit).
``observations`` (attributes, append-only)
    What was seen or reported about a unit on a date. Triggers refuse
    ``UPDATE`` and ``DELETE``; a correction is a new row with ``supersedes``.
``boundaries`` (polygons)
    Ortsteil outlines with their quarter; units' ``ortsteil``/``quarter`` are
    derived from them by spatial join.
``imports`` (attributes)
    One row per import with its validation report.
``visits`` (attributes, append-only)
    Visits of outreach walks; only ``follow_up_done`` may change.

Besides, not as layers and never read with the register: ``accounts`` and the
append-only ``audit`` trail of the app (:mod:`geo.register.store._access`).

The history is append-only against every SQL path, not only this library's:
triggers refuse ``UPDATE`` and ``DELETE`` of observations and an ``INSERT``
that names an existing ``obs_id``/``visit_id`` (``INSERT OR REPLACE`` deletes
the old row without firing ``DELETE`` triggers). Stores of an older schema
version get such additions on open (:data:`geo.register.store._schema.MIGRATIONS`).

A store whose ``qm_meta`` has ``demo = true`` holds the fictional demo: it can
be reset (:func:`geo.register.store.demo.reset_demo_store`) and refuses imports of files, so real data
never lands in a file that may be thrown away. Editing the demo (an
observation or a visit recorded in the app) stays allowed: it is fictional.

Every :meth:`GeoPackageStore.write` is one SQLite transaction: when anything
fails, the file is left exactly as it was. It also raises the store's version
(``change_counter`` in ``qm_meta``, :meth:`GeoPackageStore.version`) by one, in
the same transaction; a write given ``expected_version`` checks it under the
write lock first. A PostGIS backend implements the same
:class:`~geo.register.store.base.Store` protocol.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pyogrio.errors

from geo import settings
from geo._files import atomic_output
from geo.errors import StoreError
from geo.register.history import Register
from geo.register.model import LOCATION_CHECK_COLUMNS, UNIT_COLUMNS, VISIT_COLUMNS
from geo.register.store import _gpkg, _rows
from geo.register.store._access import GpkgAccess, copy_sqlite
from geo.register.store._schema import (
    RESERVED_META,
    SCHEMA_VERSION,
    WRITER_KEY,
    migrate,
    read_change_counter,
    read_schema_version,
    set_change_counter,
)
from geo.register.store._sqlite import (
    insert_ids,
    now_iso,
    records,
    rollback,
    store_error,
)
from geo.register.store.base import (
    FIGURE_OBSERVATION_COLUMNS,
    FIGURE_UNIT_COLUMNS,
    ChangeSet,
    WriteResult,
    conflict_error,
    demo_import_refusal,
    figure_observations,
    normalise_observations,
    normalise_visits,
    not_empty_refusal,
)

_UNIT_ATTRS = _rows.UNIT_ATTRS
_OBS_INSERT = _rows.OBS_INSERT


class GeoPackageStore(GpkgAccess):
    """The register in one GeoPackage file.

    Use :func:`geo.register.store.open_store` to open or create one. Also keeps the app's
    accounts and the audit trail (:class:`~geo.access.accounts.AccessStore`,
    :class:`~geo.register.store._access.GpkgAccess`).
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.location = str(path)
        self.target = str(path)

    # -- connection ------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        try:
            con = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        except sqlite3.Error as exc:
            raise StoreError(f"Register-Datei {self.path} lässt sich nicht öffnen: {exc}") from exc
        con.execute("PRAGMA foreign_keys = ON")
        return con

    def check(self) -> None:
        """Check that the file is a Quartiersmonitor store, and upgrade an older schema version.

        The upgrade (:data:`~geo.register.store._schema.MIGRATIONS`) runs in one transaction. A store that cannot be
        written (read-only file or drive) is left as it is: reading works at every version
        this program knows, and a write would fail anyway.

        Raises
        ------
        StoreError
            Not a store of this program, or not readable.
        SchemaVersionError
            A schema version that is not a number, or newer than this program knows.
        """
        con = self._connect()
        try:
            app_id = con.execute("PRAGMA application_id").fetchone()[0]
            if app_id != _gpkg.APPLICATION_ID:
                raise StoreError(
                    f"{self.path} ist keine GeoPackage-Datei des Quartiersmonitors. "
                    "Erwartet: eine mit 'python -m geo import' oder 'python -m geo demo' angelegte .gpkg-Datei."
                )
            if read_schema_version(con, self.path) < SCHEMA_VERSION:
                self._upgrade(con)
        except sqlite3.Error as exc:
            raise store_error(self.path, exc, writing=False) from exc
        finally:
            con.close()

    def _upgrade(self, con: sqlite3.Connection) -> None:
        try:
            con.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if getattr(exc, "sqlite_errorcode", 0) & 0xFF == sqlite3.SQLITE_READONLY:
                return  # read-only: read as it is; writing would fail anyway
            raise
        committed = False
        try:
            version = read_schema_version(con, self.path)  # again, under the lock
            if version < SCHEMA_VERSION:
                migrate(con, version)
            con.execute("COMMIT")
            committed = True
        except sqlite3.OperationalError as exc:
            if getattr(exc, "sqlite_errorcode", 0) & 0xFF != sqlite3.SQLITE_READONLY:
                raise
        finally:
            if not committed:
                rollback(con)

    def meta(self) -> dict[str, str]:
        """The store's metadata (``qm_meta``), without reading the register."""
        if not self.path.is_file():
            raise StoreError(f"Register-Datei {self.path} nicht gefunden.")
        con = self._connect()
        try:
            return dict(con.execute("SELECT key, value FROM qm_meta").fetchall())
        except sqlite3.Error as exc:
            raise store_error(self.path, exc, writing=False) from exc
        finally:
            con.close()

    @property
    def is_demo(self) -> bool:
        """Whether the store is flagged as the fictional demo (``qm_meta``: ``demo = true``)."""
        return self.meta().get("demo") == "true"

    def version(self) -> int:
        """The store's version: a change counter, one up with every write (one query, no register read).

        Caches key on it instead of the file's time stamp, so several app servers on one file
        see each other's writes; an edit passes the version it read to :meth:`write`
        (``expected_version``). Rows changed by another program (QGIS) raise it too
        (triggers, one per changed row). A store older than schema version 3 that could not
        be upgraded (read-only) has version 0.

        Raises
        ------
        StoreError
            The file is missing or unreadable, or the counter is not a whole number.
        """
        if not self.path.is_file():
            raise StoreError(f"Register-Datei {self.path} nicht gefunden.")
        con = self._connect()
        try:
            return read_change_counter(con, self.path)
        except sqlite3.Error as exc:
            raise store_error(self.path, exc, writing=False) from exc
        finally:
            con.close()

    @classmethod
    def create(cls, path: Path) -> GeoPackageStore:
        """Create an empty store at ``path`` (atomically: a temp file renamed into place)."""
        if path.exists():
            raise StoreError(f"{path} existiert bereits; zum Überschreiben zuerst löschen.")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # a temp file renamed into place, with the permissions of a normally created
            # file (colleagues on a shared drive open the register too)
            with atomic_output(path) as tmp:
                cls._init_schema(tmp)
        except sqlite3.Error as exc:
            raise store_error(path, exc, writing=True) from exc
        except OSError as exc:
            raise StoreError(f"Register {path} lässt sich nicht anlegen: {exc.strerror or exc}") from exc
        return cls(path)

    @staticmethod
    def _init_schema(tmp: Path) -> None:
        """The empty schema of a new store, written into the fresh file ``tmp``."""
        con = sqlite3.connect(tmp, isolation_level=None)
        try:
            # a fresh temp file renamed into place: no transaction needed
            _gpkg.init_core(con)
            migrate(con, 0)
            _gpkg.register_table(
                con, "units", description="Gewerbeeinheiten", geometry_column="geom",
                geometry_type="POINT",
            )
            _gpkg.register_table(
                con, "observations", description="Beobachtungen (nur anfügen)"
            )
            _gpkg.register_table(
                con, "boundaries", description="Ortsteile und Quartiere",
                geometry_column="geom", geometry_type="MULTIPOLYGON",
            )
            _gpkg.register_table(con, "imports", description="Importprotokoll")
            _gpkg.register_table(con, "visits", description="Besuche bei Begehungen")
            con.execute("INSERT INTO qm_meta VALUES ('created_at', ?)", (now_iso(),))
        finally:
            con.close()

    # -- reading -----------------------------------------------------------------
    def read(self, *, unit_ids: Sequence[str] | None = None, figures_only: bool = False) -> Register:
        """Read units, observations, visits and boundaries into a :class:`Register`.

        Parameters
        ----------
        unit_ids
            Read only these units with their observations and visits (an edit of
            one unit need not read a million observations).
        figures_only
            Only the columns the figures need (:data:`~geo.register.store.base.FIGURE_UNIT_COLUMNS`,
            :data:`~geo.register.store.base.FIGURE_OBSERVATION_COLUMNS`); the others stay empty.
        """
        where = None
        if unit_ids is not None:
            quoted = ", ".join("'" + str(u).replace("'", "''") + "'" for u in unit_ids)
            where = f"unit_id IN ({quoted or 'NULL'})"
        con = self._connect()
        try:
            # hold a shared lock for the whole read: no write can commit in between,
            # so units, observations and boundaries are one consistent state
            con.execute("BEGIN")
            meta = dict(con.execute("SELECT key, value FROM qm_meta").fetchall())
            observations = self._read_observations(where, figures_only=figures_only)
            units = self._read_units(where, figures_only=figures_only)
            boundaries = self._read_boundaries(con)
            visits = self._read_visits(con, where)
            con.execute("COMMIT")
        except sqlite3.Error as exc:
            raise store_error(self.path, exc, writing=False) from exc
        except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
            raise StoreError(f"{self.path} lässt sich nicht lesen: {exc}") from exc
        finally:
            con.close()
        return Register(
            units=units, observations=observations, boundaries=boundaries, meta=meta, visits=visits
        )

    def imports(self) -> pd.DataFrame:
        """The ``imports`` table: one row per import with its report (JSON text), by id."""
        con = self._connect()
        try:
            rows = con.execute(f"SELECT import_id, {', '.join(_rows.IMPORT_COLUMNS)} FROM imports ORDER BY import_id")
            return pd.DataFrame.from_records(rows.fetchall(), columns=["import_id", *_rows.IMPORT_COLUMNS])
        except sqlite3.Error as exc:
            raise store_error(self.path, exc, writing=False) from exc
        finally:
            con.close()

    def location_checks(self) -> pd.DataFrame:
        """The location checks, oldest first (none in a store older than schema version 5 opened read-only)."""
        con = self._connect()
        try:
            if con.execute("SELECT 1 FROM sqlite_master WHERE name = 'location_checks'").fetchone() is None:
                return _rows.location_check_frame([])
            cols = ", ".join(LOCATION_CHECK_COLUMNS)
            return _rows.location_check_frame(
                con.execute(f"SELECT {cols} FROM location_checks ORDER BY check_id").fetchall()
            )
        except sqlite3.Error as exc:
            raise store_error(self.path, exc, writing=False) from exc
        finally:
            con.close()

    # Units and observations are read through GDAL's Arrow reader: about eight times
    # faster than sqlite3 row tuples for a million observations.
    def _read_units(self, where: str | None = None, *, figures_only: bool = False) -> gpd.GeoDataFrame:
        columns = FIGURE_UNIT_COLUMNS if figures_only else UNIT_COLUMNS
        frame = pyogrio.read_dataframe(
            self.path, layer="units", columns=list(columns), where=where, use_arrow=True,
            read_geometry=not figures_only,
        )
        geometry = frame["geometry"] if not figures_only else gpd.GeoSeries([None] * len(frame), index=frame.index)
        frame = frame.reindex(columns=list(UNIT_COLUMNS))
        frame["floor_area_m2"] = pd.to_numeric(frame["floor_area_m2"]).astype("float64")
        created = pd.to_datetime(frame["created_at"], utc=True, format="ISO8601")
        frame["created_at"] = created.dt.tz_localize(None)
        return gpd.GeoDataFrame(frame, geometry=geometry.to_numpy(), crs=settings.storage_crs)

    def _read_observations(self, where: str | None = None, *, figures_only: bool = False) -> pd.DataFrame:
        if figures_only:  # GDAL's Arrow table as it comes: no conversions of a million-row frame
            columns = [c for c in FIGURE_OBSERVATION_COLUMNS if c != "obs_id"]
            _, table = pyogrio.read_arrow(
                self.path, layer="observations", columns=columns, read_geometry=False, return_fids=True,
                where=where, datetime_as_string=True,
            )
            names = [c if c in columns else "obs_id" for c in table.column_names]  # the fid column
            return figure_observations(table.rename_columns(names))
        frame = pyogrio.read_dataframe(
            self.path, layer="observations", read_geometry=False, fid_as_index=True, where=where, use_arrow=True,
        )
        frame = frame.rename_axis("obs_id").reset_index().sort_values("obs_id", ignore_index=True)
        return normalise_observations(frame)

    def _read_visits(self, con: sqlite3.Connection, where: str | None = None) -> pd.DataFrame:
        condition = f" WHERE {where}" if where else ""
        rows = con.execute(
            f"SELECT {', '.join(VISIT_COLUMNS)} FROM visits{condition} ORDER BY visit_id"
        ).fetchall()
        return normalise_visits(pd.DataFrame.from_records(rows, columns=list(VISIT_COLUMNS)))

    def _read_boundaries(self, con: sqlite3.Connection) -> gpd.GeoDataFrame:
        rows = con.execute(
            "SELECT name, quarter, source, approximate, geom FROM boundaries ORDER BY fid"
        ).fetchall()
        frame = pd.DataFrame.from_records(rows, columns=["name", "quarter", "source", "approximate", "geom"])
        geometry = _gpkg.decode(frame.pop("geom").tolist())
        frame["approximate"] = frame["approximate"].astype(bool)
        return gpd.GeoDataFrame(frame, geometry=geometry, crs=settings.storage_crs)

    # -- writing -----------------------------------------------------------------
    def write(self, changes: ChangeSet, *, expected_version: int | None = None) -> WriteResult:
        """Apply ``changes`` in one transaction and raise the version by one; on any error nothing is written.

        Parameters
        ----------
        changes
            What to add or change.
        expected_version
            The version the changes were made on (:meth:`version`, e.g. when a form was
            shown). When the store has another one, nothing is written.

        Returns
        -------
        WriteResult
            What was written, with the new ids and the store's new version.

        Raises
        ------
        StoreConflict
            ``expected_version`` was given and the store was changed since (the file is as it was).
        StoreError
            The write was refused or failed (the message names the real cause, e.g. a full
            disk); the file is as it was. Also: an import (``import_record``) into a store
            flagged as demo.
        SchemaVersionError
            The store has a newer schema version than this program knows.
        """
        result = WriteResult()
        con = self._connect()
        try:
            con.execute("BEGIN IMMEDIATE")
            committed = False
            try:
                version = self._prepare(con, changes, expected_version)
                # mark the write as ours for its duration: the counting triggers skip it
                con.execute("INSERT INTO qm_meta (key, value) VALUES (?, 'quartiersmonitor')", (WRITER_KEY,))
                self._apply(con, changes, result)
                con.execute("DELETE FROM qm_meta WHERE key = ?", (WRITER_KEY,))
                # a write through this library counts once
                result.version = version + 1
                set_change_counter(con, result.version)
                con.execute("COMMIT")
                committed = True
            finally:
                if not committed:  # any error, Ctrl-C included: leave the file as it was
                    rollback(con)
        except sqlite3.Error as exc:
            raise store_error(self.path, exc, writing=True) from exc
        finally:
            con.close()
        return result

    def _prepare(self, con: sqlite3.Connection, changes: ChangeSet, expected_version: int | None) -> int:
        """Inside the write transaction: upgrade the schema, check the version, refuse imports into a demo.

        Returns the store's version before the write.
        """
        schema = read_schema_version(con, self.path)
        if schema < SCHEMA_VERSION:
            migrate(con, schema)
        version = read_change_counter(con, self.path)
        if expected_version is not None and version != expected_version:
            raise conflict_error(self.location, version=version, expected=expected_version)
        if changes.import_record is not None:
            demo = con.execute("SELECT value FROM qm_meta WHERE key = 'demo'").fetchone()
            if demo is not None and demo[0] == "true":
                raise StoreError(demo_import_refusal(self.path))
        if changes.keep_ids and con.execute("SELECT EXISTS (SELECT 1 FROM units)").fetchone()[0]:
            raise StoreError(not_empty_refusal(self.location))
        return version

    def _apply(self, con: sqlite3.Connection, changes: ChangeSet, result: WriteResult) -> None:
        import_id = None
        if changes.meta:
            con.executemany(
                "INSERT INTO qm_meta (key, value) VALUES (?, ?)"
                " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [(k, v) for k, v in changes.meta.items() if k not in RESERVED_META],
            )
        if changes.import_record is not None:
            row = _rows.import_row(
                changes.import_record,
                units_added=0 if changes.new_units is None else len(changes.new_units),
                observations_added=0 if changes.observations is None else len(changes.observations),
            )
            cur = con.execute(
                f"INSERT INTO imports ({', '.join(_rows.IMPORT_COLUMNS)}) VALUES (?,?,?,?,?,?,?)", row
            )
            import_id = cur.lastrowid
            result.import_id = import_id
        if changes.keep_ids and changes.imports is not None and len(changes.imports):
            cols = ["import_id", *_rows.IMPORT_COLUMNS]
            con.executemany(
                f"INSERT INTO imports ({', '.join(cols)}) VALUES ({','.join('?' * len(cols))})",
                records(_rows.kept_imports(changes.imports), cols),
            )

        if changes.boundaries is not None:
            b = changes.boundaries.to_crs(settings.storage_crs)
            con.execute("DELETE FROM boundaries")
            blobs = _gpkg.encode(b.geometry)
            con.executemany(
                "INSERT INTO boundaries (name, quarter, source, approximate, geom) VALUES (?,?,?,?,?)",
                [
                    (*row, blob)
                    for row, blob in zip(
                        records(b, ["name", "quarter", "source", "approximate"]), blobs, strict=True
                    )
                ],
            )
            _gpkg.touch_table(con, "boundaries", b.total_bounds if len(b) else None)

        if changes.new_units is not None and len(changes.new_units):
            u = _rows.new_units(changes.new_units)
            blobs = _gpkg.encode(u.geometry)
            placeholders = ",".join("?" * (len(_UNIT_ATTRS) + 1))
            con.executemany(
                f"INSERT INTO units ({', '.join(_UNIT_ATTRS)}, geom) VALUES ({placeholders})",
                [(*row, blob) for row, blob in zip(records(u, _UNIT_ATTRS), blobs, strict=True)],
            )
            result.units_added = len(u)

        if changes.unit_updates is not None and len(changes.unit_updates):
            upd = changes.unit_updates
            attrs = [c for c in upd.columns if c in _UNIT_ATTRS and c != "unit_id"]
            for col in attrs:
                part = upd.loc[upd[col].notna(), ["unit_id", col]]
                if len(part):
                    con.executemany(
                        f"UPDATE units SET {col} = ? WHERE unit_id = ?",
                        [(v, uid) for uid, v in records(part, ["unit_id", col])],
                    )
            if "geometry" in upd.columns:
                part = upd.loc[upd["geometry"].notna(), ["unit_id", "geometry"]]
                con.executemany(
                    "UPDATE units SET geom = ? WHERE unit_id = ?",
                    list(zip(_gpkg.encode(part["geometry"]), part["unit_id"], strict=True)),
                )
            result.units_updated = int(upd["unit_id"].nunique())

        if changes.area_assignments is not None and len(changes.area_assignments):
            con.executemany(
                "UPDATE units SET ortsteil = ?, quarter = ? WHERE unit_id = ?",
                records(changes.area_assignments, ["ortsteil", "quarter", "unit_id"]),
            )
            result.units_updated = max(result.units_updated, len(changes.area_assignments))

        if changes.observations is not None and len(changes.observations):
            o = _rows.new_observations(changes.observations, import_id=import_id)
            cols = ["obs_id", *_OBS_INSERT] if changes.keep_ids else _OBS_INSERT
            result.obs_ids = insert_ids(
                con, "observations", "obs_id",
                f"INSERT INTO observations ({', '.join(cols)}) VALUES ({','.join('?' * len(cols))})",
                records(o, cols),
            )
            result.observations_added = len(o)

        if changes.visits is not None and len(changes.visits):
            v = _rows.new_visits(changes.visits, result.obs_ids)
            cols = ["visit_id", *_rows.VISIT_INSERT] if changes.keep_ids else _rows.VISIT_INSERT
            result.visit_ids = insert_ids(
                con, "visits", "visit_id",
                f"INSERT INTO visits ({', '.join(cols)}) VALUES ({','.join('?' * len(cols))})",
                records(v, cols),
            )
            _gpkg.touch_table(con, "visits")

        if changes.location_checks is not None and len(changes.location_checks):
            c = _rows.new_location_checks(changes.location_checks)
            cols = ["check_id", *_rows.CHECK_INSERT] if changes.keep_ids else _rows.CHECK_INSERT
            con.executemany(
                f"INSERT INTO location_checks ({', '.join(cols)}) VALUES ({','.join('?' * len(cols))})",
                records(c, cols),
            )
            _gpkg.touch_table(con, "location_checks")

        if changes.follow_ups_done:
            con.executemany(
                "UPDATE visits SET follow_up_done = 1 WHERE visit_id = ?",
                [(int(i),) for i in changes.follow_ups_done],
            )
        if changes.keep_ids:  # a copy: accounts and audit trail too
            copy_sqlite(con, changes.accounts or [], changes.audit)

        if result.units_added or result.units_updated:
            _gpkg.touch_table(con, "units", self._unit_bounds(con))
        if result.observations_added:
            _gpkg.touch_table(con, "observations")

    @staticmethod
    def _unit_bounds(con: sqlite3.Connection) -> tuple[float, float, float, float] | None:
        blobs = [r[0] for r in con.execute("SELECT geom FROM units WHERE geom IS NOT NULL")]
        if not blobs:
            return None
        geoms = _gpkg.decode(blobs)
        return tuple(gpd.GeoSeries(geoms).total_bounds)

