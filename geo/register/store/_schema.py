"""The store's schema: numbered steps for both backends, the version numbers.

One list (:data:`MIGRATIONS`) describes the schema of both backends, the GeoPackage file
(SQLite) and PostGIS: step ``n`` takes a store from schema version ``n - 1`` to ``n``, with
its statements for each dialect (or one set valid in both). Step 1 makes the tables; a new
store receives every step, an older one the steps it lacks. Adding a step is one entry.

Two numbers live in ``qm_meta``: ``schema_version`` (which steps the store has,
:data:`SCHEMA_VERSION`) and ``change_counter`` (the store's version: one up with every
write, see :func:`read_change_counter`). ``qm_migrations`` lists the steps a store received
and when (from schema version 3 on; the earlier ones at an unknown time).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from geo.errors import SchemaVersionError, StoreError
from geo.register.model import STATUSES, VISIT_OUTCOMES
from geo.register.store._sqlite import now_iso

Dialect = Literal["sqlite", "postgres"]

#: ``qm_meta`` keys the store keeps itself; a :class:`~geo.register.store.base.ChangeSet` cannot set them.
#: Key in ``qm_meta`` present only inside a write of this library's own (never committed): the
#: row triggers that count other programs' changes skip such a write, which counts once.
WRITER_KEY = "writer"

#: The PostgreSQL setting a write of this library's own sets for its transaction
#: (``set_config(..., true)``): the counting triggers skip its rows, as ``WRITER_KEY`` in SQLite.
WRITER_SETTING = "quartiersmonitor.writer"

RESERVED_META = frozenset({"schema_version", "change_counter", WRITER_KEY})

_STATUS_CHECK = ", ".join(f"'{s}'" for s in STATUSES)
_OUTCOME_CHECK = ", ".join(f"'{o}'" for o in VISIT_OUTCOMES)


@dataclass(frozen=True)
class Step:
    """One numbered schema step: what it makes, in each dialect.

    Attributes
    ----------
    version
        The schema version a store has after this step (steps are numbered 1, 2, ...).
    name
        What the step does, in a few words.
    sqlite, postgres
        The step's statements for the GeoPackage file and for PostGIS, one statement each.
    both
        Statements valid in both dialects (e.g. ``ALTER TABLE units ADD COLUMN x TEXT``),
        run before the dialect's own.
    """

    version: int
    name: str
    sqlite: tuple[str, ...] = ()
    postgres: tuple[str, ...] = ()
    both: tuple[str, ...] = ()

    def statements(self, dialect: Dialect) -> tuple[str, ...]:
        """The statements of this step in ``dialect``, in order."""
        return (*self.both, *(self.sqlite if dialect == "sqlite" else self.postgres))


_APPEND_ONLY = "observations are append-only: record a correction instead"
_CHECKS_APPEND_ONLY = "location checks are append-only: record a new check instead"
_AUDIT_APPEND_ONLY = "the audit trail is append-only"
#: The actions of a location check (schema version 5). Written out: an upgrade step must not change later.
_LOCATION_ACTION_CHECK = "'accepted', 'moved'"

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


def _pg_refuse(name: str, table: str, event: str, message: str, *, when: str = "") -> str:
    level = "STATEMENT" if event == "TRUNCATE" else "ROW"
    condition = f" WHEN ({when})" if when else ""
    return (
        f"CREATE TRIGGER {name} BEFORE {event} ON {table} FOR EACH {level}{condition}"
        f" EXECUTE FUNCTION qm_refuse('{message}')"
    )


def _pg_row(prefix: str) -> str:
    return "(" + ", ".join(f"{prefix}.{c.strip()}" for c in _VISIT_FIELDS.split(",")) + ")"


_STEP_1 = Step(
    1,
    "Tabellen: Einheiten, Beobachtungen (nur anfügen), Ortsteile, Importe, Besuche",
    sqlite=(
        "CREATE TABLE qm_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        "CREATE TABLE imports ("
        " import_id INTEGER PRIMARY KEY AUTOINCREMENT,"
        " file_name TEXT NOT NULL, imported_at DATETIME NOT NULL, mode TEXT,"
        " rows_read INTEGER, units_added INTEGER, observations_added INTEGER, report TEXT)",
        "CREATE TABLE units ("
        " fid INTEGER PRIMARY KEY AUTOINCREMENT, geom POINT,"
        " unit_id TEXT NOT NULL UNIQUE, street TEXT, housenumber TEXT, postcode TEXT,"
        " address_note TEXT, position TEXT, floor_area_m2 REAL, use_class TEXT,"
        " ortsteil TEXT, quarter TEXT,"
        " owner_name TEXT, contact_person TEXT, contact_phone TEXT, contact_email TEXT,"
        " created_at DATETIME)",
        "CREATE TABLE observations ("
        " obs_id INTEGER PRIMARY KEY AUTOINCREMENT,"
        " unit_id TEXT NOT NULL REFERENCES units(unit_id),"
        " observed_on DATE NOT NULL,"
        f" status TEXT NOT NULL CHECK (status IN ({_STATUS_CHECK})),"
        " business_name TEXT, sector TEXT, confidence TEXT, source TEXT, note TEXT,"
        " new_settlement BOOLEAN NOT NULL DEFAULT 0,"
        " supersedes INTEGER REFERENCES observations(obs_id),"
        " recorded_by TEXT, recorded_at DATETIME NOT NULL,"
        " import_id INTEGER REFERENCES imports(import_id))",
        "CREATE INDEX observations_unit_date ON observations (unit_id, observed_on)",
        "CREATE TRIGGER observations_no_update BEFORE UPDATE ON observations"
        f" BEGIN SELECT RAISE(ABORT, '{_APPEND_ONLY}'); END",
        "CREATE TRIGGER observations_no_delete BEFORE DELETE ON observations"
        f" BEGIN SELECT RAISE(ABORT, '{_APPEND_ONLY}'); END",
        "CREATE TABLE boundaries ("
        " fid INTEGER PRIMARY KEY AUTOINCREMENT, geom MULTIPOLYGON,"
        " name TEXT NOT NULL, quarter TEXT, source TEXT, approximate BOOLEAN NOT NULL DEFAULT 0)",
        "CREATE TABLE visits ("
        " visit_id INTEGER PRIMARY KEY AUTOINCREMENT,"
        " unit_id TEXT NOT NULL REFERENCES units(unit_id),"
        " visited_on DATE NOT NULL,"
        f" outcome TEXT NOT NULL CHECK (outcome IN ({_OUTCOME_CHECK})),"
        " follow_up_on DATE, follow_up_done BOOLEAN NOT NULL DEFAULT 0,"
        " note TEXT, walk_id TEXT, obs_id INTEGER REFERENCES observations(obs_id),"
        " recorded_by TEXT, recorded_at DATETIME NOT NULL)",
        "CREATE INDEX visits_unit ON visits (unit_id, visited_on)",
    ),
    postgres=(
        "CREATE TABLE qm_meta (key text PRIMARY KEY, value text NOT NULL)",
        "CREATE TABLE imports ("
        " import_id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
        " file_name text NOT NULL, imported_at timestamptz NOT NULL, mode text,"
        " rows_read integer, units_added integer, observations_added integer, report text)",
        "CREATE TABLE units ("
        " fid bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, geom geometry(Point, 4326),"
        " unit_id text NOT NULL UNIQUE, street text, housenumber text, postcode text,"
        " address_note text, position text, floor_area_m2 double precision, use_class text,"
        " ortsteil text, quarter text,"
        " owner_name text, contact_person text, contact_phone text, contact_email text,"
        " created_at timestamptz)",
        "CREATE INDEX units_geom ON units USING gist (geom)",
        "CREATE TABLE observations ("
        " obs_id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
        " unit_id text NOT NULL REFERENCES units(unit_id),"
        " observed_on date NOT NULL,"
        f" status text NOT NULL CHECK (status IN ({_STATUS_CHECK})),"
        " business_name text, sector text, confidence text, source text, note text,"
        " new_settlement boolean NOT NULL DEFAULT false,"
        " supersedes bigint REFERENCES observations(obs_id),"
        " recorded_by text, recorded_at timestamptz NOT NULL,"
        " import_id bigint REFERENCES imports(import_id))",
        "CREATE INDEX observations_unit_date ON observations (unit_id, observed_on)",
        # refuses the change it is fired for, with the message it is given
        "CREATE FUNCTION qm_refuse() RETURNS trigger LANGUAGE plpgsql AS"
        " $$BEGIN RAISE EXCEPTION USING MESSAGE = TG_ARGV[0], ERRCODE = 'restrict_violation'; END$$",
        _pg_refuse("observations_no_update", "observations", "UPDATE", _APPEND_ONLY),
        _pg_refuse("observations_no_delete", "observations", "DELETE", _APPEND_ONLY),
        _pg_refuse("observations_no_truncate", "observations", "TRUNCATE", _APPEND_ONLY),
        "CREATE TABLE boundaries ("
        " fid bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, geom geometry(MultiPolygon, 4326),"
        " name text NOT NULL, quarter text, source text, approximate boolean NOT NULL DEFAULT false)",
        "CREATE INDEX boundaries_geom ON boundaries USING gist (geom)",
        "CREATE TABLE visits ("
        " visit_id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
        " unit_id text NOT NULL REFERENCES units(unit_id),"
        " visited_on date NOT NULL,"
        f" outcome text NOT NULL CHECK (outcome IN ({_OUTCOME_CHECK})),"
        " follow_up_on date, follow_up_done boolean NOT NULL DEFAULT false,"
        " note text, walk_id text, obs_id bigint REFERENCES observations(obs_id),"
        " recorded_by text, recorded_at timestamptz NOT NULL)",
        "CREATE INDEX visits_unit ON visits (unit_id, visited_on)",
    ),
)

#: The steps, in order: ``MIGRATIONS[n - 1]`` makes schema version ``n``. All pending steps and
#: the new version number are written in one transaction. A new store receives every step, so
#: upgraded and new stores are the same.
MIGRATIONS: tuple[Step, ...] = (
    _STEP_1,
    # The history is append-only against every SQL path. SQLite: INSERT OR REPLACE deletes the
    # old row without firing DELETE triggers (unless recursive_triggers is on), so a BEFORE INSERT
    # trigger refuses an id that exists (NEW.obs_id is -1 when the id is left to SQLite).
    # PostgreSQL has no such path (INSERT ... ON CONFLICT DO UPDATE fires the UPDATE triggers).
    # Visits: no delete, no change but follow_up_done.
    Step(
        2,
        "Beobachtungen und Besuche nur anfügen, auf jedem Weg",
        sqlite=(
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
        postgres=(
            _pg_refuse(
                "visits_no_update", "visits", "UPDATE", "visits are append-only: only follow_up_done may change",
                when=f"{_pg_row('OLD')} IS DISTINCT FROM {_pg_row('NEW')}",
            ),
            _pg_refuse("visits_no_delete", "visits", "DELETE", "visits are append-only"),
            _pg_refuse("visits_no_truncate", "visits", "TRUNCATE", "visits are append-only"),
        ),
    ),
    # The store tells which upgrades it received (qm_migrations; steps before this one were
    # applied at an unknown time) and keeps its version, a change counter in qm_meta. A write
    # through this library raises it by one (Store.write); triggers count every changed row
    # another program writes (QGIS), so caches keyed on the version and the conflict check of an
    # edit notice those changes too. The library's own write marks itself for its transaction
    # (SQLite: the 'writer' row; PostgreSQL: the setting WRITER_SETTING), so the triggers skip its
    # rows: a write of a million observations costs a cheap check per row, not a counter update.
    # PostgreSQL: the triggers add to one row per transaction of qm_changes instead of updating
    # the counter row, so another program's edit never waits for (or deadlocks with) a write of
    # ours holding the counter; the version is the counter plus those rows, and each write of
    # ours folds them into the counter.
    Step(
        3,
        "Versionszähler (zählt auch Änderungen anderer Programme), Liste der Schritte",
        sqlite=(
            "CREATE TABLE IF NOT EXISTS qm_migrations (version INTEGER PRIMARY KEY, applied_at DATETIME)",
            "INSERT OR IGNORE INTO qm_migrations (version, applied_at) VALUES (1, NULL), (2, NULL)",
            "INSERT OR IGNORE INTO qm_meta (key, value) VALUES ('change_counter', '0')",
            *(
                f"CREATE TRIGGER IF NOT EXISTS {table}_count_{event.lower()} AFTER {event} ON {table}"
                f" WHEN NOT EXISTS (SELECT 1 FROM qm_meta WHERE key = '{WRITER_KEY}')"
                " BEGIN UPDATE qm_meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'change_counter'; END"
                for table, event in _COUNTED
            ),
        ),
        postgres=(
            "CREATE TABLE IF NOT EXISTS qm_migrations (version integer PRIMARY KEY, applied_at timestamptz)",
            "INSERT INTO qm_migrations (version, applied_at) VALUES (1, NULL), (2, NULL) ON CONFLICT DO NOTHING",
            "INSERT INTO qm_meta (key, value) VALUES ('change_counter', '0') ON CONFLICT DO NOTHING",
            "CREATE TABLE qm_changes (txid bigint PRIMARY KEY, changed_rows bigint NOT NULL)",
            # search_path FROM CURRENT: the function finds qm_changes in the store's schema
            # whatever search_path the editing program (QGIS) has
            "CREATE FUNCTION qm_count_change() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS"
            " $$BEGIN INSERT INTO qm_changes AS c (txid, changed_rows) VALUES (txid_current(), 1)"
            " ON CONFLICT (txid) DO UPDATE SET changed_rows = c.changed_rows + 1; RETURN NULL; END$$",
            *(
                f"CREATE TRIGGER {table}_count_{event.lower()} AFTER {event} ON {table} FOR EACH ROW"
                f" WHEN (current_setting('{WRITER_SETTING}', true) IS DISTINCT FROM 'on')"
                " EXECUTE FUNCTION qm_count_change()"
                for table, event in _COUNTED
            ),
            "CREATE TRIGGER boundaries_count_truncate AFTER TRUNCATE ON boundaries FOR EACH STATEMENT"
            f" WHEN (current_setting('{WRITER_SETTING}', true) IS DISTINCT FROM 'on')"
            " EXECUTE FUNCTION qm_count_change()",
        ),
    ),
    # How a unit without coordinates in its list was placed from its address
    # (geo.places.geocoding): method (offline, nominatim) and quality (exact ... street_only);
    # both empty for units whose coordinates were given.
    Step(
        4,
        "Einheiten: Verfahren und Qualität der Verortung über die Adresse (Geokodierung)",
        both=(
            "ALTER TABLE units ADD COLUMN geocode_method TEXT",
            "ALTER TABLE units ADD COLUMN geocode_quality TEXT",
        ),
    ),
    # A unit's place checked by a person (geo.register.relocation): accepted as it is, or moved by
    # a click on the map. The unit row holds the current place; this log, append-only like the
    # observations, keeps every check with the place before, so a move never loses the old point.
    # SQLite: IF NOT EXISTS, so a store whose version number was set back receives the step again.
    Step(
        5,
        "Ortsprüfungen der Einheiten (nur anfügen): übernommen oder auf der Karte versetzt",
        sqlite=(
            "CREATE TABLE IF NOT EXISTS location_checks ("
            " check_id INTEGER PRIMARY KEY AUTOINCREMENT,"
            " unit_id TEXT NOT NULL REFERENCES units(unit_id),"
            f" action TEXT NOT NULL CHECK (action IN ({_LOCATION_ACTION_CHECK})),"
            " lon REAL NOT NULL, lat REAL NOT NULL, lon_before REAL, lat_before REAL,"
            " method_before TEXT, quality_before TEXT, recorded_by TEXT, recorded_at DATETIME NOT NULL)",
            "CREATE INDEX IF NOT EXISTS location_checks_unit ON location_checks (unit_id)",
            "CREATE TRIGGER IF NOT EXISTS location_checks_no_update BEFORE UPDATE ON location_checks"
            f" BEGIN SELECT RAISE(ABORT, '{_CHECKS_APPEND_ONLY}'); END",
            "CREATE TRIGGER IF NOT EXISTS location_checks_no_delete BEFORE DELETE ON location_checks"
            f" BEGIN SELECT RAISE(ABORT, '{_CHECKS_APPEND_ONLY}'); END",
            "CREATE TRIGGER IF NOT EXISTS location_checks_no_replace BEFORE INSERT ON location_checks"
            " WHEN EXISTS (SELECT 1 FROM location_checks WHERE check_id = NEW.check_id)"
            f" BEGIN SELECT RAISE(ABORT, '{_CHECKS_APPEND_ONLY}'); END",
            "CREATE TRIGGER IF NOT EXISTS location_checks_count_insert AFTER INSERT ON location_checks"
            f" WHEN NOT EXISTS (SELECT 1 FROM qm_meta WHERE key = '{WRITER_KEY}')"
            " BEGIN UPDATE qm_meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'change_counter'; END",
            # listed in the GeoPackage's contents, so QGIS shows the table
            "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description)"
            " VALUES ('location_checks', 'attributes', 'location_checks', 'Ortsprüfungen der Einheiten (nur anfügen)')",
        ),
        postgres=(
            "CREATE TABLE location_checks ("
            " check_id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
            " unit_id text NOT NULL REFERENCES units(unit_id),"
            f" action text NOT NULL CHECK (action IN ({_LOCATION_ACTION_CHECK})),"
            " lon double precision NOT NULL, lat double precision NOT NULL,"
            " lon_before double precision, lat_before double precision,"
            " method_before text, quality_before text, recorded_by text, recorded_at timestamptz NOT NULL)",
            "CREATE INDEX location_checks_unit ON location_checks (unit_id)",
            _pg_refuse("location_checks_no_update", "location_checks", "UPDATE", _CHECKS_APPEND_ONLY),
            _pg_refuse("location_checks_no_delete", "location_checks", "DELETE", _CHECKS_APPEND_ONLY),
            _pg_refuse("location_checks_no_truncate", "location_checks", "TRUNCATE", _CHECKS_APPEND_ONLY),
            "CREATE TRIGGER location_checks_count_insert AFTER INSERT ON location_checks FOR EACH ROW"
            f" WHEN (current_setting('{WRITER_SETTING}', true) IS DISTINCT FROM 'on')"
            " EXECUTE FUNCTION qm_count_change()",
        ),
    ),
    # Accounts of the app and the audit trail (geo.access.accounts): who may sign in with which
    # role, and who did what when. Not register data: no counting trigger (a sign-in must not
    # change the version the app's caches key on), not in gpkg_contents (no layer in QGIS), never
    # in read() or an export. The audit trail is append-only like the observations, on every SQL
    # path. SQLite: IF NOT EXISTS, so a store whose version number was set back receives it again.
    Step(
        6,
        "Konten der App und Audit-Protokoll (nur anfügen); keine Änderung des Registers",
        sqlite=(
            "CREATE TABLE IF NOT EXISTS accounts ("
            " name TEXT PRIMARY KEY, role TEXT NOT NULL, password_hash TEXT, created_at DATETIME NOT NULL)",
            "CREATE TABLE IF NOT EXISTS audit ("
            " id INTEGER PRIMARY KEY AUTOINCREMENT, at DATETIME NOT NULL, account TEXT NOT NULL,"
            " action TEXT NOT NULL, detail TEXT NOT NULL DEFAULT '')",
            "CREATE INDEX IF NOT EXISTS audit_account_at ON audit (account, at)",
            "CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit"
            f" BEGIN SELECT RAISE(ABORT, '{_AUDIT_APPEND_ONLY}'); END",
            "CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit"
            f" BEGIN SELECT RAISE(ABORT, '{_AUDIT_APPEND_ONLY}'); END",
            "CREATE TRIGGER IF NOT EXISTS audit_no_replace BEFORE INSERT ON audit"
            " WHEN EXISTS (SELECT 1 FROM audit WHERE id = NEW.id)"
            f" BEGIN SELECT RAISE(ABORT, '{_AUDIT_APPEND_ONLY}'); END",
        ),
        postgres=(
            "CREATE TABLE accounts ("
            " name text PRIMARY KEY, role text NOT NULL, password_hash text, created_at timestamptz NOT NULL)",
            "CREATE TABLE audit ("
            " id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, at timestamptz NOT NULL,"
            " account text NOT NULL, action text NOT NULL, detail text NOT NULL DEFAULT '')",
            "CREATE INDEX audit_account_at ON audit (account, at)",
            _pg_refuse("audit_no_update", "audit", "UPDATE", _AUDIT_APPEND_ONLY),
            _pg_refuse("audit_no_delete", "audit", "DELETE", _AUDIT_APPEND_ONLY),
            _pg_refuse("audit_no_truncate", "audit", "TRUNCATE", _AUDIT_APPEND_ONLY),
        ),
    ),
)
assert [step.version for step in MIGRATIONS] == list(range(1, len(MIGRATIONS) + 1))

#: Version of the store schema this program writes: the number of the last step. Older stores
#: are upgraded on open (:data:`MIGRATIONS`); newer ones are refused.
SCHEMA_VERSION = MIGRATIONS[-1].version


def check_schema_version(value: object, location: str) -> int:
    """The schema version text of a store's ``qm_meta`` as a number, checked.

    Raises
    ------
    SchemaVersionError
        Not a whole number of at least 1, or newer than :data:`SCHEMA_VERSION`.
    """
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        raise SchemaVersionError(
            f"{location}: die Schema-Version in qm_meta ist '{value}', erwartet eine ganze Zahl (diese "
            f"Programmversion kennt 1 bis {SCHEMA_VERSION}). Das Register ist beschädigt oder wurde von Hand "
            "verändert: eine Sicherung einspielen oder den Eintrag schema_version richtigstellen."
        )
    version = int(text)
    if version > SCHEMA_VERSION:
        raise SchemaVersionError(
            f"{location} hat Schema-Version {version}, dieses Programm kennt nur bis Version "
            f"{SCHEMA_VERSION}. Bitte eine neuere Programmversion verwenden."
        )
    return version


def check_change_counter(value: object, location: str) -> int:
    """The change counter text of a store's ``qm_meta`` as a number, checked.

    Raises
    ------
    StoreError
        Not a whole number (the store was edited by hand).
    """
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()):
        raise StoreError(
            f"{location}: der Änderungszähler in qm_meta (change_counter) ist '{value}', erwartet eine ganze "
            "Zahl. Das Register wurde von Hand verändert: eine Sicherung einspielen oder den Eintrag "
            "change_counter richtigstellen."
        )
    return int(text)


def read_schema_version(con: sqlite3.Connection, path: Path) -> int:
    """The schema version in ``qm_meta`` of a GeoPackage store, checked to be a whole number."""
    try:
        row = con.execute("SELECT value FROM qm_meta WHERE key = 'schema_version'").fetchone()
    except sqlite3.DatabaseError:
        row = None
    if row is None:
        raise StoreError(
            f"{path} ist ein GeoPackage, aber kein Register des Quartiersmonitors "
            "(Tabelle qm_meta fehlt). Daten daraus bitte mit 'python -m geo import' übernehmen."
        )
    return check_schema_version(row[0], str(path))


def migrate(con: sqlite3.Connection, version: int) -> None:
    """Apply the SQLite steps after ``version`` and record them and the new version (caller's transaction).

    ``version`` 0 is an empty file: it receives every step. Each applied step gets a row in
    ``qm_migrations`` with the time it was applied.
    """
    for step in MIGRATIONS[version:]:
        for statement in step.statements("sqlite"):
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
    return 0 if row is None else check_change_counter(row[0], str(path))


def set_change_counter(con: sqlite3.Connection, value: int) -> None:
    """Set the store's version (inside the caller's write transaction)."""
    con.execute(
        "INSERT INTO qm_meta (key, value) VALUES ('change_counter', ?)"
        " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (str(value),),
    )
