"""The register store: one GeoPackage file behind a small interface.

The GeoPackage holds four tables that open in QGIS as they are:

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

Every :meth:`GeoPackageStore.write` is one SQLite transaction: when anything
fails, the file is left exactly as it was. A PostGIS backend implements the
same :class:`Store` protocol.
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyogrio.errors

from geo import _gpkg, settings
from geo.errors import SchemaVersionError, StoreError
from geo.model import OBSERVATION_COLUMNS, STATUSES, UNIT_COLUMNS, VISIT_COLUMNS, VISIT_OUTCOMES
from geo.register import Register

#: Version of the store schema. Opening a store of another version is refused.
SCHEMA_VERSION = 1

_STATUS_CHECK = ", ".join(f"'{s}'" for s in STATUSES)
_OUTCOME_CHECK = ", ".join(f"'{o}'" for o in VISIT_OUTCOMES)

_SCHEMA = f"""
CREATE TABLE qm_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE imports (
  import_id INTEGER PRIMARY KEY AUTOINCREMENT,
  file_name TEXT NOT NULL, imported_at DATETIME NOT NULL, mode TEXT,
  rows_read INTEGER, units_added INTEGER, observations_added INTEGER, report TEXT);
CREATE TABLE units (
  fid INTEGER PRIMARY KEY AUTOINCREMENT, geom POINT,
  unit_id TEXT NOT NULL UNIQUE, street TEXT, housenumber TEXT, postcode TEXT,
  address_note TEXT, position TEXT, floor_area_m2 REAL, use_class TEXT,
  ortsteil TEXT, quarter TEXT,
  owner_name TEXT, contact_person TEXT, contact_phone TEXT, contact_email TEXT,
  created_at DATETIME);
CREATE TABLE observations (
  obs_id INTEGER PRIMARY KEY AUTOINCREMENT,
  unit_id TEXT NOT NULL REFERENCES units(unit_id),
  observed_on DATE NOT NULL,
  status TEXT NOT NULL CHECK (status IN ({_STATUS_CHECK})),
  business_name TEXT, sector TEXT, confidence TEXT, source TEXT, note TEXT,
  new_settlement BOOLEAN NOT NULL DEFAULT 0,
  supersedes INTEGER REFERENCES observations(obs_id),
  recorded_by TEXT, recorded_at DATETIME NOT NULL,
  import_id INTEGER REFERENCES imports(import_id));
CREATE INDEX observations_unit_date ON observations (unit_id, observed_on);
CREATE TRIGGER observations_no_update BEFORE UPDATE ON observations
BEGIN SELECT RAISE(ABORT, 'observations are append-only: record a correction instead'); END;
CREATE TRIGGER observations_no_delete BEFORE DELETE ON observations
BEGIN SELECT RAISE(ABORT, 'observations are append-only: record a correction instead'); END;
CREATE TABLE boundaries (
  fid INTEGER PRIMARY KEY AUTOINCREMENT, geom MULTIPOLYGON,
  name TEXT NOT NULL, quarter TEXT, source TEXT, approximate BOOLEAN NOT NULL DEFAULT 0);
CREATE TABLE visits (
  visit_id INTEGER PRIMARY KEY AUTOINCREMENT,
  unit_id TEXT NOT NULL REFERENCES units(unit_id),
  visited_on DATE NOT NULL,
  outcome TEXT NOT NULL CHECK (outcome IN ({_OUTCOME_CHECK})),
  follow_up_on DATE, follow_up_done BOOLEAN NOT NULL DEFAULT 0,
  note TEXT, walk_id TEXT, obs_id INTEGER REFERENCES observations(obs_id),
  recorded_by TEXT, recorded_at DATETIME NOT NULL);
