"""Planning an import (stage 5): the :class:`ImportPlan` of new units, unit updates and observations.

:func:`plan_changes` turns the matched rows without errors into what the
store would have to add: new units (numbered ``QM-000001`` … where the file
has no number), the changed attributes of stored units, and the observations
that change a unit's known state (a row that repeats the state adds none; a
row on the day of a stored observation that says something else corrects it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import settings
from geo.dates import german_date
from geo.register.imports._addresses import housenumber_key
from geo.register.imports.columns import UNIT_ATTRIBUTES
from geo.register.imports.match import MatchedRows, StoredRegister
from geo.register.imports.parse import ParsedRows
from geo.register.imports.report import ImportReport, count
from geo.register.model import OBSERVATION_COLUMNS, UNIT_COLUMNS
from geo.text import street_key, text_key

#: Columns of :attr:`ImportPlan.observations`.
PLAN_OBSERVATION_COLUMNS: tuple[str, ...] = tuple(
    c for c in OBSERVATION_COLUMNS if c not in {"obs_id", "recorded_at", "import_id"}
)


@dataclass
class ImportPlan:
    """What to write to the store for one import.

    Attributes
    ----------
    report
        Validation report.
    new_units
        New units: :data:`geo.register.model.UNIT_COLUMNS` plus ``geometry`` (points,
        EPSG:4326). ``ortsteil``, ``quarter`` and ``created_at`` are None;
        the caller fills them.
    unit_updates
        ``unit_id`` plus :data:`UNIT_ATTRIBUTES`; one row per stored unit
        with at least one changed attribute. NaN means leave as is.
    observations
        New observations: :data:`geo.register.model.OBSERVATION_COLUMNS` without
        ``obs_id``, ``recorded_at`` and ``import_id`` (the store fills
        those).
    """

    report: ImportReport
    new_units: gpd.GeoDataFrame
    unit_updates: pd.DataFrame
    observations: pd.DataFrame

    @property
    def accepted(self) -> bool:
        """True when the plan may be written (mode skip, or no errors)."""
        return self.report.mode == "skip" or self.report.ok


@dataclass(frozen=True)
class PlannedChanges:
    """What the rows without errors would add to the store (before the report decides).

    Attributes
    ----------
    new_units, unit_updates, observations
        As in :class:`ImportPlan`.
    unchanged
        Rows that repeat the unit's known state and add no observation.
    notes
        German notes on the defaults taken (dates, statuses) and the kind of list.
    new_unit_ids
        The id of each new unit by its unit code (``ucode`` of the matched rows).
    """

    new_units: gpd.GeoDataFrame
    unit_updates: pd.DataFrame
    observations: pd.DataFrame
    unchanged: int
    notes: tuple[str, ...]
    new_unit_ids: pd.Series = field(default_factory=lambda: pd.Series(dtype="str"))


def plan_changes(
    matched: MatchedRows,
    parsed: ParsedRows,
    stored: StoredRegister,
    good: pd.Series,
    obs_dup: pd.Series,
    *,
    source: str,
    recorded_by: str | None,
    as_of: date | None,
    today: date,
) -> PlannedChanges:
    """Plan the new units, unit updates and observations of the rows ``good`` (stage 5 of an import).

    Parameters
    ----------
    matched
        The rows with the unit each describes.
    parsed
        The typed rows (for the defaults taken).
    stored
        The stored register.
    good
        Bool by row: rows without an error.
    obs_dup
        Bool by row: rows that repeat another row of the same unit and date.
    source
        Source of the observations when a row names none.
    recorded_by
        Who imports (stored with every observation).
    as_of, today
        The default date and today (for the notes).
    """
    w = matched.frame
    g = w[good].sort_values(["ucode", "date", "_row"], kind="stable")
    taken = set(stored.units["unit_id"].dropna().unique()) | set(w["uid"].dropna().unique())
    new_units, id_map = _new_units(g, taken=taken)
    g = g.assign(unit_id=g["ucode"].map(id_map).where(g["is_new"], g["match"]))
    unit_updates = _unit_updates(
        g[~g["is_new"]], stored.units, fill_use_class_only=parsed.use_class_from_sector
    )
    observations, unchanged = _observations(
        g[~obs_dup[g.index]], stored.observations, source=source, recorded_by=recorded_by
    )
    notes = _default_notes(
        w[good],
        date_defaulted=parsed.date_defaulted,
        status_given=parsed.status_given,
        unchanged=unchanged,
        as_of=as_of,
        today=today,
    )
    return PlannedChanges(
        new_units=new_units,
        unit_updates=unit_updates,
        observations=observations,
        unchanged=unchanged,
        notes=tuple(notes),
        new_unit_ids=id_map,
    )


def _new_units(g: pd.DataFrame, *, taken: set[str]) -> tuple[gpd.GeoDataFrame, pd.Series]:
    """The new units of the rows ``g`` (numbered ``QM-…`` where the file has no number), and ucode -> unit_id."""
    gn = g[g["is_new"]]
    placed = [c for c in ("geocode_method", "geocode_quality") if c in gn.columns]
    attrs = [*UNIT_ATTRIBUTES, "lon", "lat", *placed]
    per_unit = gn.groupby("ucode", sort=False)[attrs].last()
    first_row = gn.groupby("ucode", sort=False)["_row"].min()
    uid = gn.groupby("ucode", sort=False)["uid"].first()
    order = first_row.sort_values(kind="stable").index
    per_unit = per_unit.loc[order]
    uid = uid.loc[order]
    next_no = _max_qm_number(taken) + 1
    needs = uid.isna().to_numpy()
    new_ids = uid.to_numpy(dtype=object, na_value=None).copy()
    new_ids[needs] = [f"QM-{n:06d}" for n in range(next_no, next_no + int(needs.sum()))]
    id_map = pd.Series(new_ids, index=per_unit.index, dtype="str")
    frame = pd.DataFrame({"unit_id": pd.Series(new_ids, dtype="str")})
    for col in UNIT_COLUMNS[1:]:
        if col in UNIT_ATTRIBUTES:
            values = per_unit[col].to_numpy()
            frame[col] = pd.Series(values, dtype="float64" if col == "floor_area_m2" else "str")
        elif col in placed:  # how a unit without coordinates was placed (geocoding)
            frame[col] = pd.Series(per_unit[col].to_numpy(), dtype="str")
        else:
            frame[col] = pd.Series([None] * len(frame), dtype=object)
    geometry = gpd.points_from_xy(
        per_unit["lon"].to_numpy(), per_unit["lat"].to_numpy(), crs=settings.storage_crs
    )
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=settings.storage_crs), id_map


def _unit_updates(gm: pd.DataFrame, su: pd.DataFrame, *, fill_use_class_only: bool = False) -> pd.DataFrame:
    """The changed attributes of the stored units the rows ``gm`` describe.

    With ``fill_use_class_only`` (the use class comes from the sector words, not
    from a use-class column) a use class is set only where the stored unit has none.
    """
    empty = pd.DataFrame({"unit_id": pd.Series(dtype="str")})
    for col in UNIT_ATTRIBUTES:
        empty[col] = pd.Series(dtype="float64" if col == "floor_area_m2" else "str")
    if gm.empty:
        return empty
    new = gm.groupby("unit_id", sort=True)[list(UNIT_ATTRIBUTES)].last()
    old = su.drop_duplicates("unit_id").set_index("unit_id").reindex(new.index)
    out = pd.DataFrame(index=new.index)
    for col in UNIT_ATTRIBUTES:
        nv = new[col]
        if col == "floor_area_m2":
            ov = pd.to_numeric(old[col], errors="coerce")
            nv = pd.to_numeric(nv, errors="coerce")
            changed = nv.notna() & (ov.isna() | ((nv - ov).abs() > 1e-9))
            out[col] = nv.where(changed).astype("float64")
            continue
        ov = old[col].astype("str")
        nv = nv.astype("str")
        if col == "street":
            same = street_key(nv) == street_key(ov)
        elif col == "housenumber":
            same = housenumber_key(nv) == housenumber_key(ov)
        else:
            same = nv == ov
        changed = nv.notna() & ~same.fillna(False).astype(bool)
        if col == "use_class" and fill_use_class_only:
            changed &= (ov.fillna("").str.strip() == "").to_numpy(dtype=bool)
        out[col] = nv.where(changed).astype("str")
    out = out[out.notna().any(axis=1)]
    if out.empty:
        return empty
    result = out.reset_index()
    return result.astype(empty.dtypes.to_dict())[list(empty.columns)]


def _observations(
    go: pd.DataFrame, stored: pd.DataFrame, *, source: str, recorded_by: str | None
) -> tuple[pd.DataFrame, int]:
    """The observations of the rows ``go`` that change their unit's state; the number of unchanged rows."""
    go = go.reset_index(drop=True)
    n = len(go)
    obs = pd.DataFrame(
        {
            "unit_id": go["unit_id"].astype("str"),
            "observed_on": go["date"].astype("datetime64[us]"),
            "status": go["status_final"].astype("str"),
            "business_name": go["business_name"].astype("str"),
            "sector": go["sector"].astype("str"),
            "confidence": go["confidence"].fillna("reported").astype("str"),
            "source": go["source"].fillna(source).astype("str"),
            "note": go["note"].astype("str"),
            "new_settlement": go["new_settlement"].astype(bool),
            "supersedes": pd.Series(_na_int(n)),
            "recorded_by": pd.Series(recorded_by, index=go.index, dtype="str"),
        }
    )
    keep, supersedes = _compare_with_state(
        stored, obs["unit_id"], obs["observed_on"], obs["status"], go["biz_key"], go["sector_key"]
    )
    obs["supersedes"] = supersedes
    unchanged = int((~keep).sum())
    result = obs[keep].sort_values(["unit_id", "observed_on"], kind="stable")
    return result.reset_index(drop=True)[list(PLAN_OBSERVATION_COLUMNS)], unchanged


