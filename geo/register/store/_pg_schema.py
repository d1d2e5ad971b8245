"""The register's tables in a PostgreSQL schema: made, upgraded and removed (for :mod:`geo.register.store.postgis`).

The steps are the GeoPackage's (:data:`geo.register.store._schema.MIGRATIONS`) in their PostgreSQL
form; creating and upgrading take the advisory lock :data:`SCHEMA_LOCK`, so that several app
servers do it one at a time. The functions work inside the caller's transaction.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from geo.errors import StoreError
from geo.register.store._pg import HAS_TABLE
from geo.register.store._schema import MIGRATIONS, SCHEMA_VERSION, check_schema_version
from geo.register.store._sqlite import now_iso

if TYPE_CHECKING:
    import psycopg

#: Key of the advisory lock that makes creating and upgrading the schema one at a time.
SCHEMA_LOCK = 0x514D_5343  # "QMSC"


def _created(kind: str) -> tuple[str, ...]:
    """The tables (``TABLE``) or functions (``FUNCTION``) the PostgreSQL steps create, in order."""
    pattern = re.compile(rf"CREATE (?:OR REPLACE )?{kind} (?:IF NOT EXISTS )?(\w+)")
    found = (m.group(1) for step in MIGRATIONS for st in step.statements("postgres") for m in pattern.finditer(st))
    return tuple(dict.fromkeys(found))


#: Tables of the register (from the steps); a schema holding one of them without ``qm_meta`` is not
#: made a store, and an empty register just created is removed by dropping them.
TABLES = _created("TABLE")
#: Functions the steps create (trigger functions), dropped with the tables.
FUNCTIONS = _created("FUNCTION")


def schema_name(con: psycopg.Connection[Any]) -> str:
    """The schema the connection's ``search_path`` names first (for messages)."""
    row = con.execute("SELECT current_schema()").fetchone()
    return str(row[0]) if row and row[0] else "(keins: search_path prüfen)"


def schema_version(con: psycopg.Connection[Any], location: str) -> int | None:
    """The store's schema version; ``None`` when the schema has no register."""
    row = con.execute(HAS_TABLE, ("qm_meta",)).fetchone()
    if not row or not row[0]:
        return None
    found = con.execute("SELECT value FROM qm_meta WHERE key = 'schema_version'").fetchone()
    if found is None:
        raise StoreError(
            f"{location}: die Tabelle qm_meta gehört nicht zu einem Register des Quartiersmonitors "
            "(kein Eintrag schema_version). Ein anderes Schema oder eine andere Datenbank wählen."
        )
    return check_schema_version(found[0], location)


def prepare_empty(con: psycopg.Connection[Any], location: str) -> None:
    """Before creating a register: PostGIS there, no foreign table of the same name in the way."""
    import psycopg

    if con.execute("SELECT to_regtype('geometry') IS NULL").fetchone() == (True,):
        try:
            with con.transaction():
                con.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        except psycopg.Error as exc:
            raise StoreError(
                f"In {location} fehlt die Erweiterung PostGIS, und sie lässt sich nicht einrichten "
                f"({exc.diag.message_primary or exc}). Die Datenbankverwaltung richtet sie ein: "
                "'CREATE EXTENSION postgis;' (Debian: Paket postgresql-15-postgis-3)."
            ) from None
    taken = [t for t in TABLES if con.execute(HAS_TABLE, (t,)).fetchone() == (True,)]
    if taken:
        raise StoreError(
            f"Im Schema {schema_name(con)} von {location} gibt es schon Tabellen namens "
            f"{', '.join(taken)}, aber kein Register; dort wird keins angelegt. Eine leere Datenbank oder "
            "ein eigenes Schema nehmen (URL mit ?options=-csearch_path%3Dregister,public)."
        )


def migrate(con: psycopg.Connection[Any], version: int) -> None:
    """Apply the steps after ``version`` and record them and the new version (caller's transaction)."""
    for step in MIGRATIONS[version:]:
        for statement in step.statements("postgres"):
            con.execute(statement)  # our own statements, no parameters
    applied_at = now_iso()
    with con.cursor() as cur:
        cur.executemany(
            "INSERT INTO qm_migrations (version, applied_at) VALUES (%s, %s)"
            " ON CONFLICT (version) DO UPDATE SET applied_at = excluded.applied_at",
            [(number, applied_at) for number in range(version + 1, SCHEMA_VERSION + 1)],
        )
    con.execute(
        "INSERT INTO qm_meta (key, value) VALUES ('schema_version', %s)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (str(SCHEMA_VERSION),),
    )


def drop_tables(con: psycopg.Connection[Any]) -> None:
    """Drop the register's tables and functions (the caller checked that it holds nothing)."""
    con.execute(f"DROP TABLE IF EXISTS {', '.join(reversed(TABLES))} CASCADE")
    con.execute(f"DROP FUNCTION IF EXISTS {', '.join(f + '()' for f in FUNCTIONS)}")
