"""Street sections for public maps and tables: no vacant unit is shown on its own.

:func:`street_segments` cuts each street into sections of at least ``min_units``
units and about ``length_m`` metres; :func:`geo.outputs.staticmaps.segment_map`
colours them by a figure computed per section.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import settings
from geo.outputs._cartography import MAP_CRS

__all__ = ["street_segments"]


def _house_range(numbers: pd.Series) -> str:
    values = pd.to_numeric(
        numbers.astype("string").str.extract(r"(\d+)", expand=False), errors="coerce"
    ).dropna()
    if not len(values):
        return ""
    lo, hi = int(values.min()), int(values.max())
    return str(lo) if lo == hi else f"{lo}–{hi}"


def _segment_line(xy: np.ndarray, t: np.ndarray, *, step_m: float = 110.0) -> shapely.Geometry:
    """A line along positions ``t``: smoothed centroids of ``step_m`` bins (both street sides), or a point."""
    if len(xy) == 0:
        return shapely.Point()
    if t.max() - t.min() < 15.0:
        return shapely.Point(xy.mean(axis=0))
    bins = np.floor((t - t.min()) / step_m).astype(int)
    order = np.argsort(bins, kind="stable")
    keys, starts = np.unique(bins[order], return_index=True)
    cents = np.array(
        [xy[order][s:e].mean(axis=0) for s, e in zip(starts, [*starts[1:], len(order)], strict=True)]
    )
    if len(cents) < 2:
        # all in one bin: a short line through the extreme points
        lo, hi = xy[np.argmin(t)], xy[np.argmax(t)]
        return shapely.LineString([lo, hi])
    if len(cents) > 2:
        inner = (cents[:-2] + cents[1:-1] + cents[2:]) / 3.0
        cents = np.vstack([cents[:1], inner, cents[-1:]])
    return shapely.LineString(cents).simplify(5.0)


def street_segments(
    units: gpd.GeoDataFrame, *, min_units: int | None = None, length_m: float | None = None
) -> tuple[pd.Series, gpd.GeoDataFrame]:
    """Cut streets into sections of at least ``min_units`` units, for public maps and tables.

    Units are grouped by street (both sides together, also where the street
    is the border of two Ortsteile); within a street they are ordered along it
    (the main axis of their positions, in EPSG:25833) and split into sections
    of about ``length_m`` metres with equal numbers of units, each with at
    least ``min_units`` units (a street with fewer units is one section, whose
    figures must not be published: see ``n_units``).

    Parameters
    ----------
    units
        Units with ``unit_id``, ``street``, ``housenumber``, ``ortsteil`` and point geometry.
    min_units
        Smallest number of units of a section (when the street has as many);
        default :data:`geo.settings.public_min_units`.
    length_m
        Target length of a section; default :data:`geo.settings.segment_length_m`.

    Returns
    -------
    labels : pandas.Series
        Section label per unit (index of ``units``; missing for units without
        street or location).
    segments : geopandas.GeoDataFrame
        One row per section: ``segment`` (label, e.g. „Eisenbahnstraße 9–61“),
        ``street``, ``ortsteil`` (where most of its units lie; two names
        joined by „ / “ on a border street), ``n_units`` and a line (or, for a section in
        one building, a point) in :data:`MAP_CRS`.
    """
    min_units = settings.public_min_units if min_units is None else min_units
    length_m = settings.segment_length_m if length_m is None else length_m
    labels = pd.Series(pd.NA, index=units.index, dtype="string")
    rows: list[dict[str, Any]] = []
    pts = units
    if pts.crs is None:
        pts = pts.set_crs(settings.storage_crs)
    geom = pts.geometry
    located = geom.notna().to_numpy() & ~geom.is_empty.to_numpy()
    street = units["street"].astype("string").str.strip()
    ok = located & street.notna().to_numpy() & (street != "").fillna(False).to_numpy()
    if ok.any():
        metric = pts.loc[ok].to_crs(MAP_CRS)
        frame = pd.DataFrame(
            {
                "street": street[ok].to_numpy(),
                "ortsteil": units.loc[ok, "ortsteil"]
                .astype("string")
                .fillna(settings.unassigned_label)
                .to_numpy(),
                "housenumber": units.loc[ok, "housenumber"].astype("string").to_numpy(),
                "x": shapely.get_x(metric.geometry.to_numpy()),
                "y": shapely.get_y(metric.geometry.to_numpy()),
            },
            index=units.index[ok],
        )
        for st, grp in frame.groupby("street", sort=True):
            xy = grp[["x", "y"]].to_numpy()
            if len(grp) > 1:
                centred = xy - xy.mean(axis=0)
                _, _, vt = np.linalg.svd(centred, full_matrices=False)
                t = centred @ vt[0]
            else:
                t = np.zeros(1)
            order = np.argsort(t, kind="stable")
            span = float(t.max() - t.min())
            k = max(1, min(round(span / length_m), len(grp) // max(min_units, 1)))
            for chunk in np.array_split(order, k):
                part = grp.iloc[chunk]
                areas = part["ortsteil"].value_counts()
                rows.append(
                    {
                        "segment": f"{st} {_house_range(part['housenumber'])}".strip(),
                        "street": st,
                        "ortsteil": " / ".join(sorted(areas.index[areas >= areas.max() / 3])),
                        "n_units": len(part),
                        "geometry": _segment_line(xy[chunk], t[chunk]),
                        "_index": part.index,
                    }
                )
    seen: dict[str, int] = {}
    for row in rows:
        label = row["segment"]
        if label in seen:
            label = f"{label} ({row['ortsteil']})"
        while label in seen:
            label = f"{label}*"
        seen[label] = 1
        row["segment"] = label
        labels.loc[row.pop("_index")] = label
    segments = gpd.GeoDataFrame(
        pd.DataFrame(rows, columns=["segment", "street", "ortsteil", "n_units", "geometry"]).drop(
            columns="geometry"
        ),
        geometry=[r["geometry"] for r in rows],
        crs=MAP_CRS,
    )
    return labels, segments
