"""OpenStreetMap data of an area: businesses, buildings, streets and the walking network.

Every loader comes in two forms that give the same, normalised result:

* ``fetch_*`` -- online, from the Overpass API via :mod:`osmnx`
  (:func:`fetch_businesses`, :func:`fetch_buildings`, :func:`fetch_streets`,
  :func:`fetch_walk_network`);
* ``load_*`` -- from a local file: OSM XML (``.osm``/``.xml``, also
  ``.gz``/``.bz2``, read with osmnx's ``*_from_xml``), GeoJSON or a GeoPackage
  layer (:func:`load_businesses`, :func:`load_buildings`, :func:`load_streets`,
  :func:`load_walk_network`), for users without Overpass access and for tests.

Businesses
----------
:data:`BUSINESS_TAGS` is the query: every ``shop``, ``office``, ``craft`` and
``healthcare`` feature, the commercial ``amenity`` values of
:data:`AMENITY_CLASSES`, and the vacancy tags ``disused:shop=*`` and
``vacant=yes`` (``shop=vacant`` comes with ``shop``). :func:`classify_tags`
puts each feature into one of the register's use classes
(:data:`geo.register.model.USE_CLASS_LABELS`) by the table documented there. Features
are normalised to points (a footprint becomes a point inside it) in
EPSG:4326 with the columns of :data:`BUSINESS_COLUMNS`.

Caching and offline use
-----------------------
Two caches, both under :data:`CACHE_DIR` (default:
:func:`geo.settings.osm_cache_folder`, i.e. ``QM_OSM_CACHE`` or ``osm`` in the
user's cache folder):

1. osmnx's own HTTP cache, one folder per query
   (``osmnx/<query key>/``), so a repeated query is answered without the
   network;
2. our own: every normalised result is saved as ``<kind>-<area>.gpkg``
   (the walking network as ``walk-<area>.graphml``) with a JSON sidecar
   ``<kind>-<area>.json`` holding the data date, its source, the fetch time,
   the number of features and the attribution.

When OpenStreetMap cannot be reached, ``fetch_*`` returns the last saved
result of the area (``frame.attrs["from_cache"]`` is true and
:func:`source_note` says so); without one it raises :class:`OSMUnavailable`,
whose message tells the user that the app keeps working on the register.
``cached_businesses(area)`` reads the saved result without going online.

Data date
---------
The date of the OSM data (column ``data_date``, UTC, no time zone) is, in
this order: Overpass's ``osm3s.timestamp_osm_base`` (the time of the
database state that answered; osmnx does not return it, so it is read from
the responses osmnx stores in the query's cache folder); for files the
``<meta osm_base>`` of Overpass XML, the top-level ``timestamp`` of an
overpass-turbo GeoJSON export, a ``data_date`` column, or the newest element
``timestamp`` (OSM XML attribute, or a ``timestamp``/``@timestamp`` column as in
building extracts: an upper bound of the data's age); the fetch time when
Overpass sent none; the file's modification time as the last resort. ``attrs["date_source"]`` names
which (:data:`DATE_SOURCE_LABELS`).

All data © OpenStreetMap-Mitwirkende, licensed under the ODbL
(:data:`ATTRIBUTION`): show it with every map or table made from it.
"""

from __future__ import annotations

import bz2
import gzip
import hashlib
import json
import os
import shutil
import tempfile
import threading
import xml.sax
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlparse
from xml.etree import ElementTree as ET

import geopandas as gpd
import networkx as nx
import numpy as np
import osmnx as ox
import pandas as pd
import requests
import shapely
from shapely.geometry import MultiPolygon, Polygon

from geo import settings
from geo.errors import InputError, QuartiersmonitorError
from geo.places.areas import normalize_name

__all__ = [
    "AMENITY_CLASSES",
    "ATTRIBUTION",
    "BUILDING_COLUMNS",
    "BUSINESS_COLUMNS",
    "BUSINESS_TAGS",
    "CACHE_DIR",
    "DATE_SOURCE_LABELS",
    "KEY_TAGS",
    "OFFICE_CLASSES",
    "OSMUnavailable",
    "SHOP_CLASSES",
    "STREET_COLUMNS",
    "area_polygon",
    "cached_buildings",
    "cached_businesses",
    "cached_streets",
    "classify_tags",
    "fetch_buildings",
    "fetch_businesses",
    "fetch_streets",
    "fetch_walk_network",
    "geocode_area",
    "load_buildings",
    "load_businesses",
    "load_businesses_upload",
    "load_streets",
    "load_walk_network",
    "source_note",
    "streets_from_graph",
]

#: Attribution to show with every map, table and export made from OpenStreetMap data.
ATTRIBUTION: str = "© OpenStreetMap-Mitwirkende, ODbL"

#: Folder of both caches (osmnx's HTTP cache and the saved normalised results);
#: ``None``: :func:`geo.settings.osm_cache_folder`, resolved when used.
CACHE_DIR: Path | None = None


def _cache_dir() -> Path:
    return Path(CACHE_DIR) if CACHE_DIR is not None else settings.osm_cache_folder()

#: Seconds to wait for the Overpass status page before OpenStreetMap counts as unreachable.
PROBE_TIMEOUT_S: float = 10.0

# -- classification ------------------------------------------------------------------