CREATE INDEX visits_unit ON visits (unit_id, visited_on);
"""

_UNIT_ATTRS = [c for c in UNIT_COLUMNS]
_OBS_INSERT = [c for c in OBSERVATION_COLUMNS if c != "obs_id"]


@dataclass
class ChangeSet:
    """Everything one write adds or changes; written in one transaction.

    Attributes
    ----------
    new_units
        Units to add (``UNIT_COLUMNS`` + point geometry, EPSG:4326).
    unit_updates
        ``unit_id`` plus attribute columns; non-missing values replace stored ones.
    observations
        Observations to append (``OBSERVATION_COLUMNS`` without ``obs_id``;
        missing ``recorded_at`` is set to now).
    boundaries
        When given, replaces all stored boundaries.
    visits
        Visits to append (``VISIT_COLUMNS`` without ``visit_id``); a visit may name
        the ``obs_id`` of an observation written in the same change as
        ``obs_index`` (its row position in ``observations``).
    area_assignments
        ``unit_id``, ``ortsteil``, ``quarter``: replaces the units' derived areas,
        missing values included (units outside every Ortsteil).
    meta
        Store metadata to set (``qm_meta``).
    import_record
        When given, an ``imports`` row is written and its id set on the new
        observations: keys ``file_name``, ``mode``, ``rows_read``, ``report``.
    """

    new_units: gpd.GeoDataFrame | None = None
    unit_updates: pd.DataFrame | None = None
    observations: pd.DataFrame | None = None
    boundaries: gpd.GeoDataFrame | None = None
    import_record: dict[str, Any] | None = None
    meta: dict[str, str] | None = None
    area_assignments: pd.DataFrame | None = None
    visits: pd.DataFrame | None = None
    follow_ups_done: list[int] | None = None


@dataclass
class WriteResult:
    """What a write did."""

    units_added: int = 0
    units_updated: int = 0
    observations_added: int = 0
    import_id: int | None = None
    obs_ids: list[int] = field(default_factory=list)
    visit_ids: list[int] = field(default_factory=list)


class Store(Protocol):
    """What every register backend offers (GeoPackage now, PostGIS next)."""

    location: str

    def read(self, *, unit_ids: Sequence[str] | None = None) -> Register:
        """Read the whole register, or only the given units with their history."""
        ...

    def write(self, changes: ChangeSet) -> WriteResult:
        """Apply all changes in one transaction, or none of them."""
        ...


def _now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _records(frame: pd.DataFrame, columns: list[str]) -> list[tuple[Any, ...]]:
    """Rows as tuples of plain Python values (what sqlite3 binds), missing values as None.

    Converted column by column: numpy scalars become Python scalars through
    ``astype(object)``, timestamps become ISO text.
    """
    data = frame.reindex(columns=columns)
    converted = {}
    for col in columns:
        values = data[col]
        if pd.api.types.is_datetime64_any_dtype(values):
            values = values.dt.strftime("%Y-%m-%dT%H:%M:%S")
        converted[col] = values.astype(object).where(values.notna(), None)
    return list(zip(*(converted[c].tolist() for c in columns), strict=True))


def _date_text(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values).dt.strftime("%Y-%m-%d")


def _datetime_text(values: pd.Series) -> pd.Series:
    stamps = pd.to_datetime(values)
    text = stamps.dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    return text.where(stamps.notna(), None)


class GeoPackageStore:
    """The register in one GeoPackage file.

    Use :func:`open_store` to open or create one.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.location = str(path)

    # -- connection ------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        try:
            con = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        except sqlite3.Error as exc:
            raise StoreError(f"Register-Datei {self.path} lässt sich nicht öffnen: {exc}") from exc
        con.execute("PRAGMA foreign_keys = ON")
        return con

    def check(self) -> None:
        """Check that the file is a Quartiersmonitor store of this schema version."""
        con = self._connect()
        try:
            app_id = con.execute("PRAGMA application_id").fetchone()[0]
            if app_id != _gpkg.APPLICATION_ID:
                raise StoreError(
                    f"{self.path} ist keine GeoPackage-Datei des Quartiersmonitors. "
                    "Erwartet: eine mit 'python -m geo import' oder 'python -m geo demo' angelegte .gpkg-Datei."
                )
            try:
                row = con.execute("SELECT value FROM qm_meta WHERE key = 'schema_version'").fetchone()
            except sqlite3.DatabaseError:
                row = None
            if row is None:
                raise StoreError(
                    f"{self.path} ist ein GeoPackage, aber kein Register des Quartiersmonitors "
                    "(Tabelle qm_meta fehlt). Daten daraus bitte mit 'python -m geo import' übernehmen."
                )
            if int(row[0]) != SCHEMA_VERSION:
                raise SchemaVersionError(
                    f"{self.path} hat Schema-Version {row[0]}, dieses Programm erwartet Version "
                    f"{SCHEMA_VERSION}. Bitte die passende Programmversion verwenden oder die Daten "
                    "exportieren und neu importieren."
                )
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path} ist keine lesbare GeoPackage-/SQLite-Datei: {exc}") from exc
        finally:
            con.close()

    @classmethod
    def create(cls, path: Path) -> GeoPackageStore:
        """Create an empty store at ``path`` (atomically: a temp file renamed into place)."""
        if path.exists():
            raise StoreError(f"{path} existiert bereits; zum Überschreiben zuerst löschen.")
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".qm-", suffix=".gpkg", dir=path.parent)
        os.close(fd)
        os.unlink(tmp)
        try:
            con = sqlite3.connect(tmp, isolation_level=None)
            try:
                # a fresh temp file renamed into place: no transaction needed
                _gpkg.init_core(con)
                con.executescript(_SCHEMA)
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
                con.executemany(
                    "INSERT INTO qm_meta VALUES (?, ?)",
                    [("schema_version", str(SCHEMA_VERSION)), ("created_at", _now_iso())],
                )
            finally:
                con.close()
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        return cls(path)

    # -- reading -----------------------------------------------------------------
    def read(self, *, unit_ids: Sequence[str] | None = None) -> Register:
        """Read units, observations, visits and boundaries into a :class:`Register`.

        Parameters
        ----------
        unit_ids
            Read only these units with their observations and visits (an edit of
            one unit need not read a million observations).
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
            observations = self._read_observations(where)
            units = self._read_units(where)
            boundaries = self._read_boundaries(con)
            visits = self._read_visits(con, where)
            con.execute("COMMIT")
        except (sqlite3.DatabaseError, pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
            raise StoreError(f"{self.path} lässt sich nicht lesen: {exc}") from exc
        finally:
            con.close()
        return Register(
            units=units, observations=observations, boundaries=boundaries, meta=meta, visits=visits
        )

    # Units and observations are read through GDAL's Arrow reader: about eight times
    # faster than sqlite3 row tuples for a million observations.
    def _read_units(self, where: str | None = None) -> gpd.GeoDataFrame:
        frame = pyogrio.read_dataframe(
            self.path, layer="units", columns=list(UNIT_COLUMNS), where=where, use_arrow=True
        )
        frame = frame.reindex(columns=[*UNIT_COLUMNS, "geometry"])
        frame["floor_area_m2"] = pd.to_numeric(frame["floor_area_m2"]).astype("float64")
        created = pd.to_datetime(frame["created_at"], utc=True, format="ISO8601")
        frame["created_at"] = created.dt.tz_localize(None)
        return gpd.GeoDataFrame(frame, geometry="geometry", crs=settings.storage_crs)

    def _read_observations(self, where: str | None = None) -> pd.DataFrame:
        frame = pyogrio.read_dataframe(
            self.path, layer="observations", read_geometry=False, fid_as_index=True, where=where, use_arrow=True
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
    def write(self, changes: ChangeSet) -> WriteResult:
        """Apply ``changes`` in one transaction; on any error nothing is written."""
        result = WriteResult()
        con = self._connect()
        try:
            con.execute("BEGIN IMMEDIATE")
            committed = False
            try:
                self._apply(con, changes, result)
                con.execute("COMMIT")
                committed = True
            finally:
                if not committed:  # any error, Ctrl-C included: leave the file as it was
                    con.execute("ROLLBACK")
        except sqlite3.IntegrityError as exc:
            raise StoreError(f"Schreiben in {self.path} abgelehnt, nichts geändert: {exc}") from exc
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"Schreiben in {self.path} fehlgeschlagen, nichts geändert: {exc}") from exc
        finally:
            con.close()
        return result

    def _apply(self, con: sqlite3.Connection, changes: ChangeSet, result: WriteResult) -> None:
        import_id = None
        if changes.meta:
            con.executemany(
                "INSERT INTO qm_meta (key, value) VALUES (?, ?)"
                " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [(k, v) for k, v in changes.meta.items() if k != "schema_version"],
            )
        if changes.import_record is not None:
            rec = changes.import_record
            cur = con.execute(
                "INSERT INTO imports (file_name, imported_at, mode, rows_read, units_added,"
                " observations_added, report) VALUES (?,?,?,?,?,?,?)",
                (
                    rec["file_name"], _now_iso(), rec.get("mode"), rec.get("rows_read"),
                    0 if changes.new_units is None else len(changes.new_units),
                    0 if changes.observations is None else len(changes.observations),
                    json.dumps(rec.get("report"), ensure_ascii=False, default=str),
                ),
            )
            import_id = cur.lastrowid
            result.import_id = import_id

        if changes.boundaries is not None:
            b = changes.boundaries.to_crs(settings.storage_crs)
            con.execute("DELETE FROM boundaries")
            blobs = _gpkg.encode(b.geometry)
            con.executemany(
                "INSERT INTO boundaries (name, quarter, source, approximate, geom) VALUES (?,?,?,?,?)",
                [
                    (*row, blob)
                    for row, blob in zip(_records(b, ["name", "quarter", "source", "approximate"]), blobs, strict=True)
                ],
            )
            _gpkg.touch_table(con, "boundaries", b.total_bounds if len(b) else None)

        if changes.new_units is not None and len(changes.new_units):
            u = changes.new_units.to_crs(settings.storage_crs).copy()
            if "created_at" not in u or u["created_at"].isna().any():
                now = pd.Timestamp(_now_iso()[:-1])
                u["created_at"] = u.get("created_at", pd.Series(pd.NaT, index=u.index)).fillna(now)
            u["created_at"] = _datetime_text(u["created_at"])
            blobs = _gpkg.encode(u.geometry)
            placeholders = ",".join("?" * (len(_UNIT_ATTRS) + 1))
            con.executemany(
                f"INSERT INTO units ({', '.join(_UNIT_ATTRS)}, geom) VALUES ({placeholders})",
                [(*row, blob) for row, blob in zip(_records(u, _UNIT_ATTRS), blobs, strict=True)],
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
                        [(v, uid) for uid, v in _records(part, ["unit_id", col])],
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
                _records(changes.area_assignments, ["ortsteil", "quarter", "unit_id"]),
            )
            result.units_updated = max(result.units_updated, len(changes.area_assignments))

        if changes.observations is not None and len(changes.observations):
            o = changes.observations.copy()
            o["observed_on"] = _date_text(o["observed_on"])
            if "recorded_at" not in o:
                o["recorded_at"] = pd.NaT
            o["recorded_at"] = _datetime_text(o["recorded_at"]).fillna(_now_iso())
            o["new_settlement"] = o.get("new_settlement", False)
            o["new_settlement"] = o["new_settlement"].fillna(False).astype(bool).astype(int)
            if import_id is not None:
                o["import_id"] = import_id
            placeholders = ",".join("?" * len(_OBS_INSERT))
            first = con.execute("SELECT COALESCE(MAX(obs_id), 0) FROM observations").fetchone()[0]
            con.executemany(
                f"INSERT INTO observations ({', '.join(_OBS_INSERT)}) VALUES ({placeholders})",
                _records(o, _OBS_INSERT),
            )
            result.observations_added = len(o)
            result.obs_ids = list(range(first + 1, first + 1 + len(o)))

        if changes.visits is not None and len(changes.visits):
            v = changes.visits.copy()
            if "obs_index" in v.columns:
                linked = v["obs_index"].notna()
                ids = np.asarray(result.obs_ids, dtype=object)
                v.loc[linked, "obs_id"] = ids[v.loc[linked, "obs_index"].astype(int).to_numpy()]
            v["visited_on"] = _date_text(v["visited_on"])
            if "follow_up_on" in v.columns:
                v["follow_up_on"] = pd.to_datetime(v["follow_up_on"]).dt.strftime("%Y-%m-%d")
            if "recorded_at" not in v:
                v["recorded_at"] = pd.NaT
            v["recorded_at"] = _datetime_text(v["recorded_at"]).fillna(_now_iso())
            v["follow_up_done"] = v.get("follow_up_done", False)
            v["follow_up_done"] = v["follow_up_done"].fillna(False).astype(bool).astype(int)
            cols = [c for c in VISIT_COLUMNS if c != "visit_id"]
            first = con.execute("SELECT COALESCE(MAX(visit_id), 0) FROM visits").fetchone()[0]
            con.executemany(
                f"INSERT INTO visits ({', '.join(cols)}) VALUES ({','.join('?' * len(cols))})",
                _records(v, cols),
            )
            result.visit_ids = list(range(first + 1, first + 1 + len(v)))
            _gpkg.touch_table(con, "visits")

        if changes.follow_ups_done:
            con.executemany(
                "UPDATE visits SET follow_up_done = 1 WHERE visit_id = ?",
                [(int(i),) for i in changes.follow_ups_done],
            )

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
        return tuple(gpd.GeoSeries(geoms).total_bounds)  # type: ignore[return-value]


def normalise_observations(frame: pd.DataFrame) -> pd.DataFrame:
    """Give an observation table the library's dtypes.

    ``observed_on`` becomes ``datetime64`` (day), ``recorded_at`` ``datetime64``,
    ``new_settlement`` bool, ``obs_id``/``supersedes``/``import_id`` nullable integers.
    """
    frame = frame.reindex(columns=list(OBSERVATION_COLUMNS)).copy()
    frame["observed_on"] = pd.to_datetime(frame["observed_on"], format="ISO8601").astype("datetime64[s]")
    frame["recorded_at"] = (
        pd.to_datetime(frame["recorded_at"], format="ISO8601", utc=True)
        .dt.tz_localize(None)
        .astype("datetime64[s]")
    )
    frame["new_settlement"] = frame["new_settlement"].fillna(False).astype(bool)
    for col in ("obs_id", "supersedes", "import_id"):
        frame[col] = pd.array(pd.to_numeric(frame[col]), dtype="Int64")
    return frame


def normalise_visits(frame: pd.DataFrame) -> pd.DataFrame:
    """Give a visit table the library's dtypes (dates as ``datetime64``, flags bool)."""
    frame = frame.reindex(columns=list(VISIT_COLUMNS)).copy()
    for col in ("visited_on", "follow_up_on"):
        frame[col] = pd.to_datetime(frame[col], format="ISO8601").astype("datetime64[s]")
    frame["recorded_at"] = (
        pd.to_datetime(frame["recorded_at"], format="ISO8601", utc=True).dt.tz_localize(None).astype("datetime64[s]")
    )
    frame["follow_up_done"] = frame["follow_up_done"].fillna(False).astype(bool)
    for col in ("visit_id", "obs_id"):
        frame[col] = pd.array(pd.to_numeric(frame[col]), dtype="Int64")
    return frame


