"""Figures of site development computed from a :class:`~geo.register.history.Register`.

Definitions (see the README for the full text):

status at date d
    The latest effective observation on or before d.
vacancy rate at d
    (vacant + probably_vacant) / units with a known, non-demolished status at d;
    also by floor area, over the units whose area is known.
new settlement in (a, b]
    An observation in (a, b] that makes a unit occupied when its previous known
    status was not occupied, or was occupied by a different business; a unit's
    first known observation counts only when flagged ``new_settlement``.
closure in (a, b]
    An observation in (a, b] that turns an occupied unit vacant, probably
    vacant or under renovation.
vacancy spell
    From the first vacant observation to the next non-vacant one; spells still
    open are measured up to the query date. ``median_vacancy_days`` at d is the
    median length of the spells open at d.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import settings
from geo.dates import DAYS_PER_MONTH, local_today
from geo.errors import InputError
from geo.formats import fmt_date, fmt_int
from geo.register.history import STATUS_CODE, History, Register, from_days, to_days
from geo.register.model import STATUS_LABELS, STATUSES, Status

GroupBy = Literal["quarter", "ortsteil", "street"] | None
Freq = Literal["year", "quarter", "month"]

#: Name of the single group when figures are not grouped.
TOTAL_LABEL = "Gesamt"

_FREQ_ALIASES = {"year": "Y", "quarter": "Q", "month": "M"}
_FREQ_GERMAN = {"year": "je Jahr", "quarter": "je Quartal", "month": "je Monat"}
_BY_COLUMNS = {"quarter": "quarter", "ortsteil": "ortsteil", "street": "street"}


def _day(value: date | str | pd.Timestamp | None) -> int:
    if value is None:
        value = local_today()
    try:
        return int(to_days(value)[0])
    except (ValueError, TypeError) as exc:
        raise InputError(f"Datum '{value}' nicht lesbar; erwartet z. B. 2024-12-31.") from exc


def _de_day(day: int) -> str:
    """A day number as ``31.12.2024`` (:func:`geo.formats.fmt_date`)."""
    return fmt_date(from_days(day))


def _groups(units: pd.DataFrame, by: GroupBy) -> tuple[np.ndarray, list[str]]:
    if by is None:
        return np.zeros(len(units), dtype=np.int64), [TOTAL_LABEL]
    if by not in _BY_COLUMNS:
        raise InputError(f"Gruppierung '{by}' unbekannt; erlaubt: quarter, ortsteil, street.")
    fill = "(ohne Straße)" if by == "street" else settings.unassigned_label
    values = units[_BY_COLUMNS[by]].astype("string").fillna(fill).replace("", fill)
    codes, labels = pd.factorize(values, sort=True)
    return codes.astype(np.int64), [str(v) for v in labels]


def status_at(register: Register, at: date | str | None = None) -> gpd.GeoDataFrame:
    """Each unit with its status on ``at`` (default: today).

    Returns the units with the columns ``status`` (missing where the unit has
    no observation on or before ``at``), ``status_label``, ``business_name``,
    ``sector``, ``confidence``, ``observed_on`` (date of that observation),
    ``since`` (first day of the current status, for vacant units the start of
    the vacancy spell) and ``vacant_days`` (length of the open vacancy spell).
    """
    day = _day(at)
    hist = register.history
    rows = hist.current(day)
    obs = register.observations.loc[hist.rows[rows]]
    out = register.units.copy()
    n = len(out)
    status = np.full(n, None, dtype=object)
    status[hist.unit[rows]] = obs["status"].to_numpy(dtype=object)
    out["status"] = status
    out["status_label"] = [STATUS_LABELS.get(s, "keine Angabe") if s else "keine Angabe" for s in status]
    for col in ("business_name", "sector", "confidence", "source"):
        values = np.full(n, None, dtype=object)
        values[hist.unit[rows]] = obs[col].to_numpy(dtype=object)
        out[col] = values
    observed = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    observed[hist.unit[rows]] = from_days(hist.day[rows])
    out["observed_on"] = pd.to_datetime(observed)
    since = np.where(hist.vacant[rows], hist.spell_start[rows], hist.since[rows])
    since_arr = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    since_arr[hist.unit[rows]] = from_days(since)
    out["since"] = pd.to_datetime(since_arr)
    vacant_days = np.full(n, np.nan)
    vac = rows[hist.vacant[rows]]
    vacant_days[hist.unit[vac]] = day - hist.spell_start[vac]
    out["vacant_days"] = vacant_days
    return out


def _figures(
    hist: History,
    units: pd.DataFrame,
    *,
    ends: np.ndarray,
    starts: np.ndarray,
    by: GroupBy,
) -> pd.DataFrame:
    """Figures per group at each period end, events per period and trailing 12 months."""
    codes, labels = _groups(units, by)
    n_groups, n_periods, n_status = len(labels), len(ends), len(STATUSES)
    g = codes[hist.unit]

    # status counts at each period end: row i holds for ends in [day_i, next_day_i)
    lo = np.searchsorted(ends, hist.day, side="left")
    hi = np.searchsorted(ends, hist.next_day, side="left")
    live = hi > lo
    width = n_periods + 1
    base = (g * n_status + hist.status) * width

    def stepped(weights: np.ndarray | None) -> np.ndarray:
        w = None if weights is None else weights[live]
        size = n_groups * n_status * width
        up = np.bincount((base + lo)[live], weights=w, minlength=size)
        down = np.bincount((base + hi)[live], weights=w, minlength=size)
        return np.cumsum((up - down).reshape(n_groups, n_status, width), axis=2)[:, :, :n_periods]

    counts = stepped(None)
    area = pd.to_numeric(units["floor_area_m2"], errors="coerce").to_numpy(dtype=float)
    unit_area = area[hist.unit]
    has_area = np.isfinite(unit_area)
    area_sum = stepped(np.where(has_area, unit_area, 0.0))

    s = STATUS_CODE
    vacant = counts[:, s[Status.VACANT]] + counts[:, s[Status.PROBABLY_VACANT]]
    known = counts.sum(axis=1) - counts[:, s[Status.UNKNOWN]] - counts[:, s[Status.DEMOLISHED]]
    area_known = area_sum.sum(axis=1) - area_sum[:, s[Status.UNKNOWN]] - area_sum[:, s[Status.DEMOLISHED]]
    area_vacant = area_sum[:, s[Status.VACANT]] + area_sum[:, s[Status.PROBABLY_VACANT]]

    def events_between(flag: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
        """Events per group with lower < day <= upper, for each period."""
        big = np.int64(1) << 32
        keys = np.sort(g[flag] * big + hist.day[flag])
        grp = np.arange(n_groups, dtype=np.int64)[:, None] * big
        events: np.ndarray = np.searchsorted(keys, grp + upper[None, :], side="right") - np.searchsorted(
            keys, grp + lower[None, :], side="right"
        )
        return events

    year_before = to_days(pd.to_datetime(from_days(ends)) - pd.DateOffset(years=1))
    settle_p = events_between(hist.settlement, starts, ends)
    close_p = events_between(hist.closure, starts, ends)
    settle_12 = events_between(hist.settlement, year_before, ends)
    close_12 = events_between(hist.closure, year_before, ends)

    # open vacancy spells at each period end: median and longest length in days
    vac_rows = np.flatnonzero(hist.vacant & live)
    reps = hi[vac_rows] - lo[vac_rows]
    row_rep = np.repeat(vac_rows, reps)
    offsets = np.arange(reps.sum()) - np.repeat(np.cumsum(reps) - reps, reps)
    period = lo[row_rep] + offsets
    length = ends[period] - hist.spell_start[row_rep]
    spell = pd.DataFrame({"key": g[row_rep] * n_periods + period, "days": length})
    agg = spell.groupby("key")["days"].agg(["median", "max"])
    median = np.full(n_groups * n_periods, np.nan)
    longest = np.full(n_groups * n_periods, np.nan)
    median[agg.index.to_numpy()] = agg["median"].to_numpy()
    longest[agg.index.to_numpy()] = agg["max"].to_numpy()

    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(known > 0, vacant / np.maximum(known, 1), np.nan)
        rate_area = np.where(area_known > 0, area_vacant / np.where(area_known > 0, area_known, 1), np.nan)

    def flat(a: np.ndarray) -> np.ndarray:
        return np.asarray(a).reshape(-1)

    out = pd.DataFrame(
        {
            "group": np.repeat(np.array(labels, dtype=object), n_periods),
            "date": np.tile(pd.to_datetime(from_days(ends)), n_groups),
            "units_registered": flat(counts.sum(axis=1)),
            "units": flat(known),
            "occupied": flat(counts[:, s[Status.OCCUPIED]]),
            "vacant": flat(vacant),
            "probably_vacant": flat(counts[:, s[Status.PROBABLY_VACANT]]),
            "temporary_use": flat(counts[:, s[Status.TEMPORARY_USE]]),
            "renovation": flat(counts[:, s[Status.RENOVATION]]),
            "demolished": flat(counts[:, s[Status.DEMOLISHED]]),
            "unknown": flat(counts[:, s[Status.UNKNOWN]]),
            "vacancy_rate": flat(rate),
            "floor_area_m2": flat(area_known),
            "vacant_floor_area_m2": flat(area_vacant),
            "vacancy_rate_area": flat(rate_area),
            "new_settlements": flat(settle_p),
            "closures": flat(close_p),
            "new_settlements_12m": flat(settle_12),
            "closures_12m": flat(close_12),
            "median_vacancy_days": median,
            "longest_vacancy_days": longest,
        }
    )
    int_cols = [
        "units_registered", "units", "occupied", "vacant", "probably_vacant", "temporary_use",
        "renovation", "demolished", "unknown", "new_settlements", "closures",
        "new_settlements_12m", "closures_12m",
    ]
    out[int_cols] = out[int_cols].round().astype(np.int64)
    out["net_settlements"] = out["new_settlements"] - out["closures"]
    return out


def stats(register: Register, *, at: date | str | None = None, by: GroupBy = None) -> pd.DataFrame:
    """Key figures on ``at`` (default today), in total or per group.

    Parameters
    ----------
    register
        The register to evaluate.
    at
        The reference date.
    by
        ``"quarter"``, ``"ortsteil"``, ``"street"`` or ``None`` for one row ``Gesamt``.

    Returns
    -------
    pandas.DataFrame
        One row per group: ``group``, ``date``, ``units`` (known, non-demolished
        status), ``units_registered``, ``occupied``, ``vacant`` (incl. probably
        vacant), ``probably_vacant``, ``temporary_use``, ``renovation``,
        ``demolished``, ``unknown``, ``vacancy_rate``, ``floor_area_m2``,
        ``vacant_floor_area_m2``, ``vacancy_rate_area``, ``new_settlements_12m``,
        ``closures_12m``, ``median_vacancy_days``, ``longest_vacancy_days``.
    """
    day = _day(at)
    ends = np.array([day], dtype=np.int64)
    starts = to_days(pd.to_datetime(from_days(ends)) - pd.DateOffset(years=1))
    out = _figures(register.history, register.units, ends=ends, starts=starts, by=by)
    return out.drop(columns=["new_settlements", "closures", "net_settlements"]).assign(
        net_settlements_12m=lambda d: d["new_settlements_12m"] - d["closures_12m"]
    )


def period_bounds(
    freq: Freq, start: date | str | None, end: date | str | None, *, first_day: int | None = None
) -> pd.DataFrame:
    """Periods of ``freq`` covering ``start``..``end``: label, start (exclusive) and end day.

    The last period ends on ``end`` when ``end`` falls inside it. Without
    ``start``, the periods begin at ``first_day`` (not after ``end``).

    Raises
    ------
    InputError
        Unknown ``freq``, ``start`` after ``end``, or more than
        :data:`geo.settings.max_timeline_periods` periods (e.g. monthly from year 1).
    """
    if freq not in _FREQ_ALIASES:
        raise InputError(f"Periode '{freq}' unbekannt; erlaubt: year, quarter, month.")
    end_day = _day(end)
    if start is not None:
        start_day = _day(start)
    else:
        start_day = min(first_day, end_day) if first_day is not None else end_day
    if start_day > end_day:
        raise InputError(f"Beginn {_de_day(start_day)} liegt nach dem Ende {_de_day(end_day)}.")
    first, last = pd.Timestamp(from_days(start_day)), pd.Timestamp(from_days(end_day))
    per_year = {"year": 1, "quarter": 4, "month": 12}[freq]
    def index(t: pd.Timestamp) -> int:
        return int(t.year * per_year + (t.month - 1) * per_year // 12)

    count = index(last) - index(first) + 1
    if count > settings.max_timeline_periods:
        raise InputError(
            f"Der Zeitraum {_de_day(start_day)} bis {_de_day(end_day)} ergäbe {fmt_int(count)} "
            f"Perioden ({_FREQ_GERMAN[freq]}); höchstens {fmt_int(settings.max_timeline_periods)} sind "
            "möglich. Bitte den Zeitraum verkürzen (plausibel sind Daten vom "
            f"{fmt_date(settings.earliest_date)} bis heute) oder eine gröbere Auflösung wählen."
        )
    periods = pd.period_range(
        pd.Timestamp(from_days(start_day)), pd.Timestamp(from_days(end_day)), freq=_FREQ_ALIASES[freq]
    )
    period_end = to_days(periods.end_time.normalize())
    period_start = to_days(periods.start_time.normalize()) - 1
    period_end = np.minimum(period_end, end_day)
    labels = [str(p) for p in periods]
    return pd.DataFrame({"period": labels, "start": period_start, "end": period_end})


def timeline(
    register: Register,
    *,
    freq: Freq = "year",
    start: date | str | None = None,
    end: date | str | None = None,
    by: GroupBy = None,
) -> pd.DataFrame:
    """Figures per group and period.

    Stock figures (units, vacant, rates, spell lengths) are taken at each period's
    end; ``new_settlements``/``closures`` count the events within the period,
    ``new_settlements_12m``/``closures_12m`` those in the 12 months up to its end.

    Parameters
    ----------
    freq
        ``"year"``, ``"quarter"`` or ``"month"``.
    start, end
        First and last day (default: the first observation, but not before
        :data:`geo.settings.earliest_date`, and today).
    by
        Grouping as in :func:`stats`.

    Raises
    ------
    InputError
        A range of more than :data:`geo.settings.max_timeline_periods` periods
        (e.g. monthly from year 1), or ``start`` after ``end``.
    """
    hist = register.history
    first_day = max(int(hist.day.min()), _day(settings.earliest_date)) if len(hist) else None
    bounds = period_bounds(freq, start, end, first_day=first_day)
    out = _figures(
        hist, register.units, ends=bounds["end"].to_numpy(), starts=bounds["start"].to_numpy(), by=by
    )
    n_groups = len(out) // max(len(bounds), 1)
    out.insert(1, "period", np.tile(bounds["period"].to_numpy(), n_groups))
    out.insert(2, "period_start", np.tile(pd.to_datetime(from_days(bounds["start"].to_numpy() + 1)), n_groups))
    return out.rename(columns={"date": "period_end"})


def events(
    register: Register,
    *,
    kind: Literal["settlement", "closure"],
    start: date | str,
    end: date | str | None = None,
) -> gpd.GeoDataFrame:
    """New settlements or closures in (``start``, ``end``], one row per event.

    Columns: the unit's columns plus ``event_date``, ``status``,
    ``business_name``, ``sector`` of the observation that makes the event.
    """
    hist = register.history
    flag = {"settlement": hist.settlement, "closure": hist.closure}.get(kind)
    if flag is None:
        raise InputError(f"Ereignisart '{kind}' unbekannt; erlaubt: settlement, closure.")
    lo, hi = _day(start), _day(end)
    rows = np.flatnonzero(flag & (hist.day > lo) & (hist.day <= hi))
    obs = register.observations.loc[hist.rows[rows], ["status", "business_name", "sector"]]
    out = register.units.iloc[hist.unit[rows]].reset_index(drop=True)
    out["event_date"] = pd.to_datetime(from_days(hist.day[rows]))
    for col in obs.columns:
        out[col] = obs[col].to_numpy()
    return out.sort_values(["event_date", "unit_id"]).reset_index(drop=True)


def vacancy_spells(register: Register, *, at: date | str | None = None) -> pd.DataFrame:
    """Every vacancy spell that began on or before ``at`` (default today).

    Columns: ``unit_id``, ``start``, ``end`` (missing while open at ``at``),
    ``days`` (open spells measured up to ``at``), ``ongoing``.
    """
    day = _day(at)
    hist = register.history
    vac = hist.vacant & (hist.day <= day)
    starts = np.flatnonzero(vac & (hist.spell_start == hist.day))
    # a spell's first row; its end is the first later non-vacant row of the unit
    n = len(hist)
    nonvac_idx = np.where(~hist.vacant, np.arange(n), n)
    next_nonvac = np.minimum.accumulate(nonvac_idx[::-1])[::-1] if n else nonvac_idx
    end_row = next_nonvac[starts]
    has_end = end_row < n
    end_row_c = np.minimum(end_row, max(n - 1, 0))
    same_unit = has_end & (hist.unit[end_row_c] == hist.unit[starts])
    end_day = np.where(same_unit, hist.day[end_row_c], History.NEVER)
    ongoing = end_day > day
    stop = np.where(ongoing, day, end_day)
    out = pd.DataFrame(
        {
            "unit_id": register.units["unit_id"].to_numpy()[hist.unit[starts]],
            "start": pd.to_datetime(from_days(hist.day[starts])),
            "end": pd.to_datetime(np.where(ongoing, np.datetime64("NaT"), from_days(np.where(ongoing, 0, end_day)))),
            "days": (stop - hist.day[starts]).astype(np.int64),
            "ongoing": ongoing,
        }
    )
    return out


def duration_bins(spells: pd.DataFrame, *, bin_months: int = 6) -> pd.DataFrame:
    """Vacancy spells counted per duration class, ongoing and ended apart (for histograms).

    Parameters
    ----------
    spells
        Spells with ``days`` and ``ongoing`` (:func:`vacancy_spells`).
    bin_months
        Width of a class in months (months = days / :data:`geo.dates.DAYS_PER_MONTH`).

    Returns
    -------
    pandas.DataFrame
        One row per class from 0 months up to the longest spell, empty classes
        included: ``from_months``, ``to_months`` (``[from, to)``), ``ongoing``
        and ``ended`` (counts). No rows without spells.
    """
    width = max(int(bin_months), 1)
    months = spells["days"].astype(float).to_numpy() / DAYS_PER_MONTH if len(spells) else np.zeros(0)
    start = (np.floor(months / width) * width).astype(int)
    ongoing = spells["ongoing"].astype(bool).to_numpy() if len(spells) else np.zeros(0, bool)
    frame = pd.DataFrame({"from_months": start, "ongoing": ongoing, "ended": ~ongoing})
    out = frame.groupby("from_months")[["ongoing", "ended"]].sum().astype(int)
    if len(out):
        out = out.reindex(range(0, int(out.index.max()) + width, width), fill_value=0)
    out.index.name = "from_months"
    out = out.reset_index()
    out.insert(1, "to_months", out["from_months"] + width)
    return out


def longest_vacant(register: Register, *, at: date | str | None = None, n: int = 20) -> gpd.GeoDataFrame:
    """The ``n`` units vacant longest on ``at``, longest first."""
    current = status_at(register, at)
    vacant = current.loc[current["vacant_days"].notna()]
    return vacant.sort_values(["vacant_days", "unit_id"], ascending=[False, True]).head(n).reset_index(drop=True)


def compare(register: Register, *, before: date | str, after: date | str) -> gpd.GeoDataFrame:
    """Units with their status on two dates and the change between them.

    ``change`` is ``newly_vacant`` (not vacant before, vacant after),
    ``newly_occupied`` (not occupied before, occupied after), ``unchanged`` or
    ``other`` (any other change, e.g. to renovation).
    """
    a = status_at(register, before)
    b = status_at(register, after)
    out = b.copy()
    out["status_before"] = a["status"].to_numpy()
    vac_a = a["vacant_days"].notna().to_numpy()
    vac_b = b["vacant_days"].notna().to_numpy()
    occ_a = (a["status"] == Status.OCCUPIED).to_numpy()
    occ_b = (b["status"] == Status.OCCUPIED).to_numpy()
    same = (a["status"].fillna("") == b["status"].fillna("")).to_numpy()
    change = np.select(
        [vac_b & ~vac_a, occ_b & ~occ_a, same], ["newly_vacant", "newly_occupied", "unchanged"], "other"
    )
    out["change"] = change
    return out


def public_rate(
    frame: pd.DataFrame, *, min_units: int | None = None, column: str = "vacancy_rate"
) -> pd.Series:
    """The rates of ``frame`` that may be shown in public outputs: missing where a group is too small.

    The one home of the rule for charts and tables of reports, presentations and the
    app: the vacancy rate of a group (an Ortsteil at a period end, a street) with fewer than
    ``min_units`` units is not shown, so that no single unit's status can be made out.

    Parameters
    ----------
    frame
        Rows of :func:`stats` or :func:`timeline` (``units`` and ``column``).
    min_units
        Smallest number of units whose rate is shown; default
        :data:`geo.settings.public_min_units`. A group without units never has a rate.
    column
        The rate column (``vacancy_rate`` or ``vacancy_rate_area``).

    Returns
    -------
    pandas.Series
        ``frame[column]`` as float, NaN where ``units < min_units``.
    """
    min_units = settings.public_min_units if min_units is None else min_units
    return frame[column].astype(float).where(frame["units"].astype(float) >= max(min_units, 1))
