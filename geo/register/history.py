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

_EPOCH = np.datetime64("1970-01-01", "D")


def to_days(values: Any) -> np.ndarray:
    """Dates (anything pandas understands) as int64 days since 1970-01-01."""
    arr: np.ndarray = pd.to_datetime(pd.Series(values) if not np.isscalar(values) else [values]).to_numpy()
    return (arr.astype("datetime64[D]") - _EPOCH).astype(np.int64)


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

    def unit_history(self, unit_id: str) -> pd.DataFrame:
        """All observations of one unit, oldest first, with a ``superseded`` flag."""
        obs = self.observations
        rows = obs.assign(superseded=superseded(obs)).loc[obs["unit_id"] == unit_id]
        return rows.sort_values(list(HISTORY_ORDER), kind="stable").reset_index(drop=True)


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
        obs = observations.loc[~superseded(observations)]
        unit_pos = pd.Index(units["unit_id"]).get_indexer(obs["unit_id"])
        obs = obs.loc[unit_pos >= 0]
        unit_pos = unit_pos[unit_pos >= 0]

        day = to_days(obs["observed_on"]) if len(obs) else np.zeros(0, np.int64)
        rec = pd.to_datetime(obs["recorded_at"]).to_numpy().astype("datetime64[s]").astype(np.int64)
        oid = pd.to_numeric(obs["obs_id"]).to_numpy(dtype=np.int64, na_value=0)
        order = np.lexsort((oid, rec, day, unit_pos))
        self.rows = obs.index.to_numpy()[order]
        self.unit = unit_pos[order].astype(np.int64)
        self.day = day[order]
        self.obs_id = oid[order]
        status = obs["status"].map(STATUS_CODE).to_numpy(dtype=np.float64, na_value=UNKNOWN)
        self.status = status[order].astype(np.int8)
        biz_codes, _ = pd.factorize(name_key(obs["business_name"]), use_na_sentinel=True)
        self.business = biz_codes[order].astype(np.int64)
        flag = obs["new_settlement"].fillna(False).to_numpy(dtype=bool)[order]

        n = len(self.unit)
        idx = np.arange(n)
        same_prev = np.zeros(n, dtype=bool)
        same_prev[1:] = self.unit[1:] == self.unit[:-1]
        same_next = np.zeros(n, dtype=bool)
        same_next[:-1] = same_prev[1:]
        self.next_day = np.where(same_next, np.roll(self.day, -1), self.NEVER)

        # previous observation with a known status, within the unit
        known = self.status != UNKNOWN
        last_known = np.maximum.accumulate(np.where(known, idx, -1)) if n else idx
        prev_known = np.full(n, -1)
        prev_known[1:] = last_known[:-1]
        valid = prev_known >= 0
        valid[valid] = self.unit[prev_known[valid]] == self.unit[valid]
        prev_known = np.where(valid, prev_known, -1)
        pk_status = np.where(valid, self.status[np.maximum(prev_known, 0)], -1)
        pk_business = np.where(valid, self.business[np.maximum(prev_known, 0)], -1)

        occupied = self.status == OCC
        other_business = (self.business >= 0) & (pk_business >= 0) & (self.business != pk_business)
        self.settlement = occupied & (flag | (valid & ((pk_status != OCC) | other_business)))
        self.closure = valid & (pk_status == OCC) & np.isin(self.status, CLOSURE_CODES)

        # vacancy spells: a run of vacant rows; it ends at the next non-vacant row
        self.vacant = np.isin(self.status, VACANT_CODES)
        prev_vacant = np.zeros(n, dtype=bool)
        prev_vacant[1:] = self.vacant[:-1]
        spell_first = self.vacant & ~(same_prev & prev_vacant)
        first_idx = np.maximum.accumulate(np.where(spell_first, idx, -1)) if n else idx
        self.spell_start = np.where(self.vacant, self.day[np.maximum(first_idx, 0)], -1)

        # runs of equal status (and business for occupied units): "since" of the current state
        prev_status = np.roll(self.status, 1)
        prev_business = np.roll(self.business, 1)
        changed = ~same_prev | (self.status != prev_status) | (occupied & (self.business != prev_business))
        run_idx = np.maximum.accumulate(np.where(changed, idx, -1)) if n else idx
        self.since = self.day[np.maximum(run_idx, 0)] if n else self.day.copy()

    def __len__(self) -> int:
        return len(self.unit)

    def current(self, day: int) -> np.ndarray:
        """Indices of the rows that give each unit's status on ``day``."""
        return np.flatnonzero((self.day <= day) & (self.next_day > day))
