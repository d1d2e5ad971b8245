"""Local accounts, sign-in with a pause after repeated failures, and the audit trail.

Passwords are hashed with Argon2id (memory-hard, :mod:`argon2`); neither a
password nor its hash is ever logged or shown. Accounts and audit events live
in the register's store (:class:`AccessStore`, schema step 6: tables ``accounts``
and ``audit``), so every app server sharing a store shares them: the failure
count that triggers a pause is read from the audit trail, not from one
server's memory. Writing them does not change the register's version.

The command line records what it does with :func:`record` under the account
:func:`cli_account` (``cli:`` and the operating system's user name).
"""

from __future__ import annotations

import enum
import getpass
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

import argon2
import pandas as pd

from geo import settings
from geo.access.roles import Role
from geo.errors import InputError, QuartiersmonitorError

__all__ = [
    "AUDIT_COLUMNS",
    "SIGN_IN_REFUSED",
    "Account",
    "AccessStore",
    "AuditAction",
    "AuditEvent",
    "SignInFailed",
    "add_account",
    "check_account_name",
    "cli_account",
    "hash_password",
    "record",
    "remove_account",
    "sign_in",
    "verify_password",
]

#: Columns of the audit trail as :meth:`AccessStore.audit` returns it.
AUDIT_COLUMNS: tuple[str, ...] = ("at", "account", "action", "detail")

_HASHER = argon2.PasswordHasher()
#: Hash checked against when a name is unknown, so that an unknown name takes as long as a wrong
#: password (no way to find out names by timing). Made on first use.
_DUMMY_HASH: list[str] = []


#: The one message of a refused sign-in, for unknown names and wrong passwords alike.
SIGN_IN_REFUSED = "Name oder Passwort falsch."


