"""The register in memory: units, their observations and the derived history.

A :class:`Register` is what a store reads; every figure in :mod:`geo.register.stats` is
computed from it. The effective history drops observations that a later
correction supersedes and orders the rest by ``observed_on``, then
``recorded_at``, then ``obs_id`` (so of two observations on the same day the
one recorded later is the newer one). This module is the one home of that rule
(:func:`superseded`, :func:`effective_history`); the importer compares new rows
with the same effective history.

Settlements compare business names with :func:`geo.text.name_key` (case, spacing,
umlaut spelling, accents and invisible characters do not count).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, overload

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import settings
from geo.register.model import (
    CLOSURE_STATUSES,
    OBSERVATION_COLUMNS,
    STATUSES,
    UNIT_COLUMNS,
    VACANT_STATUSES,
    Status,
)
from geo.text import name_key

#: Integer code of each status in analysis arrays.
STATUS_CODE: dict[str, int] = {s: i for i, s in enumerate(STATUSES)}
OCC = STATUS_CODE[Status.OCCUPIED]
UNKNOWN = STATUS_CODE[Status.UNKNOWN]
DEMOLISHED = STATUS_CODE[Status.DEMOLISHED]
VACANT_CODES = np.array(sorted(STATUS_CODE[s] for s in VACANT_STATUSES))
CLOSURE_CODES = np.array(sorted(STATUS_CODE[s] for s in CLOSURE_STATUSES))
_IS_VACANT = np.isin(np.arange(len(STATUSES)), VACANT_CODES)
_IS_CLOSURE = np.isin(np.arange(len(STATUSES)), CLOSURE_CODES)

_EPOCH = np.datetime64("1970-01-01", "D")


def to_days(values: Any) -> np.ndarray:
    """Dates (anything pandas understands) as int64 days since 1970-01-01."""
    arr: np.ndarray = pd.to_datetime(pd.Series(values) if not np.isscalar(values) else [values]).to_numpy()
    return arr.astype("datetime64[D]").view(np.int64)  # datetime64[D] counts days since 1970-01-01


@overload
def from_days(days: int) -> np.datetime64: ...
@overload
def from_days(days: np.ndarray) -> np.ndarray: ...
def from_days(days: int | np.ndarray) -> np.datetime64 | np.ndarray:
    """int64 days since 1970-01-01 as ``datetime64[D]`` (a scalar for one day number)."""
    return _EPOCH + np.asarray(days).astype("timedelta64[D]")


#: Columns the effective history is ordered by, within a unit.
HISTORY_ORDER: tuple[str, ...] = ("observed_on", "recorded_at", "obs_id")


def superseded(observations: pd.DataFrame) -> np.ndarray:
    """Whether each observation is superseded by a correction (another row's ``supersedes`` names it).

    Parameters
    ----------
    observations
        Observations with ``obs_id`` and ``supersedes`` (numbers or text of numbers; missing allowed).

    Returns
    -------
    numpy.ndarray
        Bool, aligned with the rows.
    """
    if not len(observations):
        return np.zeros(0, dtype=bool)
    targets = pd.to_numeric(observations["supersedes"], errors="coerce").dropna().unique()
    if not len(targets):
        return np.zeros(len(observations), dtype=bool)
    ids = pd.to_numeric(observations["obs_id"], errors="coerce")
    flags: np.ndarray = ids.isin(targets).to_numpy(dtype=bool)
    return flags


def effective_history(observations: pd.DataFrame) -> pd.DataFrame:
    """The effective history: superseded observations dropped, the rest in order.

    Ordered by ``unit_id``, then :data:`HISTORY_ORDER` (``observed_on``,
    ``recorded_at``, ``obs_id``), so each unit's rows are oldest first and of two
    observations on the same day the one recorded later is the newer one.

    Parameters
    ----------
    observations
        Observations as stored (``OBSERVATION_COLUMNS``), superseded ones included.

    Returns
    -------
    pandas.DataFrame
        The effective observations, original index kept.
    """
    obs = observations.loc[~superseded(observations)]
    return obs.sort_values(["unit_id", *HISTORY_ORDER], kind="stable")


@dataclass
class Register:
    """Units, observations and boundaries of one store, in memory.

    Attributes
    ----------
    units
        One row per unit: ``geo.register.model.UNIT_COLUMNS`` and point geometry (EPSG:4326).
    observations
        Every observation ever recorded, superseded ones included.
    boundaries
        Ortsteil outlines with ``name``, ``quarter``, ``source``, ``approximate``.
    meta
        Store metadata (schema version, creation date).
    visits
        Visits on outreach walks (``geo.register.model.VISIT_COLUMNS``), when the store has them.
    """

    units: gpd.GeoDataFrame
    observations: pd.DataFrame
    boundaries: gpd.GeoDataFrame | None = None
    meta: dict[str, str] = field(default_factory=dict)
    visits: pd.DataFrame | None = None

    @classmethod
    def empty(cls) -> Register:
        """A register with no units."""
        units = gpd.GeoDataFrame(
            {c: pd.Series(dtype="object") for c in UNIT_COLUMNS},
            geometry=gpd.GeoSeries([], crs=settings.storage_crs),
        )
        obs = pd.DataFrame({c: pd.Series(dtype="object") for c in OBSERVATION_COLUMNS})
        return cls(units=units, observations=obs)

    @cached_property
    def history(self) -> History:
        """The effective history with derived events (computed once)."""
        return History(self.units, self.observations)

    def subset(self, mask: np.ndarray | pd.Series) -> Register:
        """A register restricted to the units where ``mask`` is true."""
        mask = np.asarray(mask, dtype=bool)
        units = self.units.loc[mask].reset_index(drop=True)
        keep = self.observations["unit_id"].isin(units["unit_id"])
        visits = self.visits
        if visits is not None:
            visits = visits.loc[visits["unit_id"].isin(units["unit_id"])].reset_index(drop=True)
        return Register(
            units, self.observations.loc[keep].reset_index(drop=True), self.boundaries, self.meta, visits
        )

    @cached_property
    def _observation_rows(self) -> tuple[dict[Any, np.ndarray], np.ndarray]:
        """Row positions of every unit's observations and the superseded flags of all rows (computed once).

        :meth:`unit_history` is called on every click of a unit: comparing and flagging all
        observations each time took 0.1-0.2 s at 500,000 observations.
        """
        obs = self.observations
        return obs.groupby("unit_id", sort=False).indices, superseded(obs)

    def unit_history(self, unit_id: str) -> pd.DataFrame:
        """All observations of one unit, oldest first, with a ``superseded`` flag."""
        by_unit, flags = self._observation_rows
        rows = by_unit.get(unit_id, np.zeros(0, dtype=np.intp))
        found = self.observations.iloc[rows].assign(superseded=flags[rows])
        return found.sort_values(list(HISTORY_ORDER), kind="stable").reset_index(drop=True)


class History:
    """Effective observations as sorted arrays with derived events.

    Row ``i`` is one effective observation. Arrays (all of equal length):

    ``unit`` position of the unit in ``Register.units``; ``day`` observation
    date (days since 1970-01-01); ``status`` status code; ``next_day`` date of
    the unit's next effective observation (a huge number when none);
    ``settlement`` and ``closure`` event flags; ``vacant`` vacancy flag;
    ``spell_start`` first day of the vacancy spell a vacant row belongs to;
    ``since`` first day of the run of equal status (and business) the row
    belongs to.
    """

    NEVER = np.iinfo(np.int64).max // 4

    def __init__(self, units: pd.DataFrame, observations: pd.DataFrame) -> None:
        # Whole columns as arrays, taken by position, few temporaries (a million rows: each array
        # is megabytes of fresh memory); texts (statuses, business names) are looked at once per
        # distinct value, not once per row.
        obs = observations
        unit_pos = _positions(units["unit_id"], obs["unit_id"])
        keep = (unit_pos >= 0) & ~superseded(obs)
        kept = None if keep.all() else np.flatnonzero(keep)

        def part(values: np.ndarray) -> np.ndarray:
            return values if kept is None else values[kept]

        unit_pos = part(unit_pos)
        day = part(to_days(obs["observed_on"])) if len(obs) else np.zeros(0, np.int64)
        stamps = pd.to_datetime(obs["recorded_at"]).to_numpy().astype("datetime64[s]", copy=False)
        rec = part(stamps.view(np.int64))
        oid = part(pd.to_numeric(obs["obs_id"]).to_numpy(dtype=np.int64, na_value=0))
        order = _history_order(unit_pos, day, rec, oid)
        pos = order if kept is None else kept[order]  # row positions in ``observations``, in history order
        index = obs.index
        plain = isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1
        self.rows = pos if plain else index.to_numpy()[pos]
        self.unit = unit_pos[order]
        self.day = day[order]
        self.obs_id = oid[order]
        del unit_pos, day, rec, oid, order
        self.status = _status_codes(obs["status"])[pos]
        name_codes, names = pd.factorize(obs["business_name"])  # the same text, the same code; missing -1
        raw = name_codes[pos]
        del name_codes
        flag = obs["new_settlement"].fillna(False).to_numpy(dtype=bool)[pos]

        n = len(self.unit)
        idx = np.arange(n)
        same_prev = np.zeros(n, dtype=bool)
        np.equal(self.unit[1:], self.unit[:-1], out=same_prev[1:])
        self.next_day = np.full(n, self.NEVER, dtype=np.int64)
        np.copyto(self.next_day[:-1], self.day[1:], where=same_prev[1:])

        # previous observation with a known status, within the unit (pk: its row, 0 where none)
        known = self.status != UNKNOWN
        pk = np.full(n, -1)
        pk[1:] = _last(known, idx)[:-1]
        valid = pk >= 0
        valid[valid] = self.unit[pk[valid]] == self.unit[valid]
        pk[~valid] = 0
        pk_status = np.where(valid, self.status[pk], -1)

        # business names are compared by name_key, but only where the texts differ and it matters:
        # an occupied row after an occupied one (the previous known row, and the row before)
        occupied = self.status == OCC
        prev_status = np.roll(self.status, 1)
        after_known = np.flatnonzero(occupied & valid & (pk_status == OCC) & ~flag)
        after_known = after_known[raw[after_known] != raw[pk[after_known]]]
        after_prev = np.flatnonzero(occupied & same_prev & (self.status == prev_status))  # never row 0
        after_prev = after_prev[raw[after_prev] != raw[after_prev - 1]]
        key = _name_keys(
            names, raw[after_known], raw[pk[after_known]], raw[after_prev], raw[after_prev - 1]
        )
        own, before = key[raw[after_known]], key[raw[pk[after_known]]]
        other_business = np.zeros(n, dtype=bool)
        other_business[after_known[(own >= 0) & (before >= 0) & (own != before)]] = True
        self.settlement = occupied & (flag | (valid & ((pk_status != OCC) | other_business)))
        self.closure = valid & (pk_status == OCC) & _IS_CLOSURE[self.status]

        # vacancy spells: a run of vacant rows; it ends at the next non-vacant row
        self.vacant = _IS_VACANT[self.status]
        spell_first = self.vacant.copy()
        spell_first[1:] &= ~(same_prev[1:] & self.vacant[:-1])
        first = _last(spell_first, idx)
        np.maximum(first, 0, out=first)
        self.spell_start = self.day[first]
        self.spell_start[~self.vacant] = -1

        # runs of equal status (and business for occupied units): "since" of the current state
        changed = ~same_prev | (self.status != prev_status)
        changed[after_prev[key[raw[after_prev]] != key[raw[after_prev - 1]]]] = True
        run = _last(changed, idx)
        np.maximum(run, 0, out=run)
        self.since = self.day[run]

    def __len__(self) -> int:
        return len(self.unit)

    def current(self, day: int) -> np.ndarray:
        """Indices of the rows that give each unit's status on ``day``."""
        return np.flatnonzero((self.day <= day) & (self.next_day > day))


def _positions(keys: pd.Series, values: pd.Series) -> np.ndarray:
    """Position of each of ``values`` in ``keys`` (distinct), -1 where missing or not there.

    Looks up each distinct value once (a million observations name a hundred thousand units).
    """
    codes, uniques = pd.factorize(values)
    found = pd.Index(keys).get_indexer(uniques)
    positions: np.ndarray = np.append(found, -1).astype(np.int64)[codes]  # code -1 (missing) -> -1
    return positions


def _status_codes(status: pd.Series) -> np.ndarray:
    """:data:`STATUS_CODE` of each status; missing or unknown text -> ``UNKNOWN``, as ``int8``."""
    codes, uniques = pd.factorize(status)
    lookup = np.array([STATUS_CODE.get(u, UNKNOWN) for u in uniques] + [UNKNOWN], dtype=np.int8)
    result: np.ndarray = lookup[codes]
    return result


def _history_order(unit: np.ndarray, day: np.ndarray, rec: np.ndarray, oid: np.ndarray) -> np.ndarray:
    """The order by unit, day, ``recorded_at`` and ``obs_id`` (stable), as in :func:`effective_history`.

    Unit and day go into one sort key when their ranges allow (one pass less of the sort).
    """
    if len(day):
        low, high = int(day.min()), int(day.max())
        span = high - low + 1
        if low > np.iinfo(np.int64).min and (int(unit.max()) + 1) * span < 2**62:
            order: np.ndarray = np.lexsort((oid, rec, unit * span + (day - low)))
            return order
    return np.lexsort((oid, rec, day, unit))


def _name_keys(names: pd.Index, *needed: np.ndarray) -> np.ndarray:
    """Codes of the :func:`~geo.text.name_key` of the business names in ``needed`` (codes into ``names``).

    Returns one code per name, and -1 for a missing one as the last: ``key[raw]`` gives the key code
    of rows with name codes ``raw`` (missing -1). Names not in ``needed`` are not folded (a
    hundred thousand names cost a tenth of a second) and get -1, so compare only needed ones.
    """
    wanted = np.unique(np.concatenate(needed)) if needed else np.zeros(0, np.int64)
    wanted = wanted[wanted >= 0]
    key = np.full(len(names) + 1, -1, dtype=np.int64)
    if len(wanted):
        key[wanted] = pd.factorize(name_key(pd.Series(names[wanted])), use_na_sentinel=True)[0]
    return key


def _last(flags: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """For each row, the last row at or before it where ``flags`` holds (-1 where none); ``idx`` is arange."""
    last: np.ndarray = np.where(flags, idx, -1)
    if len(last):
        np.maximum.accumulate(last, out=last)
    return last
