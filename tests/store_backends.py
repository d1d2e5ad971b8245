"""Both register backends for the tests: fresh stores, raw SQL as another program, a digest of everything stored.

:func:`start_postgis` gives a PostgreSQL server with PostGIS: ``QM_TEST_POSTGRES_URL`` when set,
else a throwaway cluster started with ``./dev db`` (skips the test when the server binaries are
missing). :class:`GpkgBackend` and :class:`PostgisBackend` make empty stores and run SQL on them
the way QGIS or a database tool would, outside the library.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from geo.register.store import open_store

ROOT = Path(__file__).resolve().parents[1]


def _server_binaries() -> bool:
    if shutil.which("pg_ctl") and shutil.which("initdb"):
        return True
    return any(Path("/usr/lib/postgresql").glob("*/bin/initdb"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def start_postgis() -> Iterator[str]:
    """The URL of a PostgreSQL server with PostGIS (a database with the extension), or skip."""
    url = os.environ.get("QM_TEST_POSTGRES_URL", "").strip()
    if url:
        yield url
        return
    if not _server_binaries():
        pytest.skip("PostgreSQL-Server fehlt (initdb/pg_ctl; Debian: apt-get install postgresql postgis); "
                    "oder QM_TEST_POSTGRES_URL setzen")
    # in /tmp, not under pytest's folder: as root the server runs as user postgres, who must reach it
    folder = Path(tempfile.mkdtemp(prefix="qm-pg-"))
    env = {**os.environ, "QM_DB_DIR": str(folder), "QM_DB_PORT": str(_free_port())}
    done = subprocess.run([str(ROOT / "dev"), "db"], env=env, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        pytest.skip(f"PostgreSQL/PostGIS für die Tests nicht startbar: {done.stderr.strip()[-500:]}")
    try:
        yield done.stdout.strip()
    finally:
        subprocess.run([str(ROOT / "dev"), "db", "stop"], env=env, capture_output=True, timeout=120)
        shutil.rmtree(folder, ignore_errors=True)


class Backend:
    """A kind of store for the tests: make empty stores, run SQL beside the library, digest the content."""

    name: str
    #: What a refused raw statement raises.
    errors: tuple[type[BaseException], ...]

    def __call__(self, name: str = "register") -> Any:
        """A fresh, empty store (opened through :func:`geo.register.store.open_store`)."""
        return open_store(self.new_url(name), create=True)

    def new_url(self, name: str = "register") -> str:
        raise NotImplementedError

    def sql(self, store: Any, *statements: str) -> None:
        """Run ``statements`` in one transaction, as another program would (no library)."""
        raise NotImplementedError

    def rows(self, store: Any, query: str) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def state(self, store: Any) -> str:
        """A digest of everything the store holds (the file's bytes; every table's rows)."""
        raise NotImplementedError

    def triggers(self, store: Any) -> set[str]:
        raise NotImplementedError


class GpkgBackend(Backend):
    name = "gpkg"
    errors = (sqlite3.DatabaseError,)

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def new_url(self, name: str = "register") -> str:
        return str(self.folder / f"{name}.gpkg")

    def sql(self, store: Any, *statements: str) -> None:
        con = sqlite3.connect(store.path)
        try:
            for statement in statements:
                con.execute(statement)
            con.commit()
        finally:
            con.close()

    def rows(self, store: Any, query: str) -> list[tuple[Any, ...]]:
        con = sqlite3.connect(store.path)
        try:
            return con.execute(query).fetchall()
        finally:
            con.close()

    def state(self, store: Any) -> str:
        return hashlib.sha256(Path(store.path).read_bytes()).hexdigest()

    def triggers(self, store: Any) -> set[str]:
        return {r[0] for r in self.rows(store, "SELECT name FROM sqlite_master WHERE type = 'trigger'")}


class PostgisBackend(Backend):
    name = "postgis"

    def __init__(self, server: str) -> None:
        import psycopg

        self.server = server
        self.errors = (psycopg.Error,)
        self.schemas: list[str] = []
        with psycopg.connect(server, autocommit=True) as con, contextlib.suppress(psycopg.errors.UniqueViolation):
            con.execute("CREATE EXTENSION IF NOT EXISTS postgis")  # another test worker may be doing the same

    def new_url(self, name: str = "register") -> str:
        """The URL of a fresh, empty schema (its own ``search_path``)."""
        import psycopg

        schema = f"t_{name.replace('-', '_')}_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(self.server, autocommit=True) as con:
            con.execute(f"CREATE SCHEMA {schema}")
        self.schemas.append(schema)
        joiner = "&" if "?" in self.server else "?"
        return f"{self.server}{joiner}options=-csearch_path%3D{schema},public"

    def drop(self) -> None:
        import psycopg

        with psycopg.connect(self.server, autocommit=True) as con:
            for schema in self.schemas:
                con.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        self.schemas.clear()

    def _connect(self, store: Any) -> Any:
        import psycopg

        return psycopg.connect(store.target)

    def sql(self, store: Any, *statements: str) -> None:
        with self._connect(store) as con:  # commits at the end, rolls back on an error
            for statement in statements:
                con.execute(statement)

    def rows(self, store: Any, query: str) -> list[tuple[Any, ...]]:
        with self._connect(store) as con:
            return list(con.execute(query).fetchall())

    def state(self, store: Any) -> str:
        with self._connect(store) as con:
            tables = [
                r[0]
                for r in con.execute(
                    "SELECT table_name FROM information_schema.tables"
                    " WHERE table_schema = current_schema() ORDER BY table_name"
                )
            ]
            parts = []
            for table in tables:
                digest = con.execute(
                    f"SELECT md5(COALESCE(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {table} t"
                ).fetchone()[0]
                parts.append(f"{table}:{digest}")
        return "\n".join(parts)

    def triggers(self, store: Any) -> set[str]:
        return {
            r[0]
            for r in self.rows(
                store,
                "SELECT tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
                " WHERE c.relnamespace = current_schema()::regnamespace AND NOT t.tgisinternal",
            )
        }
