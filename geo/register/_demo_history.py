"""The simulated history of the demo units: their true states month by month, and the observations of them.

Private to :mod:`geo.register.demo`: each unit gets a sequence of true states
(:class:`_Stint`: occupied by a business, vacant, renovation, temporary use,
demolished) drawn from monthly hazards per quarter, then observations on walks
and reports (:class:`_Obs`), a few of them wrong and corrected later.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from geo.register._demo_data import (
    _BUSINESS_NAMES,
    _CLOSE,
    _GRUENAU,
    _INITIAL,
    _KINDS,
    _KNOTS,
    _LET,
    _NAME_PARTS,
    _NOTE_ESCAPE,
    _NOTES_VACANT,
    _OSTEN,
    _STAFF,
    _TEMPORARY_NAMES,
    _WZ_OF_USE,
    HISTORY_START,
    SOURCE_REPORT,
    SOURCE_WALK,
    _Street,
)
from geo.register.model import USE_CLASSES

_WALK_TIME = pd.Timedelta(hours=16, minutes=30)
_REPORT_TIME = pd.Timedelta(hours=10, minutes=15)
_CORRECTION_TIME = pd.Timedelta(hours=11, minutes=0)

#: A demo unit before it becomes a row: column -> value, ``street`` a :class:`_Street`.
_Unit = dict[str, Any]


@dataclass
class _Stint:
    """A period of one true state of a unit, from month ``start`` on."""

    start: int
    state: str
    business: str | None = None
    sector: str | None = None
    via: str = "initial"  # initial | let | change | new_unit | other


@dataclass
class _Obs:
    unit: int
    day: date
    status: str
    business: str | None
    sector: str | None
    confidence: str
    source: str
    note: str | None
    new_settlement: bool
    recorded_by: str
    recorded_at: pd.Timestamp
    supersedes: int | None = None  # index into the observation list


# -- histories ---------------------------------------------------------------------


def _month_index(day: date) -> int:
    return (day.year - HISTORY_START.year) * 12 + day.month - 1


def _month_start(month: int) -> date:
    return date(HISTORY_START.year + month // 12, month % 12 + 1, 1)


def _rates(quarter: str, month: int) -> tuple[float, float]:
    year = HISTORY_START.year + month / 12
    return (
        float(np.interp(year, _KNOTS, _CLOSE[quarter])),
        float(np.interp(year, _KNOTS, _LET[quarter])),
    )


class _Names:
    """Draws business names so that each name is used by one business only."""

    def __init__(self, rng: np.random.Generator) -> None:
        self._queues: dict[str, list[str]] = {}
        for use in USE_CLASSES:
            curated = list(_BUSINESS_NAMES[use])
            combos = [f"{k} {p}" for k in _KINDS[use] for p in _NAME_PARTS]
            rng.shuffle(curated)
            rng.shuffle(combos)
            self._queues[use] = (curated + combos)[::-1]  # pop() from the end
        self._temporary = list(_TEMPORARY_NAMES)
        self._used: set[str] = set()

    def business(self, rng: np.random.Generator, unit: _Unit) -> tuple[str, str]:
        use = unit["use_class"] if rng.random() < 0.8 else str(rng.choice(USE_CLASSES))
        street: _Street = unit["street"]
        queue = self._queues[use]
        name = ""
        while queue and (not name or name in self._used):
            name = queue.pop().format(short=street.short, hn=unit["housenumber"])
        if not name or name in self._used:
            name = f"{_KINDS[use][0]} {street.short} {unit['housenumber']}"
        self._used.add(name)
        sector = str(rng.choice(_WZ_OF_USE[use])) if rng.random() < 0.35 else use
        return name, sector

    def temporary(self, rng: np.random.Generator) -> tuple[str, str]:
        return str(rng.choice(self._temporary)), "culture_social"


def _simulate(rng: np.random.Generator, names: _Names, unit: _Unit, n_months: int) -> list[_Stint]:
    quarter = unit["street"].quarter
    if rng.random() < 0.08:  # a unit created later (new building or conversion)
        start = int(rng.integers(12, max(13, n_months - 18)))
        stints = [_Stint(start, "occupied", *names.business(rng, unit), via="new_unit")]
    else:
        state = str(
            rng.choice(["occupied", "vacant", "renovation", "temporary_use"], p=_INITIAL[quarter])
        )
        stints = [_Stint(0, state)]
        if state == "occupied":
            stints[0].business, stints[0].sector = names.business(rng, unit)
        elif state == "temporary_use":
            stints[0].business, stints[0].sector = names.temporary(rng)
    for month in range(stints[0].start + 1, n_months):
        close, let = _rates(quarter, month)
        current = stints[-1]
        roll = rng.random()
        new: _Stint | None = None
        if current.state == "occupied":
            if roll < close:
                state = "renovation" if rng.random() < 0.12 else "vacant"
                new = _Stint(month, state, via="other")
            elif roll < close + 0.003:
                new = _Stint(month, "occupied", *names.business(rng, unit), via="change")
        elif current.state == "vacant":
            if roll < let:
                new = _Stint(month, "occupied", *names.business(rng, unit), via="let")
            elif roll < let + 0.004:
                new = _Stint(month, "temporary_use", *names.temporary(rng), via="other")
            elif roll < let + 0.007:
                new = _Stint(month, "renovation", via="other")
        elif current.state == "temporary_use":
            if roll < 0.06:
                if rng.random() < 0.5:
                    new = _Stint(month, "occupied", *names.business(rng, unit), via="let")
                else:
                    new = _Stint(month, "vacant", via="other")
        elif current.state == "renovation":
            if roll < 0.08:
                if rng.random() < 0.75:
                    new = _Stint(month, "occupied", *names.business(rng, unit), via="let")
                else:
                    new = _Stint(month, "vacant", via="other")
        if new is not None:
            stints.append(new)
    return stints


def _demolish(
    rng: np.random.Generator, units: list[_Unit], histories: list[list[_Stint]], n_months: int
) -> None:
    """Pick a few units (more in Grünau) that fall vacant and are demolished."""
    if n_months < 60:
        return
    for quarter, how_many in ((_OSTEN, 2), (_GRUENAU, 3)):
        candidates = [
            i
            for i, u in enumerate(units)
            if u["street"].quarter == quarter and histories[i][0].start == 0
        ]
        if not candidates:
            continue
        for i in rng.choice(candidates, size=min(how_many, len(candidates)), replace=False):
            vacant_from = int(rng.integers(18, 48))
            demolished_at = vacant_from + int(rng.integers(18, 48))
            kept = [s for s in histories[int(i)] if s.start < vacant_from]
            if kept[-1].state != "vacant":
                kept.append(_Stint(vacant_from, "vacant", via="other"))
            kept.append(_Stint(min(demolished_at, n_months - 6), "demolished", via="other"))
            histories[int(i)] = kept


def _ensure_escaping_example(
    units: list[_Unit], histories: list[list[_Stint]], n_months: int
) -> None:
    """Make sure the name that needs most HTML escaping is in the register at the end."""
    special = 'Café & Bar "Zur <Ecke>"'
    if any(h[-1].business == special for h in histories):
        return
    for unit, history in zip(units, histories, strict=True):
        last = history[-1]
        if (
            unit["street"].quarter == _OSTEN
            and unit["use_class"] == "food"
            and last.state == "occupied"
            and last.start < n_months - 24
        ):
            last.business, last.sector = special, "I"
            return


def _state_at(history: list[_Stint], month: int) -> _Stint | None:
    current = None
    for stint in history:
        if stint.start <= month:
            current = stint
        else:
            break
    return current


def _workday(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _observe(
    rng: np.random.Generator, units: list[_Unit], histories: list[list[_Stint]], end: date
) -> list[_Obs]:
    observations: list[_Obs] = []
    for i, (unit, history) in enumerate(zip(units, histories, strict=True)):
        quarter = unit["street"].quarter
        staff = _STAFF[quarter]
        first_month = history[0].start
        if first_month == 0:
            day = _workday(date(2015, 3, 2) + timedelta(days=int(rng.integers(0, 240))))
        else:
            day = _workday(_month_start(first_month) + timedelta(days=int(rng.integers(0, 20))))
        walk_days: list[date] = []
        while day <= end:
            walk_days.append(day)
            day = _workday(day + timedelta(days=int(rng.integers(183, 731))))
        days: dict[date, str] = {d: "walk" for d in walk_days}
        for change in history[1:]:
            if rng.random() < 0.35 or change.state == "demolished":
                day = _month_start(change.start) + timedelta(days=int(rng.integers(0, 28)))
                while day in days:
                    day += timedelta(days=1)
                if first_month <= _month_index(day) and day <= end:
                    days[day] = "report"
        seen_stints: set[int] = set()
        previous_status: str | None = None
        for day in sorted(days):
            stint = _state_at(history, _month_index(day))
            if stint is None:  # pragma: no cover - days start with the history
                continue
            if previous_status == "demolished":
                break
            kind = days[day]
            obs = _observation(rng, i, day, kind, stint, staff, id(stint) in seen_stints)
            seen_stints.add(id(stint))
            observations.append(obs)
            previous_status = obs.status
    return observations


def _observation(
    rng: np.random.Generator,
    unit: int,
    day: date,
    kind: str,
    stint: _Stint,
    staff: tuple[str, ...],
    stint_seen: bool,
) -> _Obs:
    walk = kind == "walk"
    status = stint.state
    business = stint.business if status in ("occupied", "temporary_use") else None
    sector = stint.sector if business is not None else None
    confidence = "confirmed_on_site" if walk else "reported"
    note: str | None = None
    new_settlement = False
    if status == "vacant":
        if rng.random() < 0.25:
            status = "probably_vacant"
            confidence = "assumed" if walk else "reported"
            note = "Schaufenster verklebt" if walk else None
        elif walk:
            note = _NOTES_VACANT[int(rng.integers(len(_NOTES_VACANT)))]
            if note is not None and rng.random() < 0.04:
                note = _NOTE_ESCAPE
    elif status == "renovation" and walk:
        note = "Baugerüst, Umbau" if rng.random() < 0.5 else None
    elif status == "demolished":
        note = "Gebäude abgerissen"
    if walk and status not in ("demolished",) and rng.random() < 0.015:
        status, business, sector = "unknown", None, None
        confidence, note = "assumed", "Nicht einsehbar (Gerüst/Rollladen)"
    if status == "occupied" and not stint_seen:
        chance = {"new_unit": 1.0, "let": 0.7, "change": 0.3}.get(stint.via, 0.0)
        new_settlement = bool(rng.random() < chance)
        if new_settlement and rng.random() < 0.3:
            note = "Neueröffnung laut Aushang"
    if status == "unknown":
        new_settlement = False
    time = _WALK_TIME if walk else _REPORT_TIME
    return _Obs(
        unit=unit,
        day=day,
        status=status,
        business=business,
        sector=sector,
        confidence=confidence,
        source=SOURCE_WALK if walk else SOURCE_REPORT,
        note=note,
        new_settlement=new_settlement,
        recorded_by=str(rng.choice(staff)),
        recorded_at=pd.Timestamp(day) + time,
    )


def _add_corrections(rng: np.random.Generator, observations: list[_Obs]) -> None:
    """Turn a few walk observations into mistakes, each corrected later for the same day."""
    candidates = [
        k
        for k, o in enumerate(observations)
        if o.source == SOURCE_WALK and o.status == "occupied" and o.business
    ]
    if not candidates:
        return
    picks = rng.choice(candidates, size=min(8, len(candidates)), replace=False)
    for n, k in enumerate(sorted(int(p) for p in picks)):
        right = observations[k]
        wrong = replace(right)
        if n % 2 == 0:
            wrong.status, wrong.business, wrong.sector = "vacant", None, None
            wrong.new_settlement, wrong.note = False, None
            note = "Korrektur: Betrieb war geöffnet, nicht leer"
        else:
            business = right.business or ""  # never empty: candidates have a business
            wrong.business = business[:-1] if len(business) > 4 else business + "x"
            note = "Korrektur: Name des Betriebs berichtigt"
        observations[k] = wrong
        correction = replace(right)
        correction.note = note
        correction.recorded_at = (
            pd.Timestamp(right.day) + pd.Timedelta(days=int(rng.integers(1, 6))) + _CORRECTION_TIME
        )
        correction.supersedes = k
        observations.append(correction)