#: ``amenity=*`` values fetched as businesses (the commercial subset), with their use class.
#: Public and social facilities (school, community_centre, place_of_worship, ...) are not fetched.
AMENITY_CLASSES: dict[str, str] = {
    # Gastronomie
    "restaurant": "food", "cafe": "food", "fast_food": "food", "bar": "food", "pub": "food",
    "ice_cream": "food", "biergarten": "food", "food_court": "food", "nightclub": "food",
    # Gesundheit
    "pharmacy": "health", "doctors": "health", "dentist": "health", "veterinary": "health",
    "clinic": "health",
    # Dienstleistung
    "bank": "services", "bureau_de_change": "services", "money_transfer": "services",
    "payment_centre": "services", "post_office": "services", "car_rental": "services",
    "car_wash": "services", "bicycle_rental": "services", "driving_school": "services",
    "internet_cafe": "services", "vehicle_inspection": "services",
    # Einzelhandel
    "fuel": "retail", "marketplace": "retail",
    # Büro
    "coworking_space": "office",
    # Kultur/Soziales
    "cinema": "culture_social", "theatre": "culture_social", "arts_centre": "culture_social",
    "studio": "culture_social",
    # Sonstiges
    "casino": "other", "gambling": "other",
}  # fmt: skip

#: ``shop=*`` values that are not retail; every other shop value is ``retail``.
#: Bakeries, pastry and ice-cream shops count as Gastronomie, as in the register
#: (see the demo data), opticians and hearing-aid shops as Gesundheit.
SHOP_CLASSES: dict[str, str] = {
    "bakery": "food", "pastry": "food", "confectionery": "food", "ice_cream": "food",
    "hairdresser": "services", "beauty": "services", "massage": "services", "tattoo": "services",
    "piercing": "services", "laundry": "services", "dry_cleaning": "services", "tailor": "services",
    "travel_agency": "services", "copyshop": "services", "funeral_directors": "services",
    "pawnbroker": "services", "money_lender": "services", "rental": "services", "repair": "services",
    "locksmith": "services", "pet_grooming": "services", "photo_studio": "services",
    "ticket": "services",
    "car_repair": "craft", "shoe_repair": "craft", "frame": "craft", "glaziery": "craft",
    "optician": "health", "hearing_aids": "health", "medical_supply": "health",
    "art": "culture_social", "charity": "culture_social",
    "estate_agent": "office", "insurance": "office",
    "bookmaker": "other", "lottery": "other", "storage_rental": "other", "vacant": "other",
}  # fmt: skip

#: ``office=*`` values that are not ``office``; every other office value is ``office``.
OFFICE_CLASSES: dict[str, str] = {
    "association": "culture_social", "ngo": "culture_social", "charity": "culture_social",
    "foundation": "culture_social", "religion": "culture_social",
    "political_party": "culture_social", "educational_institution": "culture_social",
    "government": "other", "administrative": "other", "diplomatic": "other",
}  # fmt: skip

#: The Overpass query of :func:`fetch_businesses` (an osmnx ``tags`` dict: the union of all).
BUSINESS_TAGS: dict[str, bool | str | list[str]] = {
    "shop": True,
    "office": True,
    "craft": True,
    "healthcare": True,
    "amenity": sorted(AMENITY_CLASSES),
    "disused:shop": True,
    "vacant": "yes",
}

#: Tags kept in ``osm_tags`` (JSON text), in this order.
KEY_TAGS: tuple[str, ...] = ("shop", "amenity", "healthcare", "craft", "office", "disused:shop", "vacant")

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

#: German labels of ``attrs["date_source"]``.
DATE_SOURCE_LABELS: dict[str, str] = {
    "overpass": "Datenstand laut Overpass",
    "file": "Datenstand laut Datei",
    "fetch_time": "Abrufzeitpunkt",
    "file_time": "Änderungszeit der Datei",
}

_ACTIVE_KEYS = ("healthcare", "amenity", "shop", "craft", "office")
_XML_SUFFIXES = (".osm", ".xml", ".osm.gz", ".osm.bz2", ".xml.gz", ".xml.bz2")
_VECTOR_SUFFIXES = (".geojson", ".json", ".gpkg")
_LOCK = threading.RLock()


class OSMUnavailable(QuartiersmonitorError):
    """OpenStreetMap cannot be reached and no saved result of the area exists.

    Parameters
    ----------
    reason
        What went wrong, in German (shown in parentheses).
    """

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(
            f"OpenStreetMap ist nicht erreichbar ({reason}) und es liegt noch kein Zwischenstand "
            "vor; die App arbeitet mit dem Register weiter."
        )