def _compare_with_state(
    stored: pd.DataFrame,
    unit_id: pd.Series,
    observed_on: pd.Series,
    status: pd.Series,
    biz_key: pd.Series,
    sector_key: pd.Series,
) -> tuple[np.ndarray, pd.arrays.IntegerArray]:
    """Which planned observations change the unit's state; which stored ones they correct.

    The state a planned observation is compared with is the one just before
    it in the order (unit, date, stored before planned, recorded_at,
    obs_id): the latest stored or earlier planned observation on or before
    its date. Equal status, business key and sector key means unchanged.
    """
    n = len(unit_id)
    supersedes = _na_int(n)
    if n == 0:
        return np.ones(0, dtype=bool), supersedes
    unit_id = unit_id.reset_index(drop=True)
    if len(stored):
        # codes of planned units come first; stored rows of other units are dropped
        both = pd.concat([unit_id, stored["unit_id"].astype("str")], ignore_index=True)
        all_codes, _ = pd.factorize(both)
        n_planned_units = int(all_codes[:n].max()) + 1
        relevant = all_codes[n:] < n_planned_units
        stored = stored[relevant]
        unit_codes = np.concatenate([all_codes[n:][relevant], all_codes[:n]])
    else:
        unit_codes = pd.factorize(unit_id)[0]
    m = len(stored)

    def codes(stored_values: pd.Series, planned: pd.Series) -> np.ndarray:
        both = pd.concat(
            [
                stored_values.astype("str").reset_index(drop=True),
                planned.reset_index(drop=True),
            ],
            ignore_index=True,
        )
        factor_codes: np.ndarray = pd.factorize(both.fillna(""))[0]
        return factor_codes

    if m:
        s_biz = text_key(stored["business_name"].astype("str"))
        s_sec = text_key(stored["sector"].astype("str"))
        s_status = stored["status"]
    else:
        s_biz = s_sec = s_status = pd.Series([], dtype="str")
    status_c = codes(s_status, status)
    biz_c = codes(s_biz, biz_key)
    sec_c = codes(s_sec, sector_key)
    day = np.concatenate(
        [
            stored["observed_on"].to_numpy(dtype="datetime64[us]") if m else np.array([], "datetime64[us]"),
            observed_on.to_numpy(dtype="datetime64[us]"),
        ]
    ).astype("int64")
    kind = np.concatenate([np.zeros(m, dtype="int8"), np.ones(n, dtype="int8")])
    rec = np.full(m + n, np.iinfo("int64").min, dtype="int64")
    oid = np.full(m + n, -1, dtype="int64")
    if m:
        rec_s = pd.to_datetime(stored["recorded_at"]).to_numpy(dtype="datetime64[us]")
        rec[:m] = np.where(np.isnat(rec_s), np.iinfo("int64").min, rec_s.astype("int64"))
        oid[:m] = pd.to_numeric(stored["obs_id"]).fillna(-1).to_numpy(dtype="int64")
    pos = np.concatenate([np.full(m, -1, dtype="int64"), np.arange(n, dtype="int64")])
    order = np.lexsort((pos, oid, rec, kind, day, unit_codes))
    u, d, k = unit_codes[order], day[order], kind[order]
    st, bz, sc, ob, ps = status_c[order], biz_c[order], sec_c[order], oid[order], pos[order]
    same_unit = np.zeros(m + n, dtype=bool)
    same_unit[1:] = u[1:] == u[:-1]
    same_state = np.zeros(m + n, dtype=bool)
    same_state[1:] = (st[1:] == st[:-1]) & (bz[1:] == bz[:-1]) & (sc[1:] == sc[:-1])
    same_state &= same_unit
    corrects = np.zeros(m + n, dtype=bool)
    corrects[1:] = (k[:-1] == 0) & (d[1:] == d[:-1])
    is_plan = k == 1
    corrects &= is_plan & same_unit & ~same_state
    keep = np.ones(n, dtype=bool)
    keep[ps[is_plan]] = ~same_state[is_plan]
    prev_oid = np.empty_like(ob)
    prev_oid[1:] = ob[:-1]
    if corrects.any():
        supersedes[ps[corrects]] = prev_oid[corrects]
    return keep, supersedes


