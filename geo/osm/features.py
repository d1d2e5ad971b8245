"""OSM features as the project's tables: the columns, and the normalisation every loader shares.

Whether fetched online (:mod:`geo.osm.download`) or read from a file
(:mod:`geo.osm.files`), OSM features become the same tables: businesses
(:data:`BUSINESS_COLUMNS`, points), buildings (:data:`BUILDING_COLUMNS`,
footprints) and streets (:data:`STREET_COLUMNS`, lines; :func:`streets_from_graph`),
all in EPSG:4326 with a ``data_date``. A loader returns the table with where it comes from as an
:class:`OsmTable`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import osmnx as ox
import pandas as pd
import shapely

from geo import settings
from geo.osm.classify import BUSINESS_TAGS, KEY_TAGS, _matches, _value, classify_tags

__all__ = ["BUILDING_COLUMNS", "BUSINESS_COLUMNS", "STREET_COLUMNS", "OsmTable", "streets_from_graph"]


#: Columns of a normalised business table (besides ``geometry``: points, EPSG:4326).
BUSINESS_COLUMNS: dict[str, str] = {
    "osm_type": "str",  # node, way or relation
    "osm_id": "int64",
    "name": "str",  # name, else brand
    "use_class": "str",  # key of geo.register.model.USE_CLASS_LABELS
    "osm_tag": "str",  # the tag that decided the class, e.g. "shop=bakery"
    "osm_tags": "str",  # KEY_TAGS present, as JSON
    "disused": "bool",  # shop=vacant, vacant=yes, or only disused:shop
    "street": "str",
    "housenumber": "str",
    "postcode": "str",
    "data_date": "datetime64[s]",
}

#: Columns of a normalised building table (besides ``geometry``: footprints, EPSG:4326).
BUILDING_COLUMNS: dict[str, str] = {
    "osm_type": "str",
    "osm_id": "int64",
    "building": "str",
    "name": "str",
    "levels": "str",
    "shop": "str",
    "amenity": "str",
    "office": "str",
    "craft": "str",
    "tourism": "str",
    "street": "str",
    "housenumber": "str",
    "postcode": "str",
    "data_date": "datetime64[s]",
}

#: Columns of a normalised street table (besides ``geometry``: lines, EPSG:4326).
STREET_COLUMNS: dict[str, str] = {
    "osm_id": "int64",
    "name": "str",
    "highway": "str",
    "length_m": "float64",
    "data_date": "datetime64[s]",
}


@dataclass(frozen=True)
class OsmTable:
    """An OSM table and where it comes from.

    Returned by the loaders of :mod:`geo.osm.download` and :mod:`geo.osm.files`; say where it
    comes from with :func:`geo.osm.download.source_note`.

    Attributes
    ----------
    frame
        The table (:data:`BUSINESS_COLUMNS`, :data:`BUILDING_COLUMNS` or :data:`STREET_COLUMNS`).
    data_date
        Date of the OSM data (UTC, no time zone); None when unknown.
    date_source
        Where the date comes from: a key of :data:`geo.osm.download.DATE_SOURCE_LABELS`
        (``overpass``, ``file``, ``fetch_time``, ``file_time``); None when unknown.
    from_cache
        True if this is the last saved result (OpenStreetMap unreachable, or read with ``cached_*``).
    notice
        German message to show with the table (why a saved result stands in), else None.
    file
        Name of the file read (:mod:`geo.osm.files`), else None.
    fetched_at
        When Overpass was asked (UTC, no time zone); None for files.
    """

    frame: gpd.GeoDataFrame
    data_date: pd.Timestamp | None = None
    date_source: str | None = None
    from_cache: bool = False
    notice: str | None = None
    file: str | None = None
    fetched_at: pd.Timestamp | None = None


# -- normalisation ---------------------------------------------------------------------


def _conform(frame: pd.DataFrame, columns: Mapping[str, str], geometry: Any) -> gpd.GeoDataFrame:
    """``frame`` with exactly ``columns`` in their dtypes, plus ``geometry`` (EPSG:4326)."""
    out: dict[str, Any] = {}
    n = len(frame)
    for col, dtype in columns.items():
        values = (
            frame[col] if col in frame.columns else pd.Series([None] * n, index=frame.index, dtype="object")
        )
        if dtype == "str":
            # GeoJSON readers turn JSON text (osm_tags) back into dicts
            values = values.map(
                lambda v: json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list) else v
            )
            series = values.astype("object").where(values.notna(), None).astype("str")
            series = series.mask(series.str.strip() == "")
        elif dtype == "int64":
            series = pd.to_numeric(values).astype("int64")
        elif dtype == "float64":
            series = pd.to_numeric(values).astype("float64")
        elif dtype == "bool":
            series = values.astype("object").where(values.notna(), False).astype(bool)
        else:
            stamps = pd.to_datetime(values, utc=True, format="ISO8601") if len(values) else values
            series = pd.Series(stamps, index=frame.index)
            if len(series):
                series = series.dt.tz_convert(None)
            series = series.astype("datetime64[s]")
        out[col] = series.reset_index(drop=True)
    geoms = gpd.GeoSeries(np.asarray(geometry, dtype=object), crs=settings.storage_crs)
    return gpd.GeoDataFrame(out, geometry=geoms.reset_index(drop=True), crs=settings.storage_crs)


def _tag_frame(raw: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """An osmnx features frame (index element, id) as columns ``osm_type``, ``osm_id``, tags."""
    frame = raw.reset_index()
    frame = frame.rename(columns={"element": "osm_type", "id": "osm_id"})
    if frame.crs is None:
        frame = frame.set_crs(settings.storage_crs)
    return frame.to_crs(settings.storage_crs)


def _addr(frame: pd.DataFrame, key: str) -> pd.Series:
    return frame[key] if key in frame.columns else pd.Series([None] * len(frame), index=frame.index)


def _normalise_businesses(frame: gpd.GeoDataFrame, data_date: pd.Timestamp | None) -> gpd.GeoDataFrame:
    frame = frame.loc[_matches(frame, BUSINESS_TAGS)]
    frame = frame.loc[frame.geometry.notna() & ~frame.geometry.is_empty]
    frame = frame.sort_values(["osm_type", "osm_id"]).reset_index(drop=True)
    records = frame.drop(columns="geometry").to_dict("records")
    classes = [classify_tags(r) for r in records]
    tags_json = [
        json.dumps({k: _value(r, k) for k in KEY_TAGS if _value(r, k) is not None}, ensure_ascii=False)
        for r in records
    ]
    names = [_value(r, "name") or _value(r, "brand") for r in records]
    geoms = frame.geometry.to_numpy()
    points = np.where(shapely.get_type_id(geoms) == 0, geoms, shapely.point_on_surface(geoms))
    # OSM's precision (7 decimals); also makes files written and read again compare equal
    points = shapely.transform(points, lambda xy: np.round(xy, 7))
    table = pd.DataFrame(
        {
            "osm_type": frame["osm_type"].to_numpy(),
            "osm_id": frame["osm_id"].to_numpy(),
            "name": names,
            "use_class": [c[0] for c in classes],
            "osm_tag": [c[1] for c in classes],
            "osm_tags": tags_json,
            "disused": [c[2] for c in classes],
            "street": _addr(frame, "addr:street").to_numpy(),
            "housenumber": _addr(frame, "addr:housenumber").to_numpy(),
            "postcode": _addr(frame, "addr:postcode").to_numpy(),
            "data_date": data_date,
        }
    )
    return _conform(table, BUSINESS_COLUMNS, points)


def _normalise_buildings(frame: gpd.GeoDataFrame, data_date: pd.Timestamp | None) -> gpd.GeoDataFrame:
    if "building" in frame.columns:
        frame = frame.loc[_matches(frame, {"building": True})]
    else:
        frame = frame.iloc[0:0]
    geoms = frame.geometry
    frame = frame.loc[geoms.notna() & geoms.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()]
    frame = frame.sort_values(["osm_type", "osm_id"]).reset_index(drop=True)
    table = pd.DataFrame(
        {
            "osm_type": frame["osm_type"],
            "osm_id": frame["osm_id"],
            "building": _addr(frame, "building"),
            "name": _addr(frame, "name"),
            "levels": _addr(frame, "building:levels"),
            **{key: _addr(frame, key) for key in ("shop", "amenity", "office", "craft", "tourism")},
            "street": _addr(frame, "addr:street"),
            "housenumber": _addr(frame, "addr:housenumber"),
            "postcode": _addr(frame, "addr:postcode"),
            "data_date": data_date,
        }
    )
    return _conform(table, BUILDING_COLUMNS, frame.geometry.to_numpy())


def _joined(value: Any) -> Any:
    """Several values of a simplified edge, sorted (osmnx keeps them in no fixed order)."""
    if isinstance(value, list):
        return "; ".join(sorted({str(v) for v in value}))
    return value


def streets_from_graph(graph: nx.MultiDiGraph, *, data_date: pd.Timestamp | None = None) -> gpd.GeoDataFrame:
    """The street segments of a walking network as a table (:data:`STREET_COLUMNS`).

    Each edge once (the reverse edge of a two-way street is dropped); several
    values of a simplified edge are sorted and joined with ``"; "``,
    ``osm_id`` is the smallest way id.

    Parameters
    ----------
    graph
        An osmnx graph (any CRS).
    data_date
        Data date to set (default: the graph's ``data_date`` attribute, if any).
    """
    if data_date is None and graph.graph.get("data_date"):
        data_date = pd.Timestamp(graph.graph["data_date"])
    if graph.number_of_edges() == 0:
        return _conform(pd.DataFrame(), STREET_COLUMNS, [])
    edges = ox.graph_to_gdfs(graph, nodes=False).reset_index()
    pair = np.sort(edges[["u", "v"]].to_numpy(), axis=1)
    edges = edges.loc[~pd.DataFrame(pair).assign(k=edges["key"].to_numpy()).duplicated().to_numpy()]
    metric = edges.to_crs(settings.metric_crs)
    table = pd.DataFrame(
        {
            "osm_id": [min(v) if isinstance(v, list) else v for v in edges["osmid"]],
            "name": [_joined(v) for v in _addr(edges, "name")],
            "highway": [_joined(v) for v in _addr(edges, "highway")],
            "length_m": metric.geometry.length.round(2).to_numpy(),
            "data_date": data_date,
        }
    )
    return _conform(table, STREET_COLUMNS, edges.to_crs(settings.storage_crs).geometry.to_numpy())


def _normalise_features(
    normalise: Callable[[gpd.GeoDataFrame, pd.Timestamp | None], gpd.GeoDataFrame],
) -> Callable[[gpd.GeoDataFrame | None, pd.Timestamp | None], gpd.GeoDataFrame]:
    def run(raw: gpd.GeoDataFrame | None, data_date: pd.Timestamp | None) -> gpd.GeoDataFrame:
        if raw is None or not len(raw):
            return normalise(
                gpd.GeoDataFrame({"osm_type": [], "osm_id": []}, geometry=[], crs=settings.storage_crs),
                data_date,
            )
        return normalise(_tag_frame(raw), data_date)

    return run