class _Unreachable(Exception):
    """Internal: the online request failed for ``reason``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _value(tags: Mapping[str, Any], key: str) -> str | None:
    value = tags.get(key)
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    text = str(value).strip()
    return text or None


def classify_tags(tags: Mapping[str, Any]) -> tuple[str, str, bool]:
    """Use class, deciding tag and vacancy of one OSM feature.

    The first rule that applies decides:

    ====  ==================================  ===================================================
    rule  tag                                 use class
    ====  ==================================  ===================================================
    1     ``healthcare=*``                    ``health``
    2     ``amenity=*`` in AMENITY_CLASSES    as listed there (restaurant -> food, bank ->
                                              services, pharmacy -> health, fuel -> retail, ...)
    3     ``shop=*``                          SHOP_CLASSES (bakery -> food, hairdresser ->
                                              services, car_repair -> craft, optician -> health,
                                              bookmaker -> other, vacant -> other, ...), else
                                              ``retail``
    4     ``craft=*``                         ``craft``
    5     ``office=*``                        OFFICE_CLASSES (association -> culture_social,
                                              government -> other, ...), else ``office``
    6     ``disused:shop=*`` (nothing above)  the former shop's class, by rule 3
    7     anything else                       ``other``
    ====  ==================================  ===================================================

    A feature is *disused* when it has ``shop=vacant``, ``vacant=yes``, or a
    ``disused:shop`` tag and none of the active keys of rules 1-5.

    Parameters
    ----------
    tags
        The feature's tags (missing values may be None or NaN).

    Returns
    -------
    tuple[str, str, bool]
        ``(use_class, "key=value", disused)``.
    """
    values = {key: _value(tags, key) for key in (*_ACTIVE_KEYS, "disused:shop", "vacant")}
    active = any(values[k] for k in _ACTIVE_KEYS)
    disused = (
        values["shop"] == "vacant"
        or values["vacant"] == "yes"
        or (values["disused:shop"] is not None and not active)
    )
    if (v := values["healthcare"]) and v != "no":
        return "health", f"healthcare={v}", disused
    if (v := values["amenity"]) and v in AMENITY_CLASSES:
        return AMENITY_CLASSES[v], f"amenity={v}", disused
    if v := values["shop"]:
        return SHOP_CLASSES.get(v, "retail"), f"shop={v}", disused
    if v := values["craft"]:
        return "craft", f"craft={v}", disused
    if v := values["office"]:
        return OFFICE_CLASSES.get(v, "office"), f"office={v}", disused
    if v := values["disused:shop"]:
        return SHOP_CLASSES.get(v, "retail"), f"disused:shop={v}", disused
    for key in _ACTIVE_KEYS:
        if v := values[key]:
            return "other", f"{key}={v}", disused
    return "other", "vacant=yes" if values["vacant"] == "yes" else "", disused


def _matches(frame: pd.DataFrame, tags: Mapping[str, bool | str | list[str]]) -> np.ndarray:
    """Rows having any of ``tags`` (osmnx's rule: True = any value, str/list = these values)."""
    keep = np.zeros(len(frame), dtype=bool)
    for key, wanted in tags.items():
        if key not in frame.columns:
            continue
        col = frame[key].astype("str")
        if wanted is True:
            hit = col.notna() & (col.str.strip() != "")
        elif isinstance(wanted, str):
            hit = col == wanted
        else:
            hit = col.isin(list(wanted))
        keep |= hit.fillna(False).to_numpy(dtype=bool)
    return keep


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


# -- areas ----------------------------------------------------------------------------------


def _polygon(area: Any) -> Polygon | MultiPolygon:
    if isinstance(area, gpd.GeoDataFrame | gpd.GeoSeries):
        series = area.geometry if isinstance(area, gpd.GeoDataFrame) else area
        if series.crs is not None:
            series = series.to_crs(settings.storage_crs)
        area = shapely.union_all(series.dropna().to_numpy())
    if not isinstance(area, Polygon | MultiPolygon) or area.is_empty:
        raise InputError("Für die Abfrage wird eine Fläche (Polygon) in WGS 84 (EPSG:4326) benötigt.")
    if not area.is_valid:
        area = shapely.make_valid(area)
    return area


def area_polygon(
    boundaries: gpd.GeoDataFrame, *, quarter: str | None = None, ortsteil: str | None = None
) -> tuple[str, Polygon | MultiPolygon]:
    """Name and outline of an Ortsteil, a quarter, or all boundaries together.

    Parameters
    ----------
    boundaries
        Boundary table (``name``, ``quarter``), e.g. ``Register.boundaries``.
    quarter
        Quarter name (used when no ``ortsteil`` is given).
    ortsteil
        Ortsteil name (spelling variants tolerated).

    Returns
    -------
    tuple[str, shapely.Polygon | shapely.MultiPolygon]
        The area's name (``"Alle Quartiere"`` without a choice) and outline (EPSG:4326).

    Raises
    ------
    InputError
        If no boundary has that name.
    """
    if boundaries is None or not len(boundaries):
        raise InputError("Es sind keine Ortsteilgrenzen gespeichert; bitte zuerst Grenzen laden.")
    if ortsteil:
        keys = boundaries["name"].astype("str").map(normalize_name)
        mask, name = (keys == normalize_name(ortsteil)).to_numpy(), ortsteil
    elif quarter:
        keys = boundaries["quarter"].astype("str").fillna("").map(normalize_name)
        mask, name = (keys == normalize_name(quarter)).to_numpy(), quarter
    else:
        mask, name = np.ones(len(boundaries), dtype=bool), "Alle Quartiere"
    if not mask.any():
        raise InputError(f"„{name}“ ist unter den gespeicherten Grenzen nicht zu finden.")
    return name, _polygon(boundaries.loc[mask])


def geocode_area(query: str) -> Polygon | MultiPolygon:
    """The outline of a place from OpenStreetMap's geocoder (Nominatim, online, cached by osmnx).

    Raises
    ------
    OSMUnavailable
        If Nominatim cannot be reached.
    InputError
        If Nominatim knows no area of that name.
    """
    with _osmnx_cache(_cache_dir() / "osmnx" / "nominatim"):
        try:
            found = ox.geocode_to_gdf(query)
        except requests.RequestException as exc:
            raise OSMUnavailable(f"keine Verbindung zu {_host(ox.settings.nominatim_url)}") from exc
        except (ox._errors.InsufficientResponseError, TypeError) as exc:
            raise InputError(f"OpenStreetMap kennt keine Fläche „{query}“ ({exc}).") from exc
        except ox._errors.ResponseStatusCodeError as exc:
            raise OSMUnavailable(f"Nominatim antwortet mit einem Fehler: {exc}") from exc
    return _polygon(found)


# -- online fetching and the caches ------------------------------------------------------------


def _host(url: str) -> str:
    return urlparse(url).netloc or url


def _now() -> pd.Timestamp:
    return pd.Timestamp(datetime.now(UTC).replace(tzinfo=None)).floor("s")


def _area_key(area_name: str | None, polygon: Polygon | MultiPolygon) -> str:
    if area_name:
        key = normalize_name(area_name)
        return "".join(ch if ch.isalnum() or ch == "-" else "-" for ch in key).strip("-") or "gebiet"
    wkt = shapely.to_wkt(polygon, rounding_precision=6)
    return "polygon-" + hashlib.sha1(wkt.encode(), usedforsecurity=False).hexdigest()[:12]


def _query_key(kind: str, polygon: Polygon | MultiPolygon, query: Any) -> str:
    text = json.dumps(
        [kind, shapely.to_wkt(polygon, rounding_precision=6), query, ox.settings.overpass_url,
         ox.settings.overpass_settings],
        sort_keys=True, default=str,
    )  # fmt: skip
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:20]