def _default_notes(
    rows: pd.DataFrame,
    *,
    date_defaulted: pd.Series,
    status_given: pd.Series,
    unchanged: int,
    as_of: date | None,
    today: date,
) -> list[str]:
    """German notes on the defaults taken for ``rows`` (the rows imported)."""
    notes: list[str] = []
    n_default = int(date_defaulted[rows.index].sum())
    if n_default:
        if as_of is not None:
            notes.append(
                f"{count(n_default, 'Zeile', 'Zeilen')} ohne Datum: Stichtag {german_date(as_of)} übernommen."
            )
        else:
            notes.append(
                f"{count(n_default, 'Zeile', 'Zeilen')} ohne Datum: heutiges Datum "
                f"{german_date(today)} "
                "übernommen."
            )
    no_status = ~status_given[rows.index] & rows["status"].isna()
    if no_status.any():
        named = int((no_status & (rows["biz_key"] != "")).sum())
        unnamed = int(no_status.sum()) - named
        parts = []
        if named:
            parts.append(f"{named} als 'genutzt' (Betrieb genannt)")
        if unnamed:
            parts.append(f"{unnamed} als 'unbekannt' (kein Betrieb genannt)")
        n_rows = count(int(no_status.sum()), "Zeile", "Zeilen")
        notes.append(f"{n_rows} ohne Status: " + ", ".join(parts) + ".")
    if len(rows):
        dates_per_unit = rows.groupby("ucode")["date"].nunique()
        history = int((dates_per_unit > 1).sum())
        if history:
            notes.append(f"Verlauf: {count(history, 'Einheit', 'Einheiten')} mit Angaben zu mehreren Daten.")
        else:
            notes.append("Stichtagsliste: je Einheit ein Datum.")
    if unchanged:
        notes.append(
            f"{count(unchanged, 'Zeile', 'Zeilen')} ohne Änderung gegenüber dem "
            "bekannten Stand; "
            "keine neue Beobachtung."
        )
    return notes


def _na_int(n: int) -> pd.arrays.IntegerArray:
    """An all-missing nullable Int64 array of length ``n``."""
    return pd.arrays.IntegerArray(np.zeros(n, dtype="int64"), np.ones(n, dtype=bool))


def _max_qm_number(ids: set[str]) -> int:
    numbers = [int(m.group(1)) for i in ids if isinstance(i, str) and (m := re.fullmatch(r"QM-(\d+)", i))]
    return max(numbers, default=0)
