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
``visits`` (attributes, append-only)
    Visits of outreach walks; only ``follow_up_done`` may change.

The history is append-only against every SQL path, not only this library's:
triggers refuse ``UPDATE`` and ``DELETE`` of observations and an ``INSERT``
that names an existing ``obs_id``/``visit_id`` (``INSERT OR REPLACE`` deletes
the old row without firing ``DELETE`` triggers). Stores of an older schema
version get such additions on open (:data:`_MIGRATIONS`).

A store whose ``qm_meta`` has ``demo = true`` holds the fictional demo: it can
be reset (:func:`reset_demo_store`) and refuses imports of files, so real data
never lands in a file that may be thrown away. Editing the demo (an
observation or a visit recorded in the app) stays allowed: it is fictional.

Every :meth:`GeoPackageStore.write` is one SQLite transaction: when anything
fails, the file is left exactly as it was. A PostGIS backend implements the
same :class:`Store` protocol.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
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

from geo import settings
from geo._files import atomic_output
from geo.errors import SchemaVersionError, StoreError
from geo.register import _gpkg
from geo.register.history import Register
from geo.register.model import OBSERVATION_COLUMNS, STATUSES, UNIT_COLUMNS, VISIT_COLUMNS, VISIT_OUTCOMES

#: Version of the store schema this program writes. Older stores are upgraded on open
#: (:data:`_MIGRATIONS`); newer ones are refused.
SCHEMA_VERSION = 2

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

#: The visit columns of schema version 2 but ``follow_up_done``: the ones no UPDATE may change.
#: Written out, not derived from VISIT_COLUMNS: an upgrade step must not change later.
_VISIT_FIELDS = (
    "visit_id, unit_id, visited_on, outcome, follow_up_on, note, walk_id, obs_id, recorded_by, recorded_at"
)

#: Upgrade steps: entry ``n`` takes a store from schema version ``n + 1`` to ``n + 2``, one
#: statement at a time. All pending steps and the new version number are written in one
#: transaction. A new store is made with the version-1 schema (:data:`_SCHEMA`) plus every
#: step, so upgraded and new stores are the same.
_MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 1 -> 2: the history is append-only against every SQL path. INSERT OR REPLACE deletes the
    # old row without firing DELETE triggers (unless recursive_triggers is on), so a BEFORE INSERT
    # trigger refuses an id that exists (NEW.obs_id is -1 when the id is left to SQLite).
    # Visits: no delete, no change but follow_up_done.
    (
        "CREATE TRIGGER observations_no_replace BEFORE INSERT ON observations"
        " WHEN EXISTS (SELECT 1 FROM observations WHERE obs_id = NEW.obs_id)"
        " BEGIN SELECT RAISE(ABORT, 'observations are append-only: this obs_id exists,"
        " record a new observation instead'); END",
        "CREATE TRIGGER visits_no_replace BEFORE INSERT ON visits"
        " WHEN EXISTS (SELECT 1 FROM visits WHERE visit_id = NEW.visit_id)"
        " BEGIN SELECT RAISE(ABORT, 'visits are append-only: this visit_id exists'); END",
        f"CREATE TRIGGER visits_no_update BEFORE UPDATE OF {_VISIT_FIELDS} ON visits"
        " BEGIN SELECT RAISE(ABORT, 'visits are append-only: only follow_up_done may change'); END",
        "CREATE TRIGGER visits_no_delete BEFORE DELETE ON visits"
        " BEGIN SELECT RAISE(ABORT, 'visits are append-only'); END",
    ),
)
assert len(_MIGRATIONS) == SCHEMA_VERSION - 1