@contextmanager
def _osmnx_cache(folder: Path) -> Iterator[None]:
    """osmnx's HTTP cache in ``folder`` while the block runs (osmnx settings are global: locked)."""
    with _LOCK:
        saved = (ox.settings.use_cache, ox.settings.cache_folder)
        ox.settings.use_cache, ox.settings.cache_folder = True, str(folder)
        try:
            yield
        finally:
            ox.settings.use_cache, ox.settings.cache_folder = saved


def _probe() -> None:
    """Raise :class:`_Unreachable` unless the Overpass server answers at all (honours proxies)."""
    url = ox.settings.overpass_url.rstrip("/") + "/status"
    try:
        requests.get(url, timeout=PROBE_TIMEOUT_S, **ox.settings.requests_kwargs).close()
    except requests.RequestException as exc:
        raise _Unreachable(f"keine Verbindung zu {_host(ox.settings.overpass_url)}") from exc


def _overpass_date(folder: Path) -> pd.Timestamp | None:
    """The oldest ``osm3s.timestamp_osm_base`` of the responses osmnx stored in ``folder``."""
    stamps = []
    for path in folder.glob("*.json"):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        base = data.get("osm3s", {}).get("timestamp_osm_base") if isinstance(data, dict) else None
        if base:
            stamps.append(pd.Timestamp(base).tz_convert(None).floor("s"))
    return min(stamps) if stamps else None


def _download(call: Callable[[], Any], folder: Path, *, probe: bool) -> Any:
    """Run an osmnx download with its cache in ``folder``; errors become :class:`_Unreachable`."""
    with _osmnx_cache(folder):
        if probe:
            _probe()
        try:
            return call()
        except requests.RequestException as exc:
            raise _Unreachable(f"keine Verbindung zu {_host(ox.settings.overpass_url)}") from exc
        except ox._errors.ResponseStatusCodeError as exc:
            raise _Unreachable(f"Overpass antwortet mit einem Fehler: {str(exc)[:120]}") from exc
        except ox._errors.InsufficientResponseError as exc:
            if "No matching features" in str(exc) or "No data elements" in str(exc):
                return None
            raise _Unreachable(f"unvollständige Antwort von Overpass: {str(exc)[:120]}") from exc
        except KeyError as exc:
            raise _Unreachable(f"unerwartete Antwort von Overpass (Feld {exc} fehlt)") from exc


def _paths(cache_dir: Path, kind: str, key: str) -> tuple[Path, Path]:
    suffix = ".graphml" if kind == "walk" else ".gpkg"
    return cache_dir / f"{kind}-{key}{suffix}", cache_dir / f"{kind}-{key}.json"


def _save(result: Any, kind: str, key: str, meta: dict[str, Any], cache_dir: Path) -> None:
    """Save ``result`` and its sidecar atomically (temp file, then rename)."""
    data_path, meta_path = _paths(cache_dir, kind, key)
    cache_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".qm-osm-", suffix=data_path.suffix, dir=cache_dir)
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()
    try:
        if kind == "walk":
            ox.save_graphml(result, tmp)
        else:
            # an empty layer needs its geometry type spelled out
            empty_type = {"businesses": "Point", "buildings": "MultiPolygon"}.get(kind, "LineString")
            result.to_file(tmp, layer=kind, driver="GPKG", geometry_type=None if len(result) else empty_type)
        os.replace(tmp, data_path)
    finally:
        tmp.unlink(missing_ok=True)
    tmp_meta = meta_path.with_suffix(".json.tmp")
    tmp_meta.write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp_meta, meta_path)


def _read_cache(kind: str, key: str, cache_dir: Path) -> tuple[Any, dict[str, Any]] | None:
    data_path, meta_path = _paths(cache_dir, kind, key)
    if not (data_path.is_file() and meta_path.is_file()):
        return None
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if kind == "walk":
            result: Any = ox.load_graphml(data_path)
            result.graph["data_date"] = meta.get("data_date")
        else:
            frame = gpd.read_file(data_path, layer=kind)
            columns = {"businesses": BUSINESS_COLUMNS, "buildings": BUILDING_COLUMNS}.get(
                kind, STREET_COLUMNS
            )
            result = _conform(frame, columns, frame.geometry.to_numpy())
    except (OSError, ValueError, ET.ParseError) as exc:
        raise QuartiersmonitorError(
            f"Der gespeicherte OSM-Zwischenstand {data_path.name} ist beschädigt ({exc}); "
            "bitte die Datei löschen und neu abrufen."
        ) from exc
    return result, meta


