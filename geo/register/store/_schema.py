"""The store's schema: the version-1 tables, the numbered upgrade steps, the version numbers.

Two numbers live in ``qm_meta``: ``schema_version`` (which upgrade steps the file has,
:data:`SCHEMA_VERSION`) and ``change_counter`` (the store's version: one up with every
write, see :func:`read_change_counter`). ``qm_migrations`` lists the steps a store received
and when (from schema version 3 on; the earlier ones at an unknown time).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from geo.errors import SchemaVersionError, StoreError
from geo.register.model import STATUSES, VISIT_OUTCOMES
from geo.register.store._sqlite import now_iso

#: Version of the store schema this program writes. Older stores are upgraded on open
#: (:data:`MIGRATIONS`); newer ones are refused.
SCHEMA_VERSION = 3

#: ``qm_meta`` keys the store keeps itself; a :class:`~geo.register.store.base.ChangeSet` cannot set them.
#: Key in ``qm_meta`` present only inside a write of this library's own (never committed): the
#: row triggers that count other programs' changes skip such a write, which counts once.
WRITER_KEY = "writer"

RESERVED_META = frozenset({"schema_version", "change_counter", WRITER_KEY})

_STATUS_CHECK = ", ".join(f"'{s}'" for s in STATUSES)
_OUTCOME_CHECK = ", ".join(f"'{o}'" for o in VISIT_OUTCOMES)

SCHEMA = f"""
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

#: The tables and changes counted in ``change_counter`` when another program writes them (QGIS):
#: one up per changed row. Written out: an upgrade step must not change later.
_COUNTED = (
    ("units", "INSERT"), ("units", "UPDATE"), ("units", "DELETE"),
    ("observations", "INSERT"),
    ("visits", "INSERT"), ("visits", "UPDATE"),
    ("boundaries", "INSERT"), ("boundaries", "UPDATE"), ("boundaries", "DELETE"),
)

#: Upgrade steps: entry ``n`` takes a store from schema version ``n + 1`` to ``n + 2``, one
#: statement at a time. All pending steps and the new version number are written in one
#: transaction. A new store is made with the version-1 schema (:data:`SCHEMA`) plus every
#: step, so upgraded and new stores are the same.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
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
    # 2 -> 3: the store tells which upgrades it received (qm_migrations; steps before this one
    # were applied at an unknown time) and keeps its version, a change counter in qm_meta. A
    # write through this library raises it by one (GeoPackageStore.write); the triggers count
    # every changed row another program writes (QGIS), so caches keyed on the version and the
    # conflict check of an edit notice those changes too. The library's own write marks itself
    # with the 'writer' row inside its transaction, so the triggers skip its rows: a write of a
    # million observations costs one key lookup per row, not one counter update per row.
    (
        "CREATE TABLE IF NOT EXISTS qm_migrations (version INTEGER PRIMARY KEY, applied_at DATETIME)",
        "INSERT OR IGNORE INTO qm_migrations (version, applied_at) VALUES (1, NULL), (2, NULL)",
        "INSERT OR IGNORE INTO qm_meta (key, value) VALUES ('change_counter', '0')",
        *(
            f"CREATE TRIGGER IF NOT EXISTS {table}_count_{event.lower()} AFTER {event} ON {table}"
            " WHEN NOT EXISTS (SELECT 1 FROM qm_meta WHERE key = 'writer')"
            " BEGIN UPDATE qm_meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'change_counter'; END"
            for table, event in _COUNTED
        ),
    ),
)
assert len(MIGRATIONS) == SCHEMA_VERSION - 1


def read_schema_version(con: sqlite3.Connection, path: Path) -> int:
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


def migrate(con: sqlite3.Connection, version: int) -> None:
    """Apply the upgrade steps after ``version`` and record them and the new version (caller's transaction).

    Each applied step gets a row in ``qm_migrations`` with the time it was applied.
    """
    for step in MIGRATIONS[version - 1 :]:
        for statement in step:
            con.execute(statement)
    applied_at = now_iso()
    con.executemany(
        "INSERT INTO qm_migrations (version, applied_at) VALUES (?, ?)"
        " ON CONFLICT(version) DO UPDATE SET applied_at = excluded.applied_at",
        [(number, applied_at) for number in range(version + 1, SCHEMA_VERSION + 1)],
    )
    con.execute(
        "INSERT INTO qm_meta (key, value) VALUES ('schema_version', ?)"
        " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (str(SCHEMA_VERSION),),
    )



def read_change_counter(con: sqlite3.Connection, path: Path) -> int:
    """The store's version: ``change_counter`` in ``qm_meta``; 0 in a store older than schema version 3.

    Raises
    ------
    StoreError
        The counter is not a whole number (the file was edited by hand).
    """
    row = con.execute("SELECT value FROM qm_meta WHERE key = 'change_counter'").fetchone()
    if row is None:
        return 0
    text = str(row[0]).strip()
    if not (text.isascii() and text.isdigit()):
        raise StoreError(
            f"{path}: der Änderungszähler in qm_meta (change_counter) ist '{row[0]}', erwartet eine ganze "
            "Zahl. Die Datei wurde von Hand verändert: eine Sicherung einspielen oder den Eintrag "
            "change_counter richtigstellen."
        )
    return int(text)


def set_change_counter(con: sqlite3.Connection, value: int) -> None:
    """Set the store's version (inside the caller's write transaction)."""
    con.execute(
        "INSERT INTO qm_meta (key, value) VALUES ('change_counter', ?)"
        " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (str(value),),
    )
