"""Accounts and the audit trail in the store: :class:`~geo.access.accounts.AccessStore` for both backends.

Schema step 6 (:data:`geo.register.store._schema.MIGRATIONS`) makes the tables ``accounts``
(``name``, ``role``, ``password_hash``, ``created_at``) and ``audit`` (``id``, ``at``,
``account``, ``action``, ``detail``; append-only against every SQL path). They are not register
data: writing them never raises the store's version (no counting trigger; caches keyed on the
version survive a sign-in), they are not layers of the GeoPackage, :meth:`read` and the exports
never include them. ``python -m geo store copy`` carries them
(:attr:`~geo.register.store.base.ChangeSet.accounts`, :attr:`~geo.register.store.base.ChangeSet.audit`).

:class:`GpkgAccess` and :class:`PostgisAccess` are mixins of the two store classes; the
functions below are what both share. A password hash never reaches a message: errors of an
account write are scrubbed (:func:`scrub_hash`), and :class:`~geo.access.accounts.Account`
leaves it out of its ``repr``.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from geo.access.accounts import AUDIT_COLUMNS, Account, AuditEvent
from geo.access.roles import Role
from geo.errors import StoreError
from geo.register.store._pg import HAS_TABLE
from geo.register.store._schema import SCHEMA_VERSION, migrate, read_schema_version
from geo.register.store._sqlite import rollback, store_error

if TYPE_CHECKING:
    import psycopg

#: Columns of ``accounts``, in order.
ACCOUNT_COLUMNS: tuple[str, ...] = ("name", "role", "password_hash", "created_at")
_SELECT_ACCOUNTS = f"SELECT {', '.join(ACCOUNT_COLUMNS)} FROM accounts"
_AUDIT_INSERT = f"INSERT INTO audit ({', '.join(AUDIT_COLUMNS)})"
_HIDDEN = "***"


def utc(moment: datetime) -> datetime:
    """``moment`` in UTC (one without a time zone is taken as UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def time_text(moment: datetime) -> str:
    """A moment as the ISO text the GeoPackage keeps (UTC, microseconds: sorts as text)."""
    return utc(moment).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _moment(value: object) -> datetime:
    if isinstance(value, datetime):
        return utc(value)
    return utc(datetime.fromisoformat(str(value)))


def account_from_row(row: Sequence[Any], location: str) -> Account:
    """An :class:`Account` from a row of ``accounts`` (:data:`ACCOUNT_COLUMNS`).

    Raises
    ------
    StoreError
        The stored role is none this program knows (the row was changed by hand).
    """
    name, role, password_hash, created = row
    try:
        parsed = Role(str(role))
    except ValueError:
        valid = ", ".join(r.value for r in Role)
        raise StoreError(
            f"{location}: das Konto {name!r} hat die unbekannte Rolle {role!r} (erwartet: {valid}). "
            f"Die Rolle neu setzen: 'python -m geo users add {name} --role …'."
        ) from None
    return Account(name=str(name), role=parsed, password_hash=password_hash, created=_moment(created))


def audit_frame(rows: Sequence[Sequence[Any]]) -> pd.DataFrame:
    """Rows of ``audit`` (:data:`~geo.access.accounts.AUDIT_COLUMNS`) as a frame, ``at`` in UTC."""
    frame = pd.DataFrame.from_records(list(rows), columns=list(AUDIT_COLUMNS))
    frame["at"] = pd.to_datetime(frame["at"].map(_moment) if len(frame) else frame["at"], utc=True)
    for col in ("account", "action", "detail"):
        frame[col] = frame[col].astype(object)
    return frame


def audit_rows(frame: pd.DataFrame) -> list[tuple[datetime, str, str, str]]:
    """An audit frame (another store's :meth:`audit`) as rows to insert, oldest first."""
    return [
        (_moment(at), str(account), str(action), "" if pd.isna(detail) else str(detail))
        for at, account, action, detail in frame.reindex(columns=list(AUDIT_COLUMNS)).itertuples(index=False)
    ]


def event_rows(events: Sequence[AuditEvent]) -> list[tuple[datetime, str, str, str]]:
    """Audit events as rows to insert (``at`` in UTC)."""
    return [(utc(e.at), e.account, str(e.action), e.detail) for e in events]


def scrub_hash(exc: StoreError, accounts: Sequence[Account]) -> StoreError:
    """``exc`` with every password hash of ``accounts`` masked, should a driver's message quote one."""
    text = str(exc)
    for account in accounts:
        if account.password_hash:
            text = text.replace(account.password_hash, _HIDDEN)
    return StoreError(text)


def _sqlite_accounts(accounts: Sequence[Account]) -> list[tuple[Any, ...]]:
    return [(a.name, a.role.value, a.password_hash, time_text(a.created)) for a in accounts]


def copy_sqlite(con: sqlite3.Connection, accounts: Sequence[Account], audit: pd.DataFrame | None) -> None:
    """Insert another store's accounts and audit trail (a copy, inside the caller's write transaction)."""
    if accounts:
        con.executemany(
            f"INSERT INTO accounts ({', '.join(ACCOUNT_COLUMNS)}) VALUES (?, ?, ?, ?)", _sqlite_accounts(accounts)
        )
    if audit is not None and len(audit):
        con.executemany(
            f"{_AUDIT_INSERT} VALUES (?, ?, ?, ?)",
            [(time_text(at), *rest) for at, *rest in audit_rows(audit)],
        )


def copy_postgres(cur: psycopg.Cursor[Any], accounts: Sequence[Account], audit: pd.DataFrame | None) -> None:
    """Insert another store's accounts and audit trail (a copy, inside the caller's write transaction)."""
    if accounts:
        cur.executemany(
            f"INSERT INTO accounts ({', '.join(ACCOUNT_COLUMNS)}) VALUES (%s, %s, %s, %s)",
            [(a.name, a.role.value, a.password_hash, utc(a.created)) for a in accounts],
        )
    if audit is not None and len(audit):
        cur.executemany(f"{_AUDIT_INSERT} VALUES (%s, %s, %s, %s)", audit_rows(audit))


def _audit_query(placeholder: str, since: datetime | None, account: str | None) -> tuple[str, list[Any]]:
    conditions: list[str] = []
    params: list[Any] = []
    if since is not None:
        conditions.append(f"at >= {placeholder}")
        params.append(since)
    if account is not None:
        conditions.append(f"account = {placeholder}")
        params.append(account)
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    return f"SELECT {', '.join(AUDIT_COLUMNS)} FROM audit{where} ORDER BY at, id", params


class GpkgAccess:
    """Accounts and the audit trail of a GeoPackage store (mixin of
    :class:`~geo.register.store.gpkg.GeoPackageStore`)."""

    if TYPE_CHECKING:
        path: Path
        location: str

        def _connect(self) -> sqlite3.Connection: ...

    def _access_rows(self, query: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Rows of a query on ``accounts``/``audit``; none in an older store that could not be upgraded."""
        if not self.path.is_file():
            raise StoreError(f"Register-Datei {self.path} nicht gefunden.")
        con = self._connect()
        try:
            if con.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit'").fetchone() is None:
                return []
            return list(con.execute(query, tuple(params)).fetchall())
        except sqlite3.Error as exc:
            raise store_error(self.path, exc, writing=False) from exc
        finally:
            con.close()

    @contextlib.contextmanager
    def _access_write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction on ``accounts``/``audit`` (an older schema upgraded first); the version stays."""
        if not self.path.is_file():
            raise StoreError(f"Register-Datei {self.path} nicht gefunden.")
        con = self._connect()
        try:
            con.execute("BEGIN IMMEDIATE")
            committed = False
            try:
                schema = read_schema_version(con, self.path)
                if schema < SCHEMA_VERSION:
                    migrate(con, schema)
                yield con
                con.execute("COMMIT")
                committed = True
            finally:
                if not committed:
                    rollback(con)
        except sqlite3.Error as exc:
            raise store_error(self.path, exc, writing=True) from exc
        finally:
            con.close()

    def account(self, name: str) -> Account | None:
        """The account called ``name``, or ``None``."""
        rows = self._access_rows(f"{_SELECT_ACCOUNTS} WHERE name = ?", (name,))
        return account_from_row(rows[0], self.location) if rows else None

    def accounts(self) -> list[Account]:
        """Every account, by name."""
        return [account_from_row(r, self.location) for r in self._access_rows(f"{_SELECT_ACCOUNTS} ORDER BY name")]

    def put_account(self, account: Account) -> None:
        """Add ``account`` or replace the one of the same name (the register's version stays)."""
        try:
            with self._access_write() as con:
                con.execute(
                    f"INSERT INTO accounts ({', '.join(ACCOUNT_COLUMNS)}) VALUES (?, ?, ?, ?)"
                    " ON CONFLICT(name) DO UPDATE SET role = excluded.role,"
                    " password_hash = excluded.password_hash, created_at = excluded.created_at",
                    _sqlite_accounts([account])[0],
                )
        except StoreError as exc:
            raise scrub_hash(exc, [account]) from None

    def delete_account(self, name: str) -> bool:
        """Remove the account called ``name``; whether there was one (the register's version stays)."""
        with self._access_write() as con:
            return con.execute("DELETE FROM accounts WHERE name = ?", (name,)).rowcount > 0

    def append_audit(self, events: Sequence[AuditEvent]) -> None:
        """Append ``events`` to the audit trail (never changed; the register's version stays)."""
        if not events:
            return
        with self._access_write() as con:
            con.executemany(
                f"{_AUDIT_INSERT} VALUES (?, ?, ?, ?)",
                [(time_text(at), *rest) for at, *rest in event_rows(events)],
            )

    def audit(self, *, since: datetime | None = None, account: str | None = None) -> pd.DataFrame:
        """Audit events from ``since`` on (of ``account``), oldest first; ``at`` in UTC."""
        query, params = _audit_query("?", since, account)
        params = [time_text(p) if isinstance(p, datetime) else p for p in params]
        return audit_frame(self._access_rows(query, params))


class PostgisAccess:
    """Accounts and the audit trail of a PostGIS store (mixin of
    :class:`~geo.register.store.postgis.PostgisStore`)."""

    if TYPE_CHECKING:
        location: str

        def _connect(self) -> psycopg.Connection[Any]: ...

        def _release(self, con: psycopg.Connection[Any]) -> None: ...

        def _error(self, exc: Exception, *, writing: bool) -> StoreError: ...

        def _upgraded(self, con: psycopg.Connection[Any]) -> None: ...

    def _access_rows(self, query: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Rows of a query on ``accounts``/``audit``; none in an older register that could not be upgraded."""
        import psycopg

        con = self._connect()
        try:
            # in the store's schema: never the tables of a register further down the search_path
            if con.execute(HAS_TABLE, ("audit",)).fetchone() != (True,):
                return []
            return list(con.execute(query, tuple(params)).fetchall())
        except psycopg.Error as exc:
            raise self._error(exc, writing=False) from None
        finally:
            self._release(con)

    @contextlib.contextmanager
    def _access_write(self) -> Iterator[psycopg.Cursor[Any]]:
        """One write transaction on ``accounts``/``audit`` (an older schema upgraded first); the version stays."""
        import psycopg

        con = self._connect()
        try:
            with con.transaction(), con.cursor() as cur:
                self._upgraded(con)
                yield cur
        except psycopg.Error as exc:
            raise self._error(exc, writing=True) from None
        finally:
            self._release(con)

    def account(self, name: str) -> Account | None:
        """The account called ``name``, or ``None``."""
        rows = self._access_rows(f"{_SELECT_ACCOUNTS} WHERE name = %s", (name,))
        return account_from_row(rows[0], self.location) if rows else None

    def accounts(self) -> list[Account]:
        """Every account, by name."""
        return [account_from_row(r, self.location) for r in self._access_rows(f"{_SELECT_ACCOUNTS} ORDER BY name")]

    def put_account(self, account: Account) -> None:
        """Add ``account`` or replace the one of the same name (the register's version stays)."""
        try:
            with self._access_write() as cur:
                cur.execute(
                    f"INSERT INTO accounts ({', '.join(ACCOUNT_COLUMNS)}) VALUES (%s, %s, %s, %s)"
                    " ON CONFLICT (name) DO UPDATE SET role = excluded.role,"
                    " password_hash = excluded.password_hash, created_at = excluded.created_at",
                    (account.name, account.role.value, account.password_hash, utc(account.created)),
                )
        except StoreError as exc:
            raise scrub_hash(exc, [account]) from None

    def delete_account(self, name: str) -> bool:
        """Remove the account called ``name``; whether there was one (the register's version stays)."""
        with self._access_write() as cur:
            cur.execute("DELETE FROM accounts WHERE name = %s", (name,))
            return cur.rowcount > 0

    def append_audit(self, events: Sequence[AuditEvent]) -> None:
        """Append ``events`` to the audit trail (never changed; the register's version stays)."""
        if not events:
            return
        with self._access_write() as cur:
            cur.executemany(f"{_AUDIT_INSERT} VALUES (%s, %s, %s, %s)", event_rows(events))

    def audit(self, *, since: datetime | None = None, account: str | None = None) -> pd.DataFrame:
        """Audit events from ``since`` on (of ``account``), oldest first; ``at`` in UTC."""
        query, params = _audit_query("%s", since, account)
        params = [utc(p) if isinstance(p, datetime) else p for p in params]
        return audit_frame(self._access_rows(query, params))