def _attach(result: Any, meta: Mapping[str, Any], *, from_cache: bool, notice: str | None = None) -> Any:
    info = {**meta, "from_cache": from_cache, "notice": notice}
    if isinstance(result, nx.MultiDiGraph):
        result.graph.update({k: v for k, v in info.items() if v is not None})
    else:
        result.attrs.update(info)
    return result


def _fetch(
    kind: str,
    polygon: Any,
    *,
    area_name: str | None,
    cache: bool,
    refresh: bool,
    cache_dir: Path | None,
    query: Any,
    call: Callable[[Polygon | MultiPolygon], Any],
    normalise: Callable[[Any, pd.Timestamp | None], Any],
) -> Any:
    poly = _polygon(polygon)
    cache_dir = Path(cache_dir) if cache_dir is not None else _cache_dir()
    key = _area_key(area_name, poly)
    with tempfile.TemporaryDirectory(prefix="qm-osm-") as scratch:
        folder = cache_dir / "osmnx" / _query_key(kind, poly, query) if cache else Path(scratch)
        previous = folder.with_name(folder.name + ".previous")
        if refresh and cache and folder.is_dir():
            # kept until the new answer is in: a failed refresh leaves osmnx's cache as it was
            shutil.rmtree(previous, ignore_errors=True)
            folder.rename(previous)
        cached_query = cache and folder.is_dir() and any(folder.glob("*.json"))
        try:
            raw = _download(lambda: call(poly), folder, probe=not cached_query)
        except _Unreachable as exc:
            if previous.is_dir():
                shutil.rmtree(folder, ignore_errors=True)
                previous.rename(folder)
            saved = _read_cache(kind, key, cache_dir) if cache else None
            if saved is None:
                raise OSMUnavailable(exc.reason) from exc
            result, meta = saved
            when = pd.Timestamp(meta["data_date"]).strftime("%d.%m.%Y")
            notice = f"OpenStreetMap ist nicht erreichbar ({exc.reason}); angezeigt wird der Zwischenstand vom {when}."
            return _attach(result, meta, from_cache=True, notice=notice)
        shutil.rmtree(previous, ignore_errors=True)
        fetched_at = _now()
        data_date = _overpass_date(folder)
    source = "overpass" if data_date is not None else "fetch_time"
    data_date = data_date if data_date is not None else fetched_at
    result = normalise(raw, data_date)
    meta = {
        "kind": kind,
        "area": area_name or key,
        "data_date": data_date.isoformat(),
        "date_source": source,
        "fetched_at": fetched_at.isoformat(),
        "count": result.number_of_edges() if kind == "walk" else len(result),
        "source": ox.settings.overpass_url,
        "attribution": ATTRIBUTION,
    }
    if cache:
        _save(result, kind, key, meta, cache_dir)
    return _attach(result, meta, from_cache=False)


def _features(tags: dict[str, Any]) -> Callable[[Polygon | MultiPolygon], Any]:
    return lambda poly: ox.features_from_polygon(poly, tags)


def _normalise_features(
    normalise: Callable[[gpd.GeoDataFrame, pd.Timestamp | None], gpd.GeoDataFrame],
) -> Callable:
    def run(raw: gpd.GeoDataFrame | None, data_date: pd.Timestamp | None) -> gpd.GeoDataFrame:
        if raw is None or not len(raw):
            return normalise(
                gpd.GeoDataFrame({"osm_type": [], "osm_id": []}, geometry=[], crs=settings.storage_crs),
                data_date,
            )
        return normalise(_tag_frame(raw), data_date)

    return run


def fetch_businesses(
    polygon: Any,
    *,
    area_name: str | None = None,
    cache: bool = True,
    refresh: bool = False,
    cache_dir: str | os.PathLike[str] | None = None,
) -> gpd.GeoDataFrame:
    """Businesses and vacant shops in an area from OpenStreetMap (online, cached).

    Parameters
    ----------
    polygon
        The area: a shapely (Multi)Polygon in EPSG:4326, or a GeoDataFrame/GeoSeries
        (its union is used).
    area_name
        Name of the area, the key of the saved result (default: a hash of the outline).
    cache
        Use osmnx's cache, save the result, and fall back to the saved result
        when OpenStreetMap is unreachable. False: always ask Overpass, save nothing.
    refresh
        Ask Overpass again even if osmnx has the query cached.
    cache_dir
        Cache folder (default :data:`CACHE_DIR`).

    Returns
    -------
    geopandas.GeoDataFrame
        :data:`BUSINESS_COLUMNS` and point geometry; ``attrs`` hold ``data_date``,
        ``date_source``, ``fetched_at``, ``from_cache`` and ``notice``.

    Raises
    ------
    OSMUnavailable
        OpenStreetMap is unreachable and nothing is saved for the area.
    """
    return _fetch(
        "businesses", polygon, area_name=area_name, cache=cache, refresh=refresh, cache_dir=cache_dir,
        query=BUSINESS_TAGS, call=_features(BUSINESS_TAGS), normalise=_normalise_features(_normalise_businesses),
    )  # fmt: skip