class SignInFailed(QuartiersmonitorError):
    """A sign-in was refused: wrong name or password, or a pause after repeated failures.

    Parameters
    ----------
    retry_after
        Seconds until a new try is accepted, or 0 for a plain wrong password.
    """

    def __init__(self, message: str, *, retry_after: int = 0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class AuditAction(enum.StrEnum):
    """What an audit event records."""

    SIGN_IN = "anmeldung"
    SIGN_IN_FAILED = "anmeldung_fehlgeschlagen"
    SIGN_IN_PAUSED = "anmeldung_pausiert"
    """A try during a pause: refused unchecked; does not prolong the pause."""
    SIGN_OUT = "abmeldung"
    WRITE = "schreiben"
    IMPORT = "import"
    EXPORT_PERSONAL = "export_intern"
    REPORT_PERSONAL = "bericht_intern"
    ACCOUNT_ADDED = "konto_angelegt"
    ACCOUNT_REMOVED = "konto_entfernt"
    BOUNDARIES = "grenzen"
    STORE = "register"


@dataclass(frozen=True)
class Account:
    """A local or identity-provider account.

    Attributes
    ----------
    name
        Sign-in name (for accounts of an identity provider: its e-mail address).
    role
        The account's role.
    password_hash
        Argon2 hash, or ``None`` for an account that signs in through the
        identity provider only. Never in ``repr`` or ``str``.
    created
        When the account was made (UTC).
    """

    name: str
    role: Role
    password_hash: str | None = field(repr=False)
    created: datetime

    def __repr__(self) -> str:  # never print the hash
        return f"Account(name={self.name!r}, role={self.role.value!r})"


@dataclass(frozen=True)
class AuditEvent:
    """One line of the audit trail: who did what, when.

    ``detail`` says what was touched (a file name, a count, a unit id) and never
    holds personal data. ``at`` without a time zone is taken as UTC.
    """

    at: datetime
    account: str
    action: AuditAction
    detail: str = ""


class AccessStore(Protocol):
    """Where accounts and the audit trail are kept (both store backends implement it)."""

    def account(self, name: str) -> Account | None:
        """The account called ``name``, or ``None``."""
        ...

    def accounts(self) -> list[Account]:
        """Every account, by name."""
        ...

    def put_account(self, account: Account) -> None:
        """Add ``account`` or replace the one of the same name (the register's version stays)."""
        ...

    def delete_account(self, name: str) -> bool:
        """Remove the account called ``name``; whether there was one."""
        ...

    def append_audit(self, events: Sequence[AuditEvent]) -> None:
        """Append ``events`` to the audit trail (which is never changed; the register's version stays)."""
        ...

    def audit(self, *, since: datetime | None = None, account: str | None = None) -> pd.DataFrame:
        """Audit events, oldest first, columns :data:`AUDIT_COLUMNS` (``at`` in UTC, from ``since`` on)."""
        ...


def _now() -> datetime:
    return datetime.now(UTC)


def hash_password(password: str) -> str:
    """The Argon2id hash of ``password``.

    Raises
    ------
    InputError
        For a password shorter than :data:`geo.settings.min_password_chars`.
    """
    if len(password) < settings.min_password_chars:
        raise InputError(
            f"Das Passwort ist zu kurz: mindestens {settings.min_password_chars} Zeichen, "
            f"gekommen sind {len(password)}."
        )
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``password_hash`` (never raises for a wrong one)."""
    try:
        return _HASHER.verify(password_hash, password)
    except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
        return False


def _check_unknown(password: str) -> None:
    """Spend the time of a password check for an unknown name (its result is not used)."""
    if not _DUMMY_HASH:
        _DUMMY_HASH.append(_HASHER.hash("quartiersmonitor-unbekannt"))
    verify_password(_DUMMY_HASH[0], password)


def cli_account() -> str:
    """The account the command line records in the audit trail: ``cli:`` and the OS user name."""
    try:
        user = getpass.getuser()
    except (OSError, KeyError):  # no user name in the environment nor in the password database
        user = "unbekannt"
    return f"cli:{user}"


def check_account_name(name: str) -> str:
    """``name`` stripped, or an :class:`InputError` naming what is allowed."""
    clean = name.strip()
    if not clean or len(clean) > 120 or any(ch.isspace() or not ch.isprintable() for ch in clean):
        raise InputError(
            f"Ungültiger Kontoname {name!r}: erwartet werden 1–120 Zeichen ohne Leerzeichen "
            "(z. B. 'mmueller' oder eine E-Mail-Adresse)."
        )
    return clean


def record(store: AccessStore, account: str, action: AuditAction, detail: str = "") -> None:
    """Append one audit event made now (the register's version stays).

    Parameters
    ----------
    store
        Where the audit trail lives (a register store).
    account
        Who did it: an account name, or :func:`cli_account` on the command line.
    action
        What was done.
    detail
        What was touched (a file name, counts); never personal data or a password.
    """
    store.append_audit([AuditEvent(_now(), account, action, detail)])


def add_account(
    store: AccessStore, name: str, *, role: Role, password: str | None, by: str
) -> Account:
    """Create or replace a local account and record it in the audit trail.

    Parameters
    ----------
    store
        Where accounts live.
    name
        Sign-in name.
    role
        Its role.
    password
        Its password; ``None`` for an identity-provider account.
    by
        Who makes it (account name or :func:`cli_account`).

    Returns
    -------
    Account
        The account as stored (an account replaced keeps the time it was made).

    Raises
    ------
    InputError
        An invalid name, or a password shorter than :data:`geo.settings.min_password_chars`.
    """
    clean = check_account_name(name)
    password_hash = None if password is None else hash_password(password)
    old = store.account(clean)
    account = Account(
        name=clean,
        role=role,
        password_hash=password_hash,
        created=_now() if old is None else old.created,
    )
    store.put_account(account)
    change = "angelegt" if old is None else "geändert"
    record(store, by, AuditAction.ACCOUNT_ADDED, f"{clean} ({role.value}, {change})")
    return account


def remove_account(store: AccessStore, name: str, *, by: str) -> None:
    """Remove an account; an :class:`InputError` if there is none of that name."""
    clean = name.strip()
    if not store.delete_account(clean):
        raise InputError(f"Kein Konto mit dem Namen {clean!r}. 'python -m geo users list' zeigt alle Konten.")
    record(store, by, AuditAction.ACCOUNT_REMOVED, clean)


def _recent_failures(store: AccessStore, name: str, now: datetime) -> tuple[int, datetime | None]:
    """Failures since the last success within the failure window, and the latest failure.

    Tries refused during a pause (:attr:`AuditAction.SIGN_IN_PAUSED`) are not counted: they do
    not prolong the pause, so nobody can keep an account locked by trying on.
    """
    window = timedelta(seconds=settings.signin_failure_window_s)
    events = store.audit(since=now - window, account=name)
    count = 0
    latest: datetime | None = None
    for action, at in zip(events["action"], events["at"], strict=True):
        if action == AuditAction.SIGN_IN:
            count, latest = 0, None
        elif action == AuditAction.SIGN_IN_FAILED:
            count += 1
            latest = at
    return count, latest


def sign_in(store: AccessStore, name: str, password: str, *, now: datetime | None = None) -> Account:
    """Check a local sign-in and record it (or its failure) in the audit trail.

    After :data:`geo.settings.signin_max_failures` failures in a row, further
    tries are refused for :data:`geo.settings.signin_pause_s` seconds after the
    last failure, even with the right password (tries meanwhile do not prolong
    it); a success resets the count.

    Parameters
    ----------
    store
        Where accounts and the audit trail live.
    name, password
        What was typed.
    now
        The moment of the try (default: now; without a time zone: UTC); for tests.

    Raises
    ------
    SignInFailed
        With one message for unknown names and wrong passwords alike (and the
        same time spent on both).
    """
    moment = now or _now()
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    clean = name.strip()
    if not clean or len(clean) > 120 or not clean.isprintable():  # no account has such a name
        _check_unknown(password)
        raise SignInFailed(SIGN_IN_REFUSED)
    failures, latest = _recent_failures(store, clean, moment)
    if failures >= settings.signin_max_failures and latest is not None:
        remaining = (latest + timedelta(seconds=settings.signin_pause_s) - moment).total_seconds()
        if remaining > 0:
            wait = math.ceil(remaining)
            store.append_audit([AuditEvent(moment, clean, AuditAction.SIGN_IN_PAUSED)])
            raise SignInFailed(
                f"Zu viele fehlgeschlagene Anmeldungen. Bitte in {wait} Sekunden erneut versuchen.",
                retry_after=wait,
            )
    account = store.account(clean)
    if account is None or account.password_hash is None:
        _check_unknown(password)
        verified = False
    else:
        verified = verify_password(account.password_hash, password)
    if account is None or not verified:
        store.append_audit([AuditEvent(moment, clean, AuditAction.SIGN_IN_FAILED)])
        raise SignInFailed(SIGN_IN_REFUSED)
    store.append_audit([AuditEvent(moment, clean, AuditAction.SIGN_IN)])
    return account