#: Texts that are a missing value written out (``str(nan)``, ``str(None)``, ...): never stored.
_MISSING_TEXTS = frozenset({"nan", "NaN", "None", "NaT", "<NA>"})

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

    Raises
    ------
    StoreError
        A text value is a missing value written out ('nan', 'None', 'NaT', ...):
        somewhere before the store a missing value was turned into text.
    """
    data = frame.reindex(columns=columns)
    converted = {}
    for col in columns:
        values = data[col]
        if pd.api.types.is_datetime64_any_dtype(values):
            values = values.dt.strftime("%Y-%m-%dT%H:%M:%S")
        values = values.astype(object).where(values.notna(), None)
        if not (pd.api.types.is_numeric_dtype(data[col]) or pd.api.types.is_bool_dtype(data[col])):
            bad = values.isin(_MISSING_TEXTS)
            if bad.any():
                row = int(np.flatnonzero(bad.to_numpy())[0]) + 1
                raise StoreError(
                    f"Spalte {col}, Zeile {row} der Änderung: der Text '{values[bad].iloc[0]}' "
                    "ist ein fehlender Wert, der als Text geschrieben würde. Nichts wurde geschrieben; "
                    "fehlende Werte leer lassen (Programmfehler bitte melden)."
                )
        converted[col] = values
    return list(zip(*(converted[c].tolist() for c in columns), strict=True))


def _stamps(values: pd.Series, *, column: str) -> pd.Series:
    try:
        return pd.to_datetime(values)
    except (ValueError, TypeError) as exc:
        raise StoreError(
            f"Spalte {column}: Werte sind kein Datum ({exc}). Nichts wurde geschrieben."
        ) from exc


def _date_text(values: pd.Series, *, column: str) -> pd.Series:
    """Dates as ``JJJJ-MM-TT`` text; missing dates stay missing (``None``), never 'NaT'."""
    stamps = _stamps(values, column=column)
    return stamps.dt.strftime("%Y-%m-%d").where(stamps.notna(), None)


def _datetime_text(values: pd.Series, *, column: str) -> pd.Series:
    """Times as ISO text in UTC (``...Z``); missing ones stay missing (``None``)."""
    stamps = _stamps(values, column=column)
    return stamps.dt.strftime("%Y-%m-%dT%H:%M:%SZ").where(stamps.notna(), None)


def _rollback(con: sqlite3.Connection) -> None:
    """Roll back the open transaction, if SQLite has not already done so.

    On some errors (a full disk: ``SQLITE_FULL``, ``SQLITE_IOERR``, ...) SQLite aborts the
    transaction itself; a ``ROLLBACK`` then fails with "cannot rollback - no transaction is
    active" and would hide the real cause. A failing ``ROLLBACK`` is not reported either:
    closing the connection rolls back whatever is left, and the error that made us roll
    back is the one the user needs to see.
    """
    if con.in_transaction:
        with contextlib.suppress(sqlite3.Error):
            con.execute("ROLLBACK")


def _store_error(path: Path, exc: sqlite3.Error, *, writing: bool) -> StoreError:
    """The :class:`StoreError` naming the real cause of an SQLite error, in German."""
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    done = ", nichts geändert" if writing else ""
    if primary == sqlite3.SQLITE_FULL:
        text = (
            f"Speicherplatz voll: {path} konnte nicht geschrieben werden{done}. Platz auf dem Laufwerk "
            "schaffen (oder das Register auf ein Laufwerk mit mehr Platz kopieren) und erneut versuchen."
        )
    elif primary == sqlite3.SQLITE_READONLY:
        text = f"{path} ist schreibgeschützt{done}. Schreibrechte für Datei und Ordner prüfen."
    elif primary in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        text = (
            f"{path} ist gesperrt: ein anderes Programm schreibt gerade darin (z. B. QGIS im "
            f"Bearbeitungsmodus){done}. Dort speichern oder schließen und erneut versuchen."
        )
    elif primary == sqlite3.SQLITE_IOERR:
        text = f"Lese-/Schreibfehler bei {path}{done}; Laufwerk bzw. Netzlaufwerk prüfen ({exc})."
    elif primary in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
        text = f"{path} ist beschädigt oder keine SQLite-Datei{done} ({exc}). Eine Sicherung einspielen."
    elif isinstance(exc, sqlite3.IntegrityError):
        text = f"Schreiben in {path} abgelehnt, nichts geändert: {exc}"
    elif writing:
        text = f"Schreiben in {path} fehlgeschlagen, nichts geändert: {exc}"
    else:
        text = f"{path} lässt sich nicht lesen: {exc}"
    return StoreError(text)


def _insert_ids(
    con: sqlite3.Connection, table: str, id_column: str, sql: str, rows: list[tuple[Any, ...]]
) -> list[int]:
    """Insert ``rows`` with ``sql`` and return the ids the database gave them, in row order.

    The ids are read back, not predicted. The caller holds the write lock (``BEGIN
    IMMEDIATE``), so nobody else inserts meanwhile, and the tables are ``AUTOINCREMENT``:
    every new row gets an id larger than any the table ever had, in insert order. The rows
    above the largest id before the insert are therefore exactly the new ones. (Predicting
    ``MAX + 1`` is wrong once the last row was deleted: SQLite never reuses its id.)
    ``INSERT ... RETURNING`` would do for one row, but ``executemany`` discards returned rows
    and one ``execute`` per row is slow for a million observations.
    """
    before = con.execute(f"SELECT COALESCE(MAX({id_column}), 0) FROM {table}").fetchone()[0]
    con.executemany(sql, rows)
    query = f"SELECT {id_column} FROM {table} WHERE {id_column} > ? ORDER BY {id_column}"
    ids = [r[0] for r in con.execute(query, (before,))]
    if len(ids) != len(rows):  # cannot happen under the write lock; refuse rather than guess
        raise StoreError(
            f"Tabelle {table}: {len(rows)} Zeilen geschrieben, aber {len(ids)} neue Nummern gefunden; "
            "nichts geändert. Schreibt ein anderes Programm ohne Sperre in die Datei?"
        )
    return ids


def _schema_version(con: sqlite3.Connection, path: Path) -> int:
    """The schema version in ``qm_meta``, checked to be a whole number."""
    try:
        row = con.execute("SELECT value FROM qm_meta WHERE key = 'schema_version'").fetchone()
    except sqlite3.DatabaseError:
        row = None
    if row is None:
        raise StoreError(
            f"{path} ist ein GeoPackage, aber kein Register des Quartiersmonitors "
            "(Tabelle qm_meta fehlt). Daten daraus bitte mit 'python -m geo import' übernehmen."
        )
    text = str(row[0]).strip()
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        raise SchemaVersionError(
            f"{path}: die Schema-Version in qm_meta ist '{row[0]}', erwartet eine ganze Zahl (diese "
            f"Programmversion kennt 1 bis {SCHEMA_VERSION}). Die Datei ist beschädigt oder wurde von Hand "
            "verändert: eine Sicherung einspielen oder den Eintrag schema_version richtigstellen."
        )
    version = int(text)
    if version > SCHEMA_VERSION:
        raise SchemaVersionError(
            f"{path} hat Schema-Version {version}, dieses Programm kennt nur bis Version "
            f"{SCHEMA_VERSION}. Bitte eine neuere Programmversion verwenden."
        )
    return version


def _migrate(con: sqlite3.Connection, version: int) -> None:
    """Apply the upgrade steps after ``version`` and record the new version (caller's transaction)."""
    for step in _MIGRATIONS[version - 1 :]:
        for statement in step:
            con.execute(statement)
    con.execute(
        "INSERT INTO qm_meta (key, value) VALUES ('schema_version', ?)"
        " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (str(SCHEMA_VERSION),),
    )


def demo_import_refusal(location: str | os.PathLike[str]) -> str:
    """The message refusing an import into a demo store (one text for the library, CLI and app)."""
    return (
        f"{location} ist ein Demo-Register ({settings.demo_label}) und nimmt keine Importe an: echte "
        "Daten gehören nicht in eine Datei, die als Demo gekennzeichnet ist und zurückgesetzt werden "
        "kann. Ein echtes Register legt der erste Import an, z. B. "
        "'python -m geo import liste.csv --store register.gpkg'; danach dieses Register öffnen "
        "(--store, QM_STORE oder in der App auf der Seite Daten)."
    )


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
        """Check that the file is a Quartiersmonitor store, and upgrade an older schema version.

        The upgrade (:data:`_MIGRATIONS`) runs in one transaction. A store that cannot be
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
            if _schema_version(con, self.path) < SCHEMA_VERSION:
                self._upgrade(con)
        except sqlite3.Error as exc:
            raise _store_error(self.path, exc, writing=False) from exc
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
            version = _schema_version(con, self.path)  # again, under the lock
            if version < SCHEMA_VERSION:
                _migrate(con, version)
            con.execute("COMMIT")
            committed = True
        except sqlite3.OperationalError as exc:
            if getattr(exc, "sqlite_errorcode", 0) & 0xFF != sqlite3.SQLITE_READONLY:
                raise
        finally:
            if not committed:
                _rollback(con)

    def meta(self) -> dict[str, str]:
        """The store's metadata (``qm_meta``), without reading the register."""
        if not self.path.is_file():
            raise StoreError(f"Register-Datei {self.path} nicht gefunden.")
        con = self._connect()
        try:
            return dict(con.execute("SELECT key, value FROM qm_meta").fetchall())
        except sqlite3.Error as exc:
            raise _store_error(self.path, exc, writing=False) from exc
        finally:
            con.close()

    @property
    def is_demo(self) -> bool:
        """Whether the store is flagged as the fictional demo (``qm_meta``: ``demo = true``)."""
        return self.meta().get("demo") == "true"

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
            raise _store_error(path, exc, writing=True) from exc
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
            con.executescript(_SCHEMA)
            _migrate(con, 1)
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
            con.execute("INSERT INTO qm_meta VALUES ('created_at', ?)", (_now_iso(),))
        finally:
            con.close()

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
        except sqlite3.Error as exc:
            raise _store_error(self.path, exc, writing=False) from exc
        except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
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
        """Apply ``changes`` in one transaction; on any error nothing is written.

        Raises
        ------
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
                self._prepare(con, changes)
                self._apply(con, changes, result)
                con.execute("COMMIT")
                committed = True
            finally:
                if not committed:  # any error, Ctrl-C included: leave the file as it was
                    _rollback(con)
        except sqlite3.Error as exc:
            raise _store_error(self.path, exc, writing=True) from exc
        finally:
            con.close()
        return result

    def _prepare(self, con: sqlite3.Connection, changes: ChangeSet) -> None:
        """Inside the write transaction: bring the schema up to date, refuse imports into a demo."""
        version = _schema_version(con, self.path)
        if version < SCHEMA_VERSION:
            _migrate(con, version)
        if changes.import_record is not None:
            demo = con.execute("SELECT value FROM qm_meta WHERE key = 'demo'").fetchone()
            if demo is not None and demo[0] == "true":
                raise StoreError(demo_import_refusal(self.path))

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
                    for row, blob in zip(
                        _records(b, ["name", "quarter", "source", "approximate"]), blobs, strict=True
                    )
                ],
            )
            _gpkg.touch_table(con, "boundaries", b.total_bounds if len(b) else None)

        if changes.new_units is not None and len(changes.new_units):
            u = changes.new_units.to_crs(settings.storage_crs).copy()
            if "created_at" not in u or u["created_at"].isna().any():
                now = pd.Timestamp(_now_iso()[:-1])
                u["created_at"] = u.get("created_at", pd.Series(pd.NaT, index=u.index)).fillna(now)
            u["created_at"] = _datetime_text(u["created_at"], column="created_at")
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
            o["observed_on"] = _date_text(o["observed_on"], column="observed_on")
            if "recorded_at" not in o:
                o["recorded_at"] = pd.NaT
            o["recorded_at"] = _datetime_text(o["recorded_at"], column="recorded_at").fillna(_now_iso())
            o["new_settlement"] = o.get("new_settlement", False)
            o["new_settlement"] = o["new_settlement"].fillna(False).astype(bool).astype(int)
            if import_id is not None:
                o["import_id"] = import_id
            placeholders = ",".join("?" * len(_OBS_INSERT))
            result.obs_ids = _insert_ids(
                con, "observations", "obs_id",
                f"INSERT INTO observations ({', '.join(_OBS_INSERT)}) VALUES ({placeholders})",
                _records(o, _OBS_INSERT),
            )
            result.observations_added = len(o)

        if changes.visits is not None and len(changes.visits):
            v = changes.visits.copy()
            if "obs_index" in v.columns:
                linked = v["obs_index"].notna()
                ids = np.asarray(result.obs_ids, dtype=object)
                v.loc[linked, "obs_id"] = ids[v.loc[linked, "obs_index"].astype(int).to_numpy()]
            v["visited_on"] = _date_text(v["visited_on"], column="visited_on")
            if "follow_up_on" in v.columns:
                v["follow_up_on"] = _date_text(v["follow_up_on"], column="follow_up_on")
            if "recorded_at" not in v:
                v["recorded_at"] = pd.NaT
            v["recorded_at"] = _datetime_text(v["recorded_at"], column="recorded_at").fillna(_now_iso())
            v["follow_up_done"] = v.get("follow_up_done", False)
            v["follow_up_done"] = v["follow_up_done"].fillna(False).astype(bool).astype(int)
            cols = [c for c in VISIT_COLUMNS if c != "visit_id"]
            result.visit_ids = _insert_ids(
                con, "visits", "visit_id",
                f"INSERT INTO visits ({', '.join(cols)}) VALUES ({','.join('?' * len(cols))})",
                _records(v, cols),
            )
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


def is_demo_store(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a store flagged as the fictional demo; ``False`` for anything else."""
    try:
        return GeoPackageStore(Path(path)).is_demo
    except StoreError:
        return False


def demo_working_copy() -> Path:
    """The working copy of the demo register in the user's data folder, made on first use.

    See :func:`geo.settings.demo_work_path`; it is copied from the committed demo
    (:data:`geo.settings.demo_store_path`).
    """
    target = settings.demo_work_path()
    if not target.exists():
        reset_demo_store(target)
    return target


def reset_demo_store(target: str | os.PathLike[str] | None = None) -> Path:
    """Replace a demo store by a fresh copy of the committed demo register.

    Parameters
    ----------
    target
        Default: the demo working copy (:func:`geo.settings.demo_work_path`).
        Created when missing; an existing file is replaced only when it is
        flagged as demo (``qm_meta``: ``demo = true``), so a real register is
        never thrown away.

    Raises
    ------
    StoreError
        ``target`` is not a demo store, is the committed demo itself, or the
        copy fails.
    """
    target = Path(target) if target is not None else settings.demo_work_path()
    source = Path(settings.demo_store_path)
    if not source.exists():
        raise StoreError(
            f"Demo-Register {source} fehlt. Neu erzeugen mit 'python -m geo demo --store {source}'."
        )
    if target.exists():
        if target.resolve() == source.resolve():
            raise StoreError(
                f"{target} ist das ausgelieferte Demo-Register selbst; zurückgesetzt wird nur eine "
                "Arbeitskopie."
            )
        if not is_demo_store(target):
            raise StoreError(
                f"{target} ist kein Demo-Register (in qm_meta fehlt demo = true) und wird nicht "
                "zurückgesetzt: Zurücksetzen ersetzt die Datei und verwirft alles darin."
            )
    tmp = target.with_name(f".{target.name}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, tmp)
        os.replace(tmp, target)
    except OSError as exc:
        raise StoreError(
            f"Demo-Arbeitskopie {target} lässt sich nicht anlegen: {exc.strerror or exc}"
        ) from exc
    finally:
        tmp.unlink(missing_ok=True)
    return target