def fetch_buildings(
    polygon: Any,
    *,
    area_name: str | None = None,
    cache: bool = True,
    refresh: bool = False,
    cache_dir: str | os.PathLike[str] | None = None,
) -> gpd.GeoDataFrame:
    """Building footprints in an area (:data:`BUILDING_COLUMNS`); options as :func:`fetch_businesses`."""
    tags = {"building": True}
    return _fetch(
        "buildings", polygon, area_name=area_name, cache=cache, refresh=refresh, cache_dir=cache_dir,
        query=tags, call=_features(tags), normalise=_normalise_features(_normalise_buildings),
    )  # fmt: skip


def _project_graph(graph: nx.MultiDiGraph | None, data_date: pd.Timestamp | None) -> nx.MultiDiGraph:
    if graph is None:
        graph = nx.MultiDiGraph(crs=settings.storage_crs)
    elif len(graph):
        graph = ox.project_graph(graph, to_crs=settings.metric_crs)
    graph.graph["data_date"] = None if data_date is None else data_date.isoformat()
    return graph


def _walk_graph(poly: Polygon | MultiPolygon) -> nx.MultiDiGraph | None:
    try:
        return ox.graph_from_polygon(poly, network_type="walk")
    except ox._errors.InsufficientResponseError:
        raise
    except ValueError as exc:  # osmnx: no street in the area after truncation
        if "Found no graph nodes" in str(exc):
            return None
        raise


def fetch_walk_network(
    polygon: Any,
    *,
    area_name: str | None = None,
    cache: bool = True,
    refresh: bool = False,
    cache_dir: str | os.PathLike[str] | None = None,
) -> nx.MultiDiGraph:
    """The walking network of an area (osmnx ``network_type="walk"``), projected to EPSG:25833.

    Ready for :func:`geo.walks.network.plan_walk`; the graph attribute ``data_date``
    holds the data date. Options as :func:`fetch_businesses`; saved as GraphML.
    """
    return _fetch(
        "walk", polygon, area_name=area_name, cache=cache, refresh=refresh, cache_dir=cache_dir,
        query="walk", call=_walk_graph,
        normalise=_project_graph,
    )  # fmt: skip


def fetch_streets(
    polygon: Any,
    *,
    area_name: str | None = None,
    cache: bool = True,
    refresh: bool = False,
    cache_dir: str | os.PathLike[str] | None = None,
) -> gpd.GeoDataFrame:
    """The street segments of the walking network (:func:`streets_from_graph` of :func:`fetch_walk_network`)."""
    graph = fetch_walk_network(
        polygon, area_name=area_name, cache=cache, refresh=refresh, cache_dir=cache_dir
    )
    streets = streets_from_graph(graph)
    streets.attrs.update(
        {
            k: graph.graph.get(k)
            for k in ("data_date", "date_source", "fetched_at", "from_cache", "notice", "area")
        }
    )
    return streets


def _cached(
    kind: str, area: Any, cache_dir: str | os.PathLike[str] | None
) -> tuple[Any, pd.Timestamp] | None:
    folder = Path(cache_dir) if cache_dir is not None else _cache_dir()
    key = _area_key(area, None) if isinstance(area, str) else _area_key(None, _polygon(area))
    saved = _read_cache(kind, key, folder)
    if saved is None:
        return None
    result, meta = saved
    return _attach(result, meta, from_cache=True), pd.Timestamp(meta["data_date"])


def cached_businesses(
    area: Any, *, cache_dir: str | os.PathLike[str] | None = None
) -> tuple[gpd.GeoDataFrame, pd.Timestamp] | None:
    """The last saved business table of an area and its data date, without going online.

    Parameters
    ----------
    area
        The ``area_name`` given to :func:`fetch_businesses`, or the outline when none was given.
    cache_dir
        Cache folder (default :data:`CACHE_DIR`).

    Returns
    -------
    tuple[geopandas.GeoDataFrame, pandas.Timestamp] | None
        Table and data date, or None when nothing is saved.
    """
    return _cached("businesses", area, cache_dir)


def cached_buildings(
    area: Any, *, cache_dir: str | os.PathLike[str] | None = None
) -> tuple[gpd.GeoDataFrame, pd.Timestamp] | None:
    """The last saved building table of an area and its data date (see :func:`cached_businesses`)."""
    return _cached("buildings", area, cache_dir)


def cached_streets(
    area: Any, *, cache_dir: str | os.PathLike[str] | None = None
) -> tuple[gpd.GeoDataFrame, pd.Timestamp] | None:
    """The streets of the last saved walking network of an area and its data date."""
    saved = _cached("walk", area, cache_dir)
    if saved is None:
        return None
    graph, day = saved
    return streets_from_graph(graph, data_date=day), day


def source_note(frame: pd.DataFrame) -> str:
    """German one-line note on where a table comes from: data date, source, attribution."""
    info = frame.attrs
    parts = []
    if info.get("data_date"):
        stamp = pd.Timestamp(info["data_date"])
        label = DATE_SOURCE_LABELS.get(str(info.get("date_source")), "Datenstand")
        parts.append(f"{label}: {stamp:%d.%m.%Y %H:%M} UTC")
    if info.get("from_cache"):
        parts.append("gespeicherter Zwischenstand")
    if info.get("file"):
        parts.append(f"Datei {info['file']}")
    parts.append(ATTRIBUTION)
    return " · ".join(parts)


# -- local files ---------------------------------------------------------------------------------


def _open_text(path: Path) -> IO[bytes]:
    name = path.name.lower()
    if name.endswith(".gz"):
        return gzip.open(path, "rb")
    if name.endswith(".bz2"):
        return bz2.open(path, "rb")
    return path.open("rb")


