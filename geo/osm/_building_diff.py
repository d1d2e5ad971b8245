"""Two building snapshots compared: what was added, removed or changed (private to :mod:`geo.osm.buildings`).

The rules (what counts as a geometry or use change) are described in
:mod:`geo.osm.buildings`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import settings
from geo.errors import InputError
from geo.osm.classify import commercial_flags
from geo.osm.snapshots import _area_key, _building_tags, _dedupe

if TYPE_CHECKING:  # pragma: no cover
    from geo.places.areas import BoundaryLoad

#: A footprint counts as changed only if it moved by more than this (Hausdorff distance, m) ...
MIN_SHIFT_M: float = 0.5

#: ... and its symmetric difference with the old footprint exceeds this (m²).
MIN_AREA_CHANGE_M2: float = 1.0


# -- the comparison engine ------------------------------------------------------------


@dataclass
class _Prepared:
    """One snapshot ready for comparison, indexed by OSM id."""

    date: pd.Timestamp
    ids: pd.Index
    building: np.ndarray
    commercial: np.ndarray
    area: np.ndarray
    ortsteil: np.ndarray
    quarter: np.ndarray
    metric: np.ndarray
    geometry: np.ndarray
    areas: frozenset[str] | None


def _boundaries(boundaries: gpd.GeoDataFrame | BoundaryLoad | str | Path) -> gpd.GeoDataFrame:
    from geo.places.areas import BoundaryLoad, load_boundaries

    if isinstance(boundaries, (str, Path)):
        boundaries = load_boundaries(boundaries)
    if isinstance(boundaries, BoundaryLoad):
        boundaries = boundaries.frame
    if not isinstance(boundaries, gpd.GeoDataFrame) or "name" not in boundaries.columns:
        raise InputError(
            "Die Ortsteilgrenzen brauchen eine Spalte „name“; bitte mit geo.places.areas.load_boundaries laden."
        )
    metric = boundaries if boundaries.crs is not None else boundaries.set_crs(settings.storage_crs)
    return metric.to_crs(settings.metric_crs)


def _prepare(snap: pd.DataFrame, day: pd.Timestamp, boundaries_metric: gpd.GeoDataFrame | None) -> _Prepared:
    from geo.places.areas import assign_areas

    if isinstance(snap, gpd.GeoDataFrame) and snap._geometry_column_name in snap.columns:
        values, crs = snap.geometry.to_numpy(), snap.crs
    else:
        values, crs = np.asarray(snap["geometry"], dtype=object), None
    building = _building_tags(snap)
    usable = (building != "no").to_numpy() & ~shapely.is_missing(values) & ~shapely.is_empty(values)
    snap = snap.assign(building=building).loc[usable]
    snap = _dedupe(snap.reset_index(drop=True).assign(geometry=values[usable]))
    geoms = gpd.GeoSeries(snap["geometry"].to_numpy(), crs=crs or settings.storage_crs)
    metric = geoms.to_crs(settings.metric_crs)
    n = len(snap)
    if boundaries_metric is not None and n:
        located = assign_areas(
            gpd.GeoDataFrame(geometry=metric.values, crs=settings.metric_crs), boundaries_metric
        )
        ortsteil = located["ortsteil"].to_numpy(dtype=object)
        quarter = located["quarter"].to_numpy(dtype=object)
    else:
        ortsteil = np.full(n, None, dtype=object)
        quarter = np.full(n, None, dtype=object)
    building = snap["building"].to_numpy(dtype=object)
    areas = None
    if "file" in snap:
        areas = frozenset(_area_key(Path(str(s))) for s in pd.unique(snap["file"].dropna()))
    return _Prepared(
        date=day,
        ids=pd.Index(snap["osm_id"].astype("str").to_numpy(dtype=object), dtype=object),
        building=building,
        commercial=commercial_flags(snap).to_numpy(dtype=bool),
        area=shapely.area(metric.to_numpy()),
        ortsteil=np.array([None if pd.isna(v) else v for v in ortsteil], dtype=object),
        quarter=np.array([None if pd.isna(v) else v for v in quarter], dtype=object),
        metric=metric.to_numpy(),
        geometry=geoms.to_numpy(),
        areas=areas,
    )


def _geometry_changed(old: np.ndarray, new: np.ndarray) -> np.ndarray:
    changed = np.zeros(len(old), dtype=bool)
    if not len(old):
        return changed
    differ = ~shapely.equals_exact(old, new, tolerance=0.0)
    if not differ.any():
        return changed
    a, b = old[differ], new[differ]
    shift = shapely.hausdorff_distance(a, b)
    candidate = shift > MIN_SHIFT_M
    if candidate.any():
        ca, cb = a[candidate], b[candidate]
        ca = np.where(shapely.is_valid(ca), ca, shapely.make_valid(ca))
        cb = np.where(shapely.is_valid(cb), cb, shapely.make_valid(cb))
        sym = shapely.area(shapely.symmetric_difference(ca, cb))
        candidate[candidate] = sym > MIN_AREA_CHANGE_M2
    changed[differ] = candidate
    return changed


def _compare(prev: _Prepared, cur: _Prepared) -> pd.DataFrame:
    """Events between two snapshots: one row per added, removed or changed building."""
    in_prev = cur.ids.isin(prev.ids)
    in_cur = prev.ids.isin(cur.ids)
    added = np.flatnonzero(~in_prev)
    removed = np.flatnonzero(~in_cur)
    common_cur = np.flatnonzero(in_prev)
    common_prev = prev.ids.get_indexer(cur.ids[common_cur])
    geom = _geometry_changed(prev.metric[common_prev], cur.metric[common_cur])
    use = (prev.building[common_prev] != cur.building[common_cur]) | (
        prev.commercial[common_prev] != cur.commercial[common_cur]
    )
    changed = geom | use
    ch_cur, ch_prev = common_cur[changed], common_prev[changed]
    n_add, n_rem, n_ch = len(added), len(removed), len(ch_cur)

    def cat(*arrays: np.ndarray) -> np.ndarray:
        return np.concatenate([np.asarray(a, dtype=object) for a in arrays])

    return pd.DataFrame(
        {
            "osm_id": cat(cur.ids[added], prev.ids[removed], cur.ids[ch_cur]),
            "kind": cat(np.full(n_add, "added"), np.full(n_rem, "removed"), np.full(n_ch, "changed")),
            "geometry_changed": np.concatenate([np.zeros(n_add + n_rem, bool), geom[changed]]),
            "use_changed": np.concatenate([np.zeros(n_add + n_rem, bool), use[changed]]),
            "old_building": cat(np.full(n_add, None), prev.building[removed], prev.building[ch_prev]),
            "new_building": cat(cur.building[added], np.full(n_rem, None), cur.building[ch_cur]),
            "old_commercial": cat(np.full(n_add, None), prev.commercial[removed], prev.commercial[ch_prev]),
            "new_commercial": cat(cur.commercial[added], np.full(n_rem, None), cur.commercial[ch_cur]),
            "footprint_m2": np.concatenate([cur.area[added], prev.area[removed], cur.area[ch_cur]]),
            "ortsteil": cat(cur.ortsteil[added], prev.ortsteil[removed], cur.ortsteil[ch_cur]),
            "quarter": cat(cur.quarter[added], prev.quarter[removed], cur.quarter[ch_cur]),
            "geometry": cat(cur.geometry[added], prev.geometry[removed], cur.geometry[ch_cur]),
        }
    )
