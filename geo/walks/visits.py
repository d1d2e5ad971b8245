"""Visits on an outreach walk: logging what a visit found, and the follow-ups it leaves.

:func:`log_visit` records one visit and, when the status or business
changed, an observation (``confirmed_on_site``, source ``Begehung``) in one
transaction. Every visit is checked first (unit, dates, outcome, status,
text lengths; :func:`_check_rows`, shared with the QField import of
:mod:`geo.walks.qfield`). :func:`due_follow_ups` lists the follow-ups due in a
week (and the overdue ones), :func:`mark_follow_up_done` closes them,
:func:`follow_up_table` shows them as a German table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from geo import settings
from geo.dates import DATE_HELP, implausible_reason, local_today, parse_date
from geo.errors import InputError
from geo.formats import unit_address
from geo.register.history import Register
from geo.register.model import STATUS_LABELS, VISIT_OUTCOME_LABELS
from geo.register.stats import status_at
from geo.register.store import ChangeSet, Store
from geo.text import name_key
from geo.walks.stops import _missing, _timestamp, _visits, state_text

__all__ = [
    "VISIT_SOURCE",
    "LoggedVisit",
    "due_follow_ups",
    "follow_up_table",
    "log_visit",
    "mark_follow_up_done",
]


#: Source written on observations recorded on a walk.
VISIT_SOURCE: str = "Begehung"


# -- logging visits ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoggedVisit:
    """What :func:`log_visit` wrote.

    Attributes
    ----------
    visit_id
        The new visit.
    obs_id
        The observation written with it (status or business changed), or None.
    """

    visit_id: int
    obs_id: int | None


@dataclass
class _Visit:
    row: int
    unit_id: str
    visited_on: pd.Timestamp
    outcome: str
    status: str | None
    business: str | None
    follow_up_on: pd.Timestamp | None
    note: str | None

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.unit_id, f"{self.visited_on:%Y-%m-%d}", self.outcome, self.note or "")


def _text(value: Any) -> str | None:
    if _missing(value):
        return None
    text = str(value).strip()
    return text or None


def _day_value(value: Any) -> pd.Timestamp | None:
    """A date from a date, a timestamp or text (``2024-05-03``, ``03.05.2024``); None when empty."""
    if _missing(value) or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime | date | pd.Timestamp | np.datetime64):
        stamp = pd.Timestamp(value)
    else:
        stamp = pd.Timestamp(parse_date(str(value)))
    if pd.isna(stamp):
        return None
    return stamp.tz_localize(None).normalize() if stamp.tzinfo else stamp.normalize()


def _code(value: str, labels: Mapping[str, str]) -> str | None:
    """The code of a value given as code or German label (case-insensitive)."""
    if value in labels:
        return value
    folded = value.casefold()
    for code, label in labels.items():
        if folded in (code.casefold(), label.casefold()):
            return code
    return None


def _check_rows(
    register: Register, rows: Sequence[Mapping[str, Any]], *, today: date
) -> tuple[list[_Visit], list[dict[str, Any]]]:
    """Validate raw visit rows; returns the clean visits and the errors (Zeile, Spalte, Wert, Grund)."""
    known = set(register.units["unit_id"].astype(str))
    outcomes = ", ".join(f"{c} ({label})" for c, label in VISIT_OUTCOME_LABELS.items())
    statuses = ", ".join(f"{c} ({label})" for c, label in STATUS_LABELS.items())
    clean: list[_Visit] = []
    errors: list[dict[str, Any]] = []
    for raw in rows:
        row = int(raw["row"])
        bad: list[dict[str, Any]] = []

        def fail(column: str, value: Any, reason: str, *, _row: int = row, _bad: list[dict[str, Any]] = bad) -> None:
            _bad.append({"Zeile": _row, "Spalte": column, "Wert": "" if _missing(value) else str(value), "Grund": reason})

        unit_id = _text(raw.get("unit_id"))
        if unit_id is None:
            fail("unit_id", None, "Einheit fehlt.")
        elif unit_id not in known:
            fail("unit_id", unit_id, f"Einheit „{unit_id}“ gibt es im Register nicht.")
        dates: dict[str, pd.Timestamp | None] = {}
        for column in ("visited_on", "follow_up_on"):
            try:
                dates[column] = _day_value(raw.get(column))
            except (ValueError, TypeError):
                dates[column] = None
                fail(column, raw.get(column), f"Datum nicht lesbar; erwartet {DATE_HELP}.")
        visited_on, follow_up_on = dates["visited_on"], dates["follow_up_on"]
        if visited_on is None and not any(e["Spalte"] == "visited_on" for e in bad):
            fail("visited_on", None, "Besuchsdatum fehlt.")
        elif visited_on is not None and (reason := implausible_reason(visited_on.date(), today=today)):
            fail("visited_on", raw.get("visited_on"), f"Datum {reason}; bitte das Datum prüfen.")
        for column in ("business_new", "note"):
            text = _text(raw.get(column))
            if text is not None and len(text) > settings.max_field_chars:
                fail(
                    column, text[:40] + " …",
                    f"Text ist {len(text)} Zeichen lang; höchstens {settings.max_field_chars} Zeichen sind erlaubt.",
                )
        outcome_text = _text(raw.get("outcome"))
        outcome = _code(outcome_text, VISIT_OUTCOME_LABELS) if outcome_text else None
        if outcome_text is None:
            fail("outcome", None, f"Ergebnis fehlt; erlaubt: {outcomes}.")
        elif outcome is None:
            fail("outcome", outcome_text, f"Kein gültiges Ergebnis; erlaubt: {outcomes}.")
        status_text = _text(raw.get("status_new"))
        status = _code(status_text, STATUS_LABELS) if status_text else None
        if status_text is not None and status is None:
            fail("status_new", status_text, f"Kein gültiger Status; erlaubt: {statuses}.")
        business = _text(raw.get("business_new"))
        if outcome == "follow_up" and follow_up_on is None and not any(e["Spalte"] == "follow_up_on" for e in bad):
            fail("follow_up_on", None, "Bei „Nachfassen nötig“ bitte das Datum zum Nachfassen angeben.")
        if follow_up_on is not None and visited_on is not None and follow_up_on < visited_on:
            fail("follow_up_on", raw.get("follow_up_on"), "Nachfassen kann nicht vor dem Besuch liegen.")
        if outcome == "status_changed" and status_text is None and business is None:
            fail("status_new", None, "Bei „Status geändert“ bitte den neuen Status oder den neuen Betrieb angeben.")
        if bad:
            errors.extend(bad)
            continue
        assert unit_id is not None and visited_on is not None and outcome is not None
        clean.append(
            _Visit(row, unit_id, visited_on, outcome, status, business, follow_up_on, _text(raw.get("note")))
        )
    return clean, errors


def _visit_changes(
    register: Register, visits: Sequence[_Visit], *, walk_id: str | None, recorded_by: str | None
) -> ChangeSet:
    """Visits plus an observation for each visit that changed status or business, linked by ``obs_index``."""
    states: dict[pd.Timestamp, pd.DataFrame] = {}
    pending: dict[str, tuple[pd.Timestamp, str, str | None]] = {}
    observations: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    recorder = _text(recorded_by)
    for v in sorted(visits, key=lambda v: (v.visited_on, v.row)):
        cur_status: str | None
        if v.unit_id in pending and pending[v.unit_id][0] <= v.visited_on:
            _, cur_status, cur_business = pending[v.unit_id]
        else:
            if v.visited_on not in states:
                states[v.visited_on] = status_at(register, v.visited_on).set_index("unit_id")
            cur = states[v.visited_on].loc[v.unit_id]
            cur_status = cur["status"] if isinstance(cur["status"], str) else None
            cur_business = _text(cur["business_name"])
        new_status, new_business = None, None
        if v.status is not None:
            new_status = v.status
            new_business = v.business if v.business is not None else (cur_business if new_status == cur_status else None)
        elif v.business is not None:
            new_status = cur_status if cur_status in ("occupied", "temporary_use") else "occupied"
            new_business = v.business
        obs_index = None
        if new_status is not None and (
            new_status != cur_status or _same_name(new_business, cur_business) is False
        ):
            observations.append(
                {
                    "unit_id": v.unit_id,
                    "observed_on": v.visited_on,
                    "status": new_status,
                    "business_name": new_business,
                    "sector": None,
                    "confidence": "confirmed_on_site",
                    "source": VISIT_SOURCE,
                    "note": v.note,
                    "new_settlement": False,
                    "supersedes": None,
                    "recorded_by": recorder,
                }
            )
            obs_index = len(observations) - 1
            pending[v.unit_id] = (v.visited_on, new_status, new_business)
        rows.append(
            {
                "unit_id": v.unit_id,
                "visited_on": v.visited_on,
                "outcome": v.outcome,
                "follow_up_on": v.follow_up_on,
                "follow_up_done": False,
                "note": v.note,
                "walk_id": _text(walk_id),
                "obs_id": None,
                "obs_index": obs_index,
                "recorded_by": recorder,
            }
        )
    visit_frame = pd.DataFrame(rows)
    visit_frame["follow_up_on"] = pd.to_datetime(visit_frame["follow_up_on"])
    visit_frame["obs_index"] = visit_frame["obs_index"].astype(object)
    return ChangeSet(observations=pd.DataFrame(observations) if observations else None, visits=visit_frame)


def _same_name(a: str | None, b: str | None) -> bool:
    """Whether two business names are the same (:func:`geo.text.name_key`; unknown equals unknown)."""
    left, right = name_key(pd.Series([a, b], dtype="object"))
    if pd.isna(left) and pd.isna(right):
        return True
    return bool(not pd.isna(left) and not pd.isna(right) and left == right)


def log_visit(
    store: Store,
    *,
    unit_id: str,
    visited_on: date,
    outcome: str,
    status: str | None = None,
    business_name: str | None = None,
    follow_up_on: date | None = None,
    note: str | None = None,
    walk_id: str | None = None,
    recorded_by: str | None = None,
    today: date | None = None,
) -> LoggedVisit:
    """Record one visit; when the status or business changed, also an observation (one transaction).

    The observation is dated ``visited_on`` with confidence
    ``confirmed_on_site`` and source ``Begehung``. A business given without a
    status keeps an occupied (or temporary) status and otherwise makes the
    unit occupied. Given status and business equal to the register's, only
    the visit is written.

    Parameters
    ----------
    store
        The register store.
    unit_id
        The unit visited.
    visited_on
        The day of the visit (not in the future).
    outcome
        One of :data:`geo.register.model.VISIT_OUTCOMES` (or its German label).
    status
        The status found, if it changed (code or German label).
    business_name
        The business found, if it changed.
    follow_up_on
        When to follow up (required for outcome ``follow_up``).
    note
        Internal note.
    walk_id
        The walk the visit belongs to.
    recorded_by
        Who records (internal).
    today
        The current day (default: the real today).

    Returns
    -------
    LoggedVisit
        The new visit id and the observation id (or None).

    Raises
    ------
    InputError
        Unknown unit, outcome or status, bad or future date, missing
        follow-up date; nothing is written.
    """
    today = today or local_today()
    register = store.read(unit_ids=[unit_id])
    raw = {
        "row": 1, "unit_id": unit_id, "visited_on": visited_on, "outcome": outcome, "status_new": status,
        "business_new": business_name, "follow_up_on": follow_up_on, "note": note,
    }
    clean, errors = _check_rows(register, [raw], today=today)
    if errors:
        raise InputError(" ".join(e["Grund"] if not e["Wert"] else f"{e['Grund']} (Wert: {e['Wert']})" for e in errors))
    result = store.write(_visit_changes(register, clean, walk_id=walk_id, recorded_by=recorded_by))
    return LoggedVisit(visit_id=result.visit_ids[0], obs_id=result.obs_ids[0] if result.obs_ids else None)


# -- follow-ups --------------------------------------------------------------------------------------


def due_follow_ups(register: Register, *, week_of: date | None = None) -> pd.DataFrame:
    """Follow-ups due in the week of ``week_of`` (Monday to Sunday) and all overdue ones not done.

    Parameters
    ----------
    register
        The register.
    week_of
        Any day of the week (default: today).

    Returns
    -------
    pandas.DataFrame
        One row per open follow-up, earliest first: ``visit_id``,
        ``unit_id``, ``label`` (address), ``state`` (business or „leer seit
        …“ today), ``follow_up_on``, ``overdue`` (date before ``week_of``),
        ``visited_on``, ``outcome``, ``outcome_label``, ``note`` (internal),
        ``walk_id``.
    """
    day = _timestamp(week_of)
    sunday = day + pd.Timedelta(days=6 - day.weekday())
    visits = _visits(register)
    open_ = visits.loc[
        visits["follow_up_on"].notna() & ~visits["follow_up_done"].astype(bool) & (visits["follow_up_on"] <= sunday)
    ]
    columns = ["visit_id", "unit_id", "label", "state", "follow_up_on", "overdue", "visited_on", "outcome",
               "outcome_label", "note", "walk_id"]
    if open_.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    current = status_at(register, day).set_index("unit_id")
    out = open_.copy()
    units = current.reindex(out["unit_id"])
    out["label"] = [unit_address({**r, "unit_id": u}) for u, r in zip(out["unit_id"], units.to_dict("records"), strict=True)]
    out["state"] = [
        state_text(s, business_name=b, since=w)
        for s, b, w in zip(units["status"], units["business_name"], units["since"], strict=True)
    ]
    out["overdue"] = (out["follow_up_on"] < day).to_numpy()
    out["outcome_label"] = out["outcome"].map(VISIT_OUTCOME_LABELS)
    return out.sort_values(["follow_up_on", "visit_id"])[columns].reset_index(drop=True)


def mark_follow_up_done(store: Store, visit_ids: Iterable[int]) -> int:
    """Mark the follow-ups of visits as done; returns how many were open.

    Raises
    ------
    InputError
        An id names no visit, or a visit without follow-up; nothing is written.
    """
    ids = list(dict.fromkeys(int(i) for i in visit_ids))
    if not ids:
        return 0
    visits = _visits(store.read()).set_index("visit_id")
    unknown = [i for i in ids if i not in visits.index]
    if unknown:
        raise InputError(f"Besuch(e) nicht gefunden: {', '.join(map(str, unknown))}.")
    without = [i for i in ids if pd.isna(visits.at[i, "follow_up_on"])]
    if without:
        raise InputError(f"Besuch(e) ohne Nachfassen: {', '.join(map(str, without))}.")
    open_ids = [i for i in ids if not bool(visits.at[i, "follow_up_done"])]
    if open_ids:
        store.write(ChangeSet(follow_ups_done=open_ids))
    return len(open_ids)


def follow_up_table(due: pd.DataFrame, *, internal: bool = True) -> pd.DataFrame:
    """:func:`due_follow_ups` as a German table (``note`` only when ``internal``)."""
    table = pd.DataFrame(
        {
            "erledigt": False,
            "Fällig am": pd.to_datetime(due["follow_up_on"]).dt.strftime("%d.%m.%Y"),
            "überfällig": due["overdue"].astype(bool),
            "Adresse": due["label"],
            "Stand": due["state"],
            "Besuch am": pd.to_datetime(due["visited_on"]).dt.strftime("%d.%m.%Y"),
            "Ergebnis": due["outcome_label"],
            "Einheit": due["unit_id"],
            "Besuch-Nr.": pd.array(due["visit_id"], dtype="Int64"),
        }
    )
    if internal:
        table.insert(7, "Notiz", due["note"])
    return table