def _xml_date(path: Path) -> pd.Timestamp | None:
    """``<meta osm_base>`` of an Overpass XML file, else its newest element ``timestamp``."""
    newest = None
    with _open_text(path) as fh:
        for _, elem in ET.iterparse(fh, events=("start",)):
            if elem.tag == "meta" and elem.get("osm_base"):
                return pd.Timestamp(elem.get("osm_base")).tz_convert(None).floor("s")
            stamp = elem.get("timestamp") if elem.tag in ("node", "way", "relation") else None
            if stamp and (newest is None or stamp > newest):
                newest = stamp
    return pd.Timestamp(newest).tz_convert(None).floor("s") if newest else None


def _file_time(path: Path) -> pd.Timestamp:
    return pd.Timestamp(path.stat().st_mtime, unit="s").floor("s")


def _check_file(path: str | os.PathLike[str], what: str) -> Path:
    path = Path(path).expanduser()
    if not path.is_file():
        raise InputError(f"{what}-Datei nicht gefunden: {path}")
    if not path.name.lower().endswith(_XML_SUFFIXES + _VECTOR_SUFFIXES):
        raise InputError(
            f"{path.name}: unbekanntes Dateiformat. Erwartet wird OSM-XML (.osm, .osm.gz, .osm.bz2), "
            "GeoJSON (.geojson) oder GeoPackage (.gpkg)."
        )
    return path


def _read_xml_features(
    path: Path, tags: dict[str, Any], polygon: Any
) -> tuple[gpd.GeoDataFrame | None, pd.Timestamp | None]:
    poly = None if polygon is None else _polygon(polygon)
    try:
        raw = ox.features_from_xml(path, tags=tags, polygon=poly)
    except (xml.sax.SAXParseException, ET.ParseError, UnicodeDecodeError, EOFError) as exc:
        raise InputError(f"{path.name} ist keine lesbare OSM-XML-Datei: {exc}") from exc
    except ox._errors.InsufficientResponseError:
        raw = None
    except OSError as exc:
        raise InputError(f"{path.name} kann nicht gelesen werden: {exc}") from exc
    return (None if raw is None else _tag_frame(raw)), _xml_date(path)


def _split_ids(frame: gpd.GeoDataFrame) -> tuple[pd.Series, pd.Series] | None:
    """``osm_type`` and ``osm_id`` of raw features.

    From ``@id``/``id``/``osm_id`` like ``node/123`` (overpass-turbo), or a bare
    number with the type in ``osm_type``/``element``/``@type``; without any
    type, points are nodes and everything else ways (as in building extracts).
    """
    for col in ("@id", "id", "osm_id"):
        if col not in frame.columns:
            continue
        text = frame[col].astype("str")
        parts = text.str.extract(r"^(?:(node|way|relation|n|w|r)/?)?(\d+)(?:\.0+)?$")
        if parts[1].isna().any():
            continue
        types = parts[0].replace({"n": "node", "w": "way", "r": "relation"})
        for type_col in ("osm_type", "element", "@type"):
            if type_col in frame.columns:
                types = types.fillna(frame[type_col].astype("str").str.lower())
        by_geometry = pd.Series(np.where(frame.geom_type == "Point", "node", "way"), index=frame.index)
        return types.fillna(by_geometry), parts[1].astype("int64")
    return None


def _newest_timestamp(frame: pd.DataFrame) -> pd.Timestamp | None:
    """The newest element ``timestamp``/``@timestamp`` (ms since 1970 or ISO text), if any."""
    for col in ("@timestamp", "timestamp"):
        if col not in frame.columns or frame[col].isna().all():
            continue
        values = frame[col].dropna()
        numeric = pd.to_numeric(values, errors="coerce")
        if numeric.notna().all():
            stamps = pd.to_datetime(numeric, unit="ms" if numeric.max() > 1e11 else "s", utc=True)
        else:
            stamps = pd.to_datetime(values.astype("str"), utc=True, errors="coerce", format="ISO8601")
        if stamps.notna().any():
            return stamps.max().tz_convert(None).floor("s")
    return None


def _read_vector(path: Path, layer: str | None, what: str) -> tuple[gpd.GeoDataFrame, pd.Timestamp | None]:
    from pyogrio.errors import DataLayerError, DataSourceError

    try:
        frame = gpd.read_file(path, layer=layer)
    except (DataSourceError, DataLayerError, OSError, ValueError) as exc:
        raise InputError(f"{what}-Datei {path.name} kann nicht gelesen werden: {exc}") from exc
    if frame.crs is None:
        frame = frame.set_crs(settings.storage_crs)
    frame = frame.to_crs(settings.storage_crs)
    stamp = None
    if path.suffix.lower() in (".geojson", ".json"):
        try:
            top = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            top = {}
        if isinstance(top, dict) and top.get("timestamp"):
            stamp = pd.Timestamp(top["timestamp"]).tz_convert(None).floor("s")
    return frame, stamp