def open_store(path: str | os.PathLike[str] | None = None, *, create: bool = False) -> GeoPackageStore:
    """Open the register store at ``path``.

    Parameters
    ----------
    path
        A ``.gpkg`` file. Default: :data:`geo.settings.default_store_path`, the
        working copy of the demo register, copied from the committed demo on
        first use.
    create
        Create an empty store when the file does not exist.

    Raises
    ------
    StoreError
        The file does not exist (and ``create`` is false) or is not a store.
    SchemaVersionError
        The store has another schema version.
    """
    if path is None:
        target = Path(settings.default_store_path)
        if not target.exists() and target == Path(settings.data_dir / "demo-work.gpkg"):
            reset_demo_store(target)
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


def reset_demo_store(target: Path | None = None) -> Path:
    """Copy the committed demo register to its working copy (replacing it)."""
    import shutil

    target = Path(target or settings.default_store_path)
    if not settings.demo_store_path.exists():
        raise StoreError(
            f"Demo-Register {settings.demo_store_path} fehlt. Neu erzeugen mit "
            f"'python -m geo demo --store {settings.demo_store_path}'."
        )
    tmp = target.with_suffix(".tmp")
    shutil.copyfile(settings.demo_store_path, tmp)
    os.replace(tmp, target)
    return target
