"""OpenStreetMap data of an area: businesses, buildings, streets and the walking network.

Every loader comes in two forms that give the same, normalised result:

* ``fetch_*`` -- online, from the Overpass API via :mod:`osmnx`
  (:func:`fetch_businesses`, :func:`fetch_buildings`, :func:`fetch_streets`,
  :func:`fetch_walk_network`);
* ``load_*`` -- from a local file (:mod:`geo.osm.files`): OSM XML (``.osm``/``.xml``, also
  ``.gz``/``.bz2``, read with osmnx's ``*_from_xml``), GeoJSON or a GeoPackage
  layer (:func:`geo.osm.files.load_businesses`, :func:`geo.osm.files.load_buildings`,
  :func:`geo.osm.files.load_streets`, :func:`geo.osm.files.load_walk_network`), for
  users without Overpass access and for tests.

Both give the tables of :mod:`geo.osm.features`, as an :class:`geo.osm.features.OsmTable`: the
table and where it comes from (data date and its source, saved result or file, a notice).

Businesses
----------
:data:`geo.osm.classify.BUSINESS_TAGS` is the query: every ``shop``, ``office``, ``craft`` and
``healthcare`` feature, the commercial ``amenity`` values of
:data:`geo.osm.classify.AMENITY_CLASSES`, and the vacancy tags ``disused:shop=*`` and
``vacant=yes`` (``shop=vacant`` comes with ``shop``). :func:`geo.osm.classify.classify_tags`
puts each feature into one of the register's use classes
(:data:`geo.register.model.USE_CLASS_LABELS`) by the table documented there. Features
are normalised to points (a footprint becomes a point inside it) in
EPSG:4326 with the columns of :data:`geo.osm.features.BUSINESS_COLUMNS`.

Caching and offline use
-----------------------
Two caches, both under :func:`geo.settings.osm_cache_folder` (``QM_OSM_CACHE``,
or ``osm`` in the user's cache folder, :data:`geo.settings.cache_dir`):

1. osmnx's own HTTP cache, one folder per query
   (``osmnx/<query key>/``), so a repeated query is answered without the
   network (:mod:`geo.osm._overpass`);
2. our own (:mod:`geo.osm._cache`): every normalised result is saved as ``<kind>-<area>.gpkg``
   (the walking network as ``walk-<area>.graphml``) with a JSON sidecar
   ``<kind>-<area>.json`` holding the data date, its source, the fetch time,
   the number of features and the attribution.

When OpenStreetMap cannot be reached, ``fetch_*`` returns the last saved
result of the area (its ``from_cache`` is true, its ``notice`` and
:func:`source_note` say so); without one it raises :class:`OSMUnavailable`,
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
Overpass sent none; the file's modification time as the last resort. ``OsmTable.date_source`` names
which (:data:`DATE_SOURCE_LABELS`).

All data © OpenStreetMap-Mitwirkende, licensed under the ODbL
(:data:`ATTRIBUTION`): show it with every map or table made from it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

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
from geo.osm._cache import _area_key, _attach, _cache_dir, _read_cache, _save, _stamp
from geo.osm._overpass import _download, _host, _now, _osmnx_cache, _overpass_date, _query_key, _Unreachable
from geo.osm.classify import BUSINESS_TAGS
from geo.osm.features import (
    OsmTable,
    _normalise_buildings,
    _normalise_businesses,
    _normalise_features,
    streets_from_graph,
)
from geo.text import place_key

__all__ = [
    "ATTRIBUTION",
    "DATE_SOURCE_LABELS",
    "OSMUnavailable",
    "area_polygon",
    "cached_buildings",
    "cached_businesses",
    "cached_streets",
    "fetch_buildings",
    "fetch_businesses",
    "fetch_streets",
    "fetch_walk_network",
    "geocode_area",
    "source_note",
]


#: Attribution to show with every map, table and export made from OpenStreetMap data.
ATTRIBUTION: str = "© OpenStreetMap-Mitwirkende, ODbL"


#: German labels of :attr:`geo.osm.features.OsmTable.date_source`.
DATE_SOURCE_LABELS: dict[str, str] = {
    "overpass": "Datenstand laut Overpass",
    "file": "Datenstand laut Datei",
    "fetch_time": "Abrufzeitpunkt",
    "file_time": "Änderungszeit der Datei",
}


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
        keys = boundaries["name"].astype("str").map(place_key)
        mask, name = (keys == place_key(ortsteil)).to_numpy(), ortsteil
    elif quarter:
        keys = boundaries["quarter"].astype("str").fillna("").map(place_key)
        mask, name = (keys == place_key(quarter)).to_numpy(), quarter
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


# -- online fetching ------------------------------------------------------------------------------


def _fetch(
    kind: str,
    polygon: Any,
    *,
    area_name: str | None,
    cache: bool,
    refresh: bool,
    cache_dir: str | os.PathLike[str] | None,
    query: Any,
    call: Callable[[Polygon | MultiPolygon], Any],
    normalise: Callable[[Any, pd.Timestamp | None], Any],
) -> OsmTable | nx.MultiDiGraph:
    poly = _polygon(polygon)
    cache_root = Path(cache_dir) if cache_dir is not None else _cache_dir()
    key = _area_key(area_name, poly)
    with tempfile.TemporaryDirectory(prefix="qm-osm-") as scratch:
        folder = cache_root / "osmnx" / _query_key(kind, poly, query) if cache else Path(scratch)
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
            saved = _read_cache(kind, key, cache_root) if cache else None
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
        _save(result, kind, key, meta, cache_root)
    return _attach(result, meta, from_cache=False)


def _features(tags: dict[str, Any]) -> Callable[[Polygon | MultiPolygon], Any]:
    return lambda poly: ox.features_from_polygon(poly, tags)


def fetch_businesses(
    polygon: Any,
    *,
    area_name: str | None = None,
    cache: bool = True,
    refresh: bool = False,
    cache_dir: str | os.PathLike[str] | None = None,
) -> OsmTable:
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
        Cache folder (default :func:`geo.settings.osm_cache_folder`).

    Returns
    -------
    geo.osm.features.OsmTable
        ``frame``: :data:`geo.osm.features.BUSINESS_COLUMNS` and point geometry; with the
        ``data_date``, its ``date_source``, ``fetched_at``, ``from_cache`` and a ``notice`` when
        the saved result stands in for an unreachable OpenStreetMap.

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
) -> OsmTable:
    """Building footprints in an area (:data:`geo.osm.features.BUILDING_COLUMNS`).

    Options as :func:`fetch_businesses`.

    Returns
    -------
    geo.osm.features.OsmTable
        The footprints (polygons, EPSG:4326) and where they come from, as :func:`fetch_businesses`.
    """
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

    Ready for :func:`geo.walks.tour.plan_walk`; the graph attribute ``data_date``
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
) -> OsmTable:
    """The street segments of the walking network (:func:`streets_from_graph` of :func:`fetch_walk_network`).

    Returns
    -------
    geo.osm.features.OsmTable
        :data:`geo.osm.features.STREET_COLUMNS` and lines, with the network's provenance.
    """
    graph = fetch_walk_network(
        polygon, area_name=area_name, cache=cache, refresh=refresh, cache_dir=cache_dir
    )
    return _street_table(graph)


def _street_table(graph: nx.MultiDiGraph) -> OsmTable:
    """The streets of a walking network with the provenance kept in its graph attributes."""
    info = graph.graph
    return OsmTable(
        streets_from_graph(graph),
        data_date=_stamp(info.get("data_date")),
        date_source=info.get("date_source"),
        from_cache=bool(info.get("from_cache")),
        notice=info.get("notice"),
        fetched_at=_stamp(info.get("fetched_at")),
    )


def _cached(kind: str, area: Any, cache_dir: str | os.PathLike[str] | None) -> OsmTable | nx.MultiDiGraph | None:
    folder = Path(cache_dir) if cache_dir is not None else _cache_dir()
    key = _area_key(area, None) if isinstance(area, str) else _area_key(None, _polygon(area))
    saved = _read_cache(kind, key, folder)
    if saved is None:
        return None
    result, meta = saved
    return _attach(result, meta, from_cache=True)


def cached_businesses(area: Any, *, cache_dir: str | os.PathLike[str] | None = None) -> OsmTable | None:
    """The last saved business table of an area, without going online.

    Parameters
    ----------
    area
        The ``area_name`` given to :func:`fetch_businesses`, or the outline when none was given.
    cache_dir
        Cache folder (default :func:`geo.settings.osm_cache_folder`).

    Returns
    -------
    geo.osm.features.OsmTable | None
        The table with its ``data_date`` (``from_cache`` true), or None when nothing is saved.
    """
    return _cached("businesses", area, cache_dir)


def cached_buildings(area: Any, *, cache_dir: str | os.PathLike[str] | None = None) -> OsmTable | None:
    """The last saved building table of an area (see :func:`cached_businesses`).

    Returns
    -------
    geo.osm.features.OsmTable | None
        As :func:`cached_businesses`.
    """
    return _cached("buildings", area, cache_dir)


def cached_streets(area: Any, *, cache_dir: str | os.PathLike[str] | None = None) -> OsmTable | None:
    """The streets of the last saved walking network of an area (see :func:`cached_businesses`).

    Returns
    -------
    geo.osm.features.OsmTable | None
        As :func:`cached_businesses`.
    """
    graph = _cached("walk", area, cache_dir)
    return None if graph is None else _street_table(graph)


def source_note(table: OsmTable) -> str:
    """German one-line note on where a table comes from: data date, source, attribution.

    Parameters
    ----------
    table
        A table of :func:`fetch_businesses`, :func:`cached_businesses`,
        :func:`geo.osm.files.load_businesses` and the like.
    """
    parts = []
    if table.data_date is not None:
        label = DATE_SOURCE_LABELS.get(str(table.date_source), "Datenstand")
        parts.append(f"{label}: {table.data_date:%d.%m.%Y %H:%M} UTC")
    if table.from_cache:
        parts.append("gespeicherter Zwischenstand")
    if table.file:
        parts.append(f"Datei {table.file}")
    parts.append(ATTRIBUTION)
    return " · ".join(parts)