def _load(
    path: str | os.PathLike[str],
    *,
    what: str,
    tags: dict[str, Any],
    columns: Mapping[str, str],
    normalise: Callable[[gpd.GeoDataFrame, pd.Timestamp | None], gpd.GeoDataFrame],
    polygon: Any,
    layer: str | None,
) -> gpd.GeoDataFrame:
    path = _check_file(path, what)
    if path.name.lower().endswith(_XML_SUFFIXES):
        raw, stamp = _read_xml_features(path, tags, polygon)
        source = "file" if stamp is not None else "file_time"
        stamp = stamp if stamp is not None else _file_time(path)
        result = _normalise_features(normalise)(raw, stamp) if raw is None else normalise(raw, stamp)
    else:
        frame, stamp = _read_vector(path, layer, what)
        already = set(columns) - {"data_date"} <= set(frame.columns)
        if stamp is None and "data_date" in frame.columns and frame["data_date"].notna().any():
            stamp = pd.to_datetime(frame["data_date"].dropna().iloc[0], utc=True).tz_convert(None).floor("s")
        if stamp is None:
            stamp = _newest_timestamp(frame)
        source = "file" if stamp is not None else "file_time"
        stamp = stamp if stamp is not None else _file_time(path)
        if already:
            result = _conform(frame.assign(data_date=stamp), columns, frame.geometry.to_numpy())
        else:
            ids = _split_ids(frame)
            if ids is None:
                raise InputError(
                    f"{path.name}: keine OSM-Kennung gefunden. Erwartet wird eine Spalte „@id“ oder „id“ "
                    "(z. B. node/123, wie im Export von overpass-turbo) oder „osm_type“ und „osm_id“."
                )
            frame = frame.drop(columns=[c for c in ("osm_type", "osm_id") if c in frame.columns])
            frame = frame.assign(osm_type=ids[0].to_numpy(), osm_id=ids[1].to_numpy())
            result = normalise(frame, stamp)
        if polygon is not None and len(result):
            result = result.loc[result.intersects(_polygon(polygon))].reset_index(drop=True)
    result.attrs.update(
        {"data_date": stamp.isoformat(), "date_source": source, "file": path.name, "from_cache": False,
         "fetched_at": None, "notice": None}
    )  # fmt: skip
    return result


def load_businesses(
    path: str | os.PathLike[str], *, polygon: Any = None, layer: str | None = None
) -> gpd.GeoDataFrame:
    """Businesses from a local file, normalised exactly as :func:`fetch_businesses`.

    Parameters
    ----------
    path
        OSM XML (``.osm``, ``.xml``, optionally ``.gz``/``.bz2``); GeoJSON or
        GeoPackage with raw OSM tags as columns and an id (``@id``/``id`` like
        ``node/123`` as overpass-turbo exports, or ``osm_type`` + ``osm_id``);
        or a table this module wrote (:data:`BUSINESS_COLUMNS`).
    polygon
        Keep only features in this area (default: all).
    layer
        Layer of a GeoPackage (default: the first).

    Raises
    ------
    InputError
        Missing, unreadable or unsuitable file.
    """
    return _load(
        path, what="OSM", tags=BUSINESS_TAGS, columns=BUSINESS_COLUMNS,
        normalise=_normalise_businesses, polygon=polygon, layer=layer,
    )  # fmt: skip


def load_businesses_upload(data: bytes, name: str, *, polygon: Any = None) -> gpd.GeoDataFrame:
    """:func:`load_businesses` of an uploaded file's bytes (``name`` gives the format)."""
    with tempfile.TemporaryDirectory(prefix="qm-osm-upload-") as folder:
        target = Path(folder) / (Path(name).name or "upload.osm")
        target.write_bytes(data)
        return load_businesses(target, polygon=polygon)


def load_buildings(
    path: str | os.PathLike[str], *, polygon: Any = None, layer: str | None = None
) -> gpd.GeoDataFrame:
    """Building footprints from a local file, normalised as :func:`fetch_buildings` (see :func:`load_businesses`)."""
    return _load(
        path, what="Gebäude", tags={"building": True}, columns=BUILDING_COLUMNS,
        normalise=_normalise_buildings, polygon=polygon, layer=layer,
    )  # fmt: skip


def load_walk_network(path: str | os.PathLike[str]) -> nx.MultiDiGraph:
    """The walking network from OSM XML or GraphML (:func:`geo.walks.network.load_walk_graph`), EPSG:25833."""
    from geo.walks.network import load_walk_graph

    path = Path(path).expanduser()
    graph = load_walk_graph(path)
    if path.name.lower().endswith(_XML_SUFFIXES):
        stamp = _xml_date(path)
        graph.graph["data_date"] = (stamp if stamp is not None else _file_time(path)).isoformat()
    return graph


def load_streets(path: str | os.PathLike[str], *, layer: str | None = None) -> gpd.GeoDataFrame:
    """Street segments from OSM XML/GraphML (via the walking network) or a GeoJSON/GeoPackage line layer."""
    p = Path(path).expanduser()
    if p.name.lower().endswith(_XML_SUFFIXES + (".graphml",)):
        return streets_from_graph(load_walk_network(p))
    p = _check_file(p, "Straßen")
    frame, stamp = _read_vector(p, layer, "Straßen")
    frame = frame.loc[
        frame.geometry.notna() & frame.geom_type.isin(["LineString", "MultiLineString"]).to_numpy()
    ]
    if "osm_id" not in frame.columns:
        ids = _split_ids(frame)
        frame = frame.assign(osm_id=ids[1].to_numpy() if ids is not None else 0)
    if "length_m" not in frame.columns:
        frame = frame.assign(length_m=frame.to_crs(settings.metric_crs).geometry.length.round(2))
    stamp = stamp if stamp is not None else _file_time(p)
    return _conform(frame.assign(data_date=stamp), STREET_COLUMNS, frame.geometry.to_numpy())
