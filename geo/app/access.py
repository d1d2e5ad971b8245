"""Accounts, roles and the audit trail as the pages show them (no Streamlit).

* :class:`Who` -- the account of a session and its role; :func:`denied_text` says in German
  why a page or an action is not for it;
* :func:`account_table`, :func:`audit_table`, :func:`audit_csv` -- the page *Konten*: the
  accounts, the trail (kept by :mod:`geo.access.accounts`) filtered and labelled in German, as
  a formula-safe CSV file;
* :func:`reset_demo_keeping_access` -- a demo reset that keeps accounts and trail.

Nothing here shows a password or its hash.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd

from geo import settings
from geo._files import write_csv
from geo.access.accounts import AUDIT_COLUMNS, Account, AuditAction, AuditEvent
from geo.access.roles import ROLE_LABELS, Right, Role, allowed
from geo.register.store import open_store, reset_demo_store

__all__ = [
    "ACTION_LABELS",
    "Who",
    "account_table",
    "audit_csv",
    "audit_table",
    "denied_text",
    "markdown_name",
    "reset_demo_keeping_access",
]

#: German labels of the audit actions (the stored values are the short codes of :class:`AuditAction`).
ACTION_LABELS: dict[str, str] = {
    AuditAction.SIGN_IN: "Anmeldung",
    AuditAction.SIGN_IN_FAILED: "Anmeldung fehlgeschlagen",
    AuditAction.SIGN_OUT: "Abmeldung",
    AuditAction.WRITE: "Schreiben",
    AuditAction.IMPORT: "Import",
    AuditAction.EXPORT_PERSONAL: "Export mit personenbezogenen Daten",
    AuditAction.REPORT_PERSONAL: "interner Bericht",
    AuditAction.ACCOUNT_ADDED: "Konto angelegt",
    AuditAction.ACCOUNT_REMOVED: "Konto entfernt",
    AuditAction.BOUNDARIES: "Grenzen",
    AuditAction.STORE: "Register",
}

#: The lowest role holding each right (for messages).
ROLE_OF_RIGHT: dict[Right, Role] = {right: next(r for r in Role if allowed(r, right)) for right in Right}


@dataclass(frozen=True)
class Who:
    """A session's account: its name (None: nobody signed in), role, how it signed in, a notice for it.

    ``via`` is ``"local"`` (name and password) or ``"oidc"`` (the city's identity provider).
    """

    name: str | None = None
    role: Role = Role.PUBLIC
    via: str | None = None
    notice: str | None = None

    @property
    def label(self) -> str:
        """The role in German."""
        return ROLE_LABELS[self.role]


def markdown_name(name: str | None) -> str:
    """An account name escaped for Markdown (a name is user input)."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~$:])", r"\\\1", name or "")


def denied_text(who: Who, right: Right, title: str | None = None) -> str:
    """Why ``who`` may not see the page ``title`` (or do what) needs ``right``, in German."""
    page = f"Die Seite „{title}“" if title else "Das"
    need = ROLE_LABELS[ROLE_OF_RIGHT[right]]
    if who.name is None:
        return f"{page} ist nur nach der Anmeldung zu sehen (Rolle {need} oder höher)."
    return f"{page} braucht die Rolle {need} oder höher; angemeldet als {markdown_name(who.name)} mit der Rolle {who.label}."


#: Columns of :func:`audit_table`.
AUDIT_TABLE_COLUMNS: tuple[str, ...] = ("Zeit", "Konto", "Aktion", "Detail")


def account_table(accounts: Sequence[Account]) -> pd.DataFrame:
    """Accounts as a German table: name, role, how they sign in, when made (never a hash)."""
    rows = [
        {
            "Konto": a.name,
            "Rolle": ROLE_LABELS[a.role],
            "Anmeldung": "Passwort" if a.password_hash else "Konto der Stadt (Identitätsanbieter)",
            "angelegt": _local(a.created).strftime("%d.%m.%Y %H:%M"),
        }
        for a in accounts
    ]
    return pd.DataFrame(rows, columns=["Konto", "Rolle", "Anmeldung", "angelegt"])


def _local(value: datetime | pd.Timestamp) -> datetime:
    moment = pd.Timestamp(value)
    if moment.tzinfo is None:
        moment = moment.tz_localize(UTC)
    result: datetime = moment.tz_convert(ZoneInfo(settings.timezone)).to_pydatetime()
    return result


def audit_table(
    events: pd.DataFrame,
    *,
    account: str | None = None,
    actions: Iterable[str] = (),
    since: date | None = None,
    until: date | None = None,
) -> pd.DataFrame:
    """The audit trail (:meth:`geo.access.accounts.AccessStore.audit`) filtered and in German, newest first.

    Parameters
    ----------
    events
        Columns :data:`geo.access.accounts.AUDIT_COLUMNS`, times in UTC.
    account
        Only this account's events (None: all).
    actions
        Only these actions (codes of :class:`geo.access.accounts.AuditAction`; empty: all).
    since, until
        Only events on or after ``since`` and on or before ``until`` (local dates).

    Returns
    -------
    pandas.DataFrame
        Columns ``Zeit`` (local time, ``TT.MM.JJJJ HH:MM:SS``), ``Konto``, ``Aktion``, ``Detail``.
    """
    frame = events.loc[:, list(AUDIT_COLUMNS)].copy()
    times = pd.to_datetime(frame["at"], utc=True).dt.tz_convert(ZoneInfo(settings.timezone))
    keep = pd.Series(True, index=frame.index)
    if account:
        keep &= frame["account"] == account
    wanted = {str(a) for a in actions}
    if wanted:
        keep &= frame["action"].astype(str).isin(wanted)
    if since is not None:
        keep &= times >= pd.Timestamp(datetime.combine(since, time.min), tz=ZoneInfo(settings.timezone))
    if until is not None:
        keep &= times <= pd.Timestamp(datetime.combine(until, time.max), tz=ZoneInfo(settings.timezone))
    frame, times = frame.loc[keep], times.loc[keep]
    order = times.sort_values(ascending=False, kind="stable").index
    return pd.DataFrame(
        {
            "Zeit": times.loc[order].dt.strftime("%d.%m.%Y %H:%M:%S").to_numpy(),
            "Konto": frame.loc[order, "account"].astype(str).to_numpy(),
            "Aktion": [ACTION_LABELS.get(str(a), str(a)) for a in frame.loc[order, "action"]],
            "Detail": frame.loc[order, "detail"].fillna("").astype(str).to_numpy(),
        },
        columns=list(AUDIT_TABLE_COLUMNS),
    )


def audit_csv(table: pd.DataFrame) -> bytes:
    """:func:`audit_table` as CSV for Excel (``;``, BOM); no cell can run as a formula."""
    buffer = io.BytesIO()
    write_csv(table, buffer)
    return buffer.getvalue()


def reset_demo_keeping_access(path: Path) -> None:
    """Reset a demo working copy (:func:`geo.register.store.reset_demo_store`), keeping accounts and audit trail.

    The reset replaces the file; the accounts and the trail the app server signs in
    with are read before and written back after, so nobody is locked out and the
    trail goes on unchanged.
    """
    before = open_store(path)
    accounts, trail = before.accounts(), before.audit()
    reset_demo_store(path)
    after = open_store(path)
    for account in accounts:
        after.put_account(account)
    after.append_audit([
        AuditEvent(pd.Timestamp(at).to_pydatetime(), str(who), AuditAction(str(action)), "" if pd.isna(detail) else str(detail))
        for at, who, action, detail in trail.loc[:, list(AUDIT_COLUMNS)].itertuples(index=False)
    ])
