"""What a write's frames become before a backend stores them: the one home of those rules.

Both backends (:mod:`~geo.register.store.gpkg`, :mod:`~geo.register.store.postgis`) bind the
same values: units in the storage CRS with a creation time, dates as ``JJJJ-MM-TT`` text,
times as ISO text in UTC, flags as bool, a missing ``recorded_at`` set to now, visits linked to
the observations written in the same change. A missing value is never written as text
(:func:`geo.register.store._sqlite.records` refuses it).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import settings
from geo.register.model import LOCATION_CHECK_COLUMNS, OBSERVATION_COLUMNS, UNIT_COLUMNS, VISIT_COLUMNS
from geo.register.store._sqlite import date_text, datetime_text, now_iso

#: Unit columns a backend writes besides the geometry, in order.
UNIT_ATTRS: list[str] = list(UNIT_COLUMNS)
#: Observation columns a write inserts (the id comes from the database).
OBS_INSERT: list[str] = [c for c in OBSERVATION_COLUMNS if c != "obs_id"]
#: Visit columns a write inserts (the id comes from the database).
VISIT_INSERT: list[str] = [c for c in VISIT_COLUMNS if c != "visit_id"]
#: Location check columns a write inserts (the id comes from the database).
CHECK_INSERT: list[str] = [c for c in LOCATION_CHECK_COLUMNS if c != "check_id"]


def new_units(units: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """New units in the storage CRS, ``created_at`` set (now where missing) and as ISO text."""
    u = units.to_crs(settings.storage_crs).copy()
    if "created_at" not in u or u["created_at"].isna().any():
        now = pd.Timestamp(now_iso()[:-1])
        u["created_at"] = u.get("created_at", pd.Series(pd.NaT, index=u.index)).fillna(now)
    u["created_at"] = datetime_text(u["created_at"], column="created_at")
    return u


def new_observations(observations: pd.DataFrame, *, import_id: int | None) -> pd.DataFrame:
    """Observations to insert: dates as text, ``recorded_at`` now where missing, flag as bool, the import."""
    o = observations.copy()
    o["observed_on"] = date_text(o["observed_on"], column="observed_on")
    if "recorded_at" not in o:
        o["recorded_at"] = pd.NaT
    o["recorded_at"] = datetime_text(o["recorded_at"], column="recorded_at").fillna(now_iso())
    o["new_settlement"] = o.get("new_settlement", False)
    o["new_settlement"] = o["new_settlement"].fillna(False).astype(bool)
    if import_id is not None:
        o["import_id"] = import_id
    return o


def new_visits(visits: pd.DataFrame, obs_ids: Sequence[int]) -> pd.DataFrame:
    """Visits to insert: ``obs_index`` resolved to the ids of this write's observations, dates as text."""
    v = visits.copy()
    if "obs_index" in v.columns:
        linked = v["obs_index"].notna()
        ids = np.asarray(list(obs_ids), dtype=object)
        v.loc[linked, "obs_id"] = ids[v.loc[linked, "obs_index"].astype(int).to_numpy()]
    v["visited_on"] = date_text(v["visited_on"], column="visited_on")
    if "follow_up_on" in v.columns:
        v["follow_up_on"] = date_text(v["follow_up_on"], column="follow_up_on")
    if "recorded_at" not in v:
        v["recorded_at"] = pd.NaT
    v["recorded_at"] = datetime_text(v["recorded_at"], column="recorded_at").fillna(now_iso())
    v["follow_up_done"] = v.get("follow_up_done", False)
    v["follow_up_done"] = v["follow_up_done"].fillna(False).astype(bool)
    return v


def import_row(record: dict[str, object], *, units_added: int, observations_added: int) -> tuple[object, ...]:
    """The ``imports`` row of a :attr:`ChangeSet.import_record` (written now, the report as JSON)."""
    return (
        record["file_name"], now_iso(), record.get("mode"), record.get("rows_read"),
        units_added, observations_added, json.dumps(record.get("report"), ensure_ascii=False, default=str),
    )


#: Columns of the ``imports`` table besides its id, in order (:func:`import_row`).
IMPORT_COLUMNS: list[str] = [
    "file_name", "imported_at", "mode", "rows_read", "units_added", "observations_added", "report",
]


def kept_imports(imports: pd.DataFrame) -> pd.DataFrame:
    """Import records copied with their ids (a whole register's copy): times as ISO text."""
    frame = imports.reindex(columns=["import_id", *IMPORT_COLUMNS]).copy()
    frame["imported_at"] = datetime_text(frame["imported_at"], column="imported_at")
    return frame


def new_location_checks(checks: pd.DataFrame) -> pd.DataFrame:
    """Location checks to insert: ``recorded_at`` as ISO text in UTC, now where missing."""
    c = checks.copy()
    if "recorded_at" not in c:
        c["recorded_at"] = pd.NaT
    c["recorded_at"] = datetime_text(c["recorded_at"], column="recorded_at").fillna(now_iso())
    return c


def location_check_frame(rows: Sequence[Sequence[object]]) -> pd.DataFrame:
    """Stored location checks (tuples in ``LOCATION_CHECK_COLUMNS`` order) with the library's dtypes."""
    frame = pd.DataFrame.from_records(list(rows), columns=list(LOCATION_CHECK_COLUMNS))
    frame["check_id"] = pd.array(pd.to_numeric(frame["check_id"]), dtype="Int64")
    for col in ("lon", "lat", "lon_before", "lat_before"):
        frame[col] = pd.to_numeric(frame[col]).astype("float64")
    for col in ("unit_id", "action", "method_before", "quality_before", "recorded_by"):
        frame[col] = frame[col].astype("str")
    frame["recorded_at"] = (
        pd.to_datetime(frame["recorded_at"], format="ISO8601", utc=True).dt.tz_localize(None).astype("datetime64[s]")
    )
    return frame
