"""The input of a walk: the table of stops, and where a walk starts and ends.

Private to :mod:`geo.walks.tour` (:func:`geo.walks.tour.plan_walk` documents the forms
accepted). A quarter whose office address is not entered (``configured = false`` in
``data/quarters.toml``) gives no start point: the walk then starts at its first stop.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from shapely.geometry import Point

from geo import settings
from geo.errors import InputError
from geo.walks._distances import _point_xy
from geo.walks.plan import WalkPoint


def _stop_table(stops: pd.DataFrame, priorities: Mapping[str, float] | pd.Series | None) -> pd.DataFrame:
    """unit_id, lon, lat, priority, label and the other columns of the stops, index 0 … n-1."""
    if not isinstance(stops, pd.DataFrame):
        raise InputError("Die Stopps müssen eine Tabelle (DataFrame) mit der Spalte „unit_id“ sein.")
    if "unit_id" not in stops.columns:
        raise InputError("Den Stopps fehlt die Spalte „unit_id“.")
    frame = pd.DataFrame(stops.drop(columns=[stops.geometry.name]) if _has_geometry(stops) else stops)
    frame = frame.reset_index(drop=True)
    ids = frame["unit_id"]
    if ids.isna().any():
        raise InputError(f"{int(ids.isna().sum())} Stopp(s) ohne unit_id.")
    frame["unit_id"] = ids.astype(str)
    repeated = sorted(set(frame["unit_id"][frame["unit_id"].duplicated()]))
    if repeated:
        raise InputError(f"Stopps mehrfach angegeben: {', '.join(repeated)}.")

    if _has_geometry(stops):
        geoms = stops.geometry
        if geoms.crs is None:
            geoms = geoms.set_crs(settings.storage_crs)
        geoms = geoms.to_crs(settings.storage_crs).to_numpy()
        bad = shapely.is_missing(geoms) | shapely.is_empty(geoms)
        lon = np.full(len(geoms), np.nan)
        lat = np.full(len(geoms), np.nan)
        if (~bad).any():
            lon[~bad], lat[~bad] = _point_xy(geoms[~bad])
    elif {"lon", "lat"} <= set(frame.columns):
        lon = pd.to_numeric(frame["lon"], errors="coerce").to_numpy(float)
        lat = pd.to_numeric(frame["lat"], errors="coerce").to_numpy(float)
    else:
        raise InputError("Den Stopps fehlt die Lage: Punktgeometrie oder Spalten „lon“ und „lat“.")
    missing = ~(np.isfinite(lon) & np.isfinite(lat))
    if missing.any():
        shown = ", ".join(frame["unit_id"][missing].tolist()[:10])
        raise InputError(f"Stopps ohne Lage (Koordinaten fehlen): {shown}.")
    frame["lon"] = lon
    frame["lat"] = lat

    if "priority" in frame.columns:
        prio = pd.to_numeric(frame["priority"], errors="coerce")
        bad = prio.isna() & frame["priority"].notna()
        if bad.any():
            shown = ", ".join(frame["unit_id"][bad].tolist()[:10])
            raise InputError(f"Priorität muss eine Zahl sein (höher = wichtiger); ungültig bei: {shown}.")
        prio = prio.fillna(0.0).astype(float)
    else:
        prio = pd.Series(0.0, index=frame.index)
    if priorities is not None:
        given = (
            pd.Series(priorities, dtype=float) if not isinstance(priorities, pd.Series) else priorities.copy()
        )
        given.index = given.index.astype(str)
        unknown = sorted(set(given.index) - set(frame["unit_id"]))
        if unknown:
            raise InputError(f"Prioritäten für unbekannte Stopps angegeben: {', '.join(unknown[:10])}.")
        mapped = frame["unit_id"].map(given)
        prio = mapped.astype(float).where(mapped.notna(), prio)
    frame["priority"] = prio.to_numpy(float)

    if "label" not in frame.columns:
        frame["label"] = _labels(frame)
    else:
        frame["label"] = frame["label"].where(frame["label"].notna(), _labels(frame)).astype(str)
    return frame


def _has_geometry(frame: pd.DataFrame) -> bool:
    return isinstance(frame, gpd.GeoDataFrame) and frame._geometry_column_name in frame.columns


def _labels(frame: pd.DataFrame) -> pd.Series:
    """``"Eisenbahnstraße 66"`` from street and house number, else the unit id."""
    if "street" not in frame.columns:
        return frame["unit_id"].astype(str)
    street = frame["street"].astype("string").str.strip()
    number = (
        frame["housenumber"].astype("string").str.strip()
        if "housenumber" in frame.columns
        else pd.Series(pd.NA, index=frame.index, dtype="string")
    )
    text = (street.fillna("") + " " + number.fillna("")).str.strip()
    return text.where(street.notna() & (text != ""), frame["unit_id"].astype(str)).astype(str)


def _office(quarter: Any) -> WalkPoint | None:
    """The office of a quarter as a walk's start; None when its address is not entered."""
    if not getattr(quarter, "office_configured", True):
        return None
    return WalkPoint(str(getattr(quarter, "office_name", "Start")), float(quarter.office_lon), float(quarter.office_lat))


def _resolve_point(value: Any, role: str, table: pd.DataFrame) -> WalkPoint | None:
    """A start or end point; None for a quarter whose office address is not entered."""
    if isinstance(value, WalkPoint):
        return value
    if isinstance(value, str):
        from geo.places.areas import get_quarter

        return _office(get_quarter(value))
    if hasattr(value, "office_lon") and hasattr(value, "office_lat"):
        return _office(value)
    if isinstance(value, Point):
        if value.is_empty:
            raise InputError(f"{role}: leerer Punkt.")
        return WalkPoint(role, float(value.x), float(value.y))
    try:
        lon, lat = (float(v) for v in value)
    except (TypeError, ValueError):
        raise InputError(
            f"{role} nicht verstanden: {value!r}. Erwartet wird (lon, lat), ein Punkt oder ein Quartiersname."
        ) from None
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise InputError(f"{role}: Koordinaten müssen endliche Zahlen sein, angegeben: {value!r}.")
    return WalkPoint(role, lon, lat)


def _role_label(role: str, point: WalkPoint) -> str:
    return role if point.name == role else f"{role} ({point.name})"


def _default_start(table: pd.DataFrame) -> WalkPoint | None:
    """The office of the stops' quarter, or of the quarter whose office is nearest to them.

    None (start at the first stop) when that quarter's office address is not entered, or
    no configured office is entered at all.
    """
    from geo.places.areas import get_quarter, load_quarters

    if "quarter" in table.columns:
        named = {q for q in table["quarter"].dropna().astype(str) if q.strip()}
        if len(named) == 1:
            return _office(get_quarter(named.pop()))
    quarters = [q for q in load_quarters().values() if q.office_configured]
    if not quarters:
        return None
    if not len(table):
        q = quarters[0]
        return WalkPoint(q.office_name, q.office_lon, q.office_lat)
    to_metric = Transformer.from_crs(settings.storage_crs, settings.metric_crs, always_xy=True)
    sx, sy = to_metric.transform(table["lon"].to_numpy(float), table["lat"].to_numpy(float))
    cx, cy = float(np.mean(sx)), float(np.mean(sy))
    ox_, oy_ = to_metric.transform([q.office_lon for q in quarters], [q.office_lat for q in quarters])
    q = quarters[int(np.argmin(np.hypot(np.asarray(ox_) - cx, np.asarray(oy_) - cy)))]
    return WalkPoint(q.office_name, q.office_lon, q.office_lat)
