"""Ortsteile and quarters: boundaries and spatial assignment (the configuration: :mod:`geo.places.quarters`).

A *quarter* (Quartier, e.g. "Leipziger Osten") is a configured set of
Ortsteile (``data/quarters.toml``, read by :mod:`geo.places.quarters`, whose names this
module re-exports). Boundaries of the Ortsteile come from one of three sources:

* :func:`official_boundaries` -- the default: the official Ortsteil polygons of the
  Stadt Leipzig for both quarters, shipped in ``data/ortsteile.geojson``
  (:data:`BOUNDARY_ATTRIBUTION` names source and licence; shown with every map and report);
* :func:`load_boundaries` -- any polygon file the user has (for example the
  whole Ortsteil layer of the city, or a newer edition);
* :func:`boundaries_from_osm` -- OpenStreetMap via the Nominatim geocoder (online).

All of them give the same boundary table: ``name``, ``quarter``, ``source``,
``approximate`` and ``geometry`` in :data:`geo.settings.storage_crs` (:func:`load_boundaries`
as the ``frame`` of a :class:`BoundaryLoad`, with notes on what was repaired).
:func:`assign_areas` then sets ``ortsteil`` and ``quarter`` of units by a
point-in-polygon join.

Ortsteil names are matched tolerantly with :func:`geo.text.place_key`
("Gruenau-Mitte" matches "Grünau-Mitte"). Reading and cleaning a boundary file is in
:mod:`geo.places._boundary_files`.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import settings
from geo.errors import InputError
from geo.places._boundary_files import (
    NAME_COLUMN_CANDIDATES,
    _clean_polygons,
    _dissolve_duplicates,
    _name_column,
    _polygonal,
    _read_layer,
    _to_storage_crs,
)
from geo.places.attribution import (
    APPROX_SOURCE,
    BOUNDARY_ATTRIBUTION,
    BOUNDARY_LICENCE,
    BOUNDARY_LICENCE_URL,
    OFFICIAL_SOURCE,
    boundary_credit,
)
from geo.places.quarters import (
    QuarterConfig,
    _official_spelling,
    _quarter_lookup,
    get_quarter,
    load_quarters,
    ortsteile_of,
    quarter_names,
    quarter_of,
)
from geo.text import place_key

log = logging.getLogger(__name__)

__all__ = [
    "APPROX_SOURCE",
    "BOUNDARY_ATTRIBUTION",
    "BOUNDARY_COLUMNS",
    "BOUNDARY_LICENCE",
    "BOUNDARY_LICENCE_URL",
    "NAME_COLUMN_CANDIDATES",
    "OFFICIAL_SOURCE",
    "OSM_SOURCE",
    "BoundaryLoad",
    "QuarterConfig",
    "assign_areas",
    "boundaries_from_osm",
    "boundary_credit",
    "get_quarter",
    "load_boundaries",
    "load_quarters",
    "official_boundaries",
    "ortsteile_of",
    "quarter_names",
    "quarter_of",
]


#: Columns of every boundary table returned by this module (in this order).
BOUNDARY_COLUMNS: tuple[str, ...] = ("name", "quarter", "source", "approximate", "geometry")

#: Source label of boundaries geocoded with OpenStreetMap.
OSM_SOURCE: str = "OpenStreetMap (Nominatim), © OpenStreetMap-Mitwirkende, ODbL"


# -- boundaries ------------------------------------------------------------------


def official_boundaries(*, quarters: Mapping[str, QuarterConfig] | None = None) -> gpd.GeoDataFrame:
    """The official Ortsteil boundaries of the Stadt Leipzig: the default boundaries.

    Read from :data:`geo.settings.boundaries_path` (shipped: ``data/ortsteile.geojson``, the
    polygons of the 12 Ortsteile of both quarters as the city publishes them, see
    ``data/README.md``). Their licence asks for attribution: :data:`BOUNDARY_ATTRIBUTION`, which
    :func:`boundary_credit` gives for them.

    Parameters
    ----------
    quarters
        Configuration from :func:`load_quarters`; default: the project's configuration.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns :data:`BOUNDARY_COLUMNS` (``source`` :data:`OFFICIAL_SOURCE`, ``approximate``
        False), one row per Ortsteil, EPSG:4326.

    Raises
    ------
    InputError
        If the file is missing or unreadable (see :func:`load_boundaries`).
    """
    frame = load_boundaries(Path(settings.boundaries_path), quarters=quarters).frame
    frame["source"] = OFFICIAL_SOURCE
    return frame


@dataclass(frozen=True)
class BoundaryLoad:
    """Ortsteil boundaries read from a file (:func:`load_boundaries`).

    Attributes
    ----------
    frame
        Columns :data:`BOUNDARY_COLUMNS`, one row per Ortsteil, EPSG:4326.
    notes
        What was repaired or dropped, as German sentences for the user (also logged).
    """

    frame: gpd.GeoDataFrame
    notes: tuple[str, ...] = ()


def load_boundaries(
    path: str | Path,
    *,
    name_column: str | None = None,
    quarters: Mapping[str, QuarterConfig] | None = None,
) -> BoundaryLoad:
    """Read Ortsteil boundaries from a polygon file.

    Any format GDAL reads works (GeoJSON, GeoPackage, zipped shapefile, ...).
    The file may hold all Ortsteile of Leipzig; those outside the configured
    quarters keep ``quarter`` missing. Names of configured Ortsteile are given
    in the configuration's spelling ("Gruenau-Mitte" becomes "Grünau-Mitte");
    features sharing one name are merged into one. What was repaired or dropped is logged
    and listed in the result's ``notes`` (German sentences for the user).

    Parameters
    ----------
    path
        The file.
    name_column
        Column with the Ortsteil names. Detected when not given: one of
        :data:`NAME_COLUMN_CANDIDATES` (any case) holding text.
    quarters
        Configuration from :func:`load_quarters`; default: the project's configuration.

    Returns
    -------
    BoundaryLoad
        ``frame``: columns :data:`BOUNDARY_COLUMNS` (``source`` is the file name,
        ``approximate`` False), one row per Ortsteil, EPSG:4326; ``notes``: what was
        repaired or dropped.

    Raises
    ------
    InputError
        If the file cannot be read, the name column is missing or ambiguous,
        the coordinate reference system is unknown, or there are no polygons.
    """
    path = Path(path)
    quarters = load_quarters() if quarters is None else quarters
    notes: list[str] = []
    gdf = _read_layer(path)
    column = _name_column(gdf, name_column, path.name)
    gdf = _to_storage_crs(gdf, path.name, notes)
    names = gdf[column].astype("str").str.strip()
    unnamed = gdf[column].isna().to_numpy() | (names == "").to_numpy()
    if unnamed.any():
        notes.append(f"{int(unnamed.sum())} Fläche(n) ohne Namen in Spalte „{column}“ übergangen.")
    out = gpd.GeoDataFrame(
        {"name": names.to_numpy()[~unnamed]},
        geometry=gdf.geometry.to_numpy()[~unnamed],
        crs=settings.storage_crs,
    )
    out = _clean_polygons(out, path.name, notes)
    out = _dissolve_duplicates(out, notes)
    official = _official_spelling(quarters)
    out["name"] = [
        official.get(place_key(n), unicodedata.normalize("NFC", n)) for n in out["name"]
    ]
    out["source"] = path.name
    out["approximate"] = False
    out = _assign_quarter(out, quarters)
    found = {place_key(n) for n in out["name"]}
    absent = [o for q in quarters.values() for o in q.ortsteile if place_key(o) not in found]
    if absent:
        notes.append(f"Nicht in {path.name} enthalten (bleiben ohne Grenze): {', '.join(absent)}.")
    lon_min, lat_min, lon_max, lat_max = settings.leipzig_bbox
    if not out.intersects(shapely.box(lon_min, lat_min, lon_max, lat_max)).any():
        notes.append(
            f"Keine Fläche aus {path.name} liegt in Leipzig – ist das Koordinatensystem "
            "der Datei richtig angegeben?"
        )
    for note in notes:
        log.warning("%s", note)
    return BoundaryLoad(out[list(BOUNDARY_COLUMNS)].reset_index(drop=True), tuple(notes))


def boundaries_from_osm(*, quarters: Mapping[str, QuarterConfig] | None = None) -> gpd.GeoDataFrame:
    """Geocode the Ortsteile of the configured quarters with OpenStreetMap.

    Needs internet access (Nominatim via :func:`osmnx.geocode_to_gdf`, one
    request per Ortsteil, cached by osmnx). The outlines are OpenStreetMap's,
    not the official ones.

    Parameters
    ----------
    quarters
        Configuration from :func:`load_quarters`; default: the project's configuration.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns :data:`BOUNDARY_COLUMNS` (``source`` :data:`OSM_SOURCE`,
        ``approximate`` False), one row per configured Ortsteil, EPSG:4326.

    Raises
    ------
    InputError
        If OpenStreetMap cannot be reached or returns no area for an Ortsteil.
    """
    import osmnx as ox  # slow import, only needed here

    quarters = load_quarters() if quarters is None else quarters
    names: list[str] = []
    geoms: list[shapely.Geometry] = []
    for config in quarters.values():
        for ortsteil in config.ortsteile:
            query = f"{ortsteil}, Leipzig, Germany"
            try:
                found = ox.geocode_to_gdf(query)
            except OSError as exc:  # requests' network errors are OSErrors
                raise InputError(
                    "OpenStreetMap ist nicht erreichbar (keine Internetverbindung?): "
                    f"{exc}. Ohne Internet die mitgelieferten amtlichen Grenzen verwenden "
                    "oder eine Grenzdatei laden."
                ) from exc
            except ValueError as exc:  # osmnx: InsufficientResponseError, ResponseStatusCodeError
                raise InputError(
                    f"OpenStreetMap liefert für „{ortsteil}“ keine Fläche ({exc}). "
                    "Bitte stattdessen eine Grenzdatei laden."
                ) from exc
            found = found.to_crs(settings.storage_crs) if found.crs is not None else found
            geom = _polygonal(found.geometry.iloc[0]) if len(found) else None
            if geom is None:
                raise InputError(
                    f"OpenStreetMap liefert für „{ortsteil}“ keine Fläche, nur einen Punkt "
                    "oder nichts. Bitte stattdessen eine Grenzdatei laden."
                )
            names.append(ortsteil)
            geoms.append(geom)
    out = gpd.GeoDataFrame(
        {
            "name": pd.array(names, dtype="str"),
            "source": OSM_SOURCE,
            "approximate": np.zeros(len(names), dtype=bool),
        },
        geometry=geoms,
        crs=settings.storage_crs,
    )
    out = _assign_quarter(out, quarters)
    return out[list(BOUNDARY_COLUMNS)]


def _assign_quarter(
    gdf: gpd.GeoDataFrame, quarters: Mapping[str, QuarterConfig]
) -> gpd.GeoDataFrame:
    lookup = _quarter_lookup(quarters)
    out = gdf.copy()
    out["quarter"] = pd.array([lookup.get(place_key(n)) for n in out["name"]], dtype="str")
    return out


# -- assignment ------------------------------------------------------------------


def assign_areas(units: gpd.GeoDataFrame, boundaries: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Set ``ortsteil`` and ``quarter`` of units from their location.

    A unit belongs to the Ortsteil whose polygon contains its point (joined in
    :data:`geo.settings.metric_crs` with a spatial index). A point on a shared
    edge, or in an overlap of two polygons, goes to the first of them by name
    (a stable, reproducible rule). Units outside every polygon, or without a
    location, get missing values. Non-point geometries are represented by a
    point inside them. A layer without CRS is taken to be in
    :data:`geo.settings.storage_crs`.

    Parameters
    ----------
    units
        Unit table with point geometries.
    boundaries
        Boundary table with ``name`` and (optionally) ``quarter``, as returned by
        the loaders of this module.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy of ``units`` with the columns ``ortsteil`` and ``quarter``
        replaced; index and row order unchanged.

    Raises
    ------
    InputError
        If ``boundaries`` has no ``name`` column.
    """
    result = units.copy()
    n = len(result)
    ortsteil = np.full(n, None, dtype=object)
    quarter = np.full(n, None, dtype=object)
    if n and len(boundaries):
        points = _metric(result.geometry)
        kinds = points.geom_type.to_numpy()
        not_point = pd.notna(kinds) & (kinds != "Point")
        geoms = points.to_numpy().copy()
        if not_point.any():
            geoms[not_point] = shapely.point_on_surface(geoms[not_point])
        if "name" not in boundaries.columns:
            raise InputError("Die Grenzen haben keine Spalte „name“ mit den Ortsteilnamen.")
        areas = _metric(boundaries.geometry).reset_index(drop=True)
        names = boundaries["name"].to_numpy(dtype=object)
        if "quarter" in boundaries.columns:
            quarters = boundaries["quarter"].to_numpy(dtype=object)
        else:
            quarters = np.full(len(boundaries), None, dtype=object)
        rank = np.empty(len(names), dtype=np.int64)
        rank[np.argsort(np.array([str(x) for x in names]), kind="stable")] = np.arange(len(names))
        point_idx, area_idx = areas.sindex.query(geoms, predicate="intersects")
        if len(point_idx):
            order = np.lexsort((rank[area_idx], point_idx))
            point_idx, area_idx = point_idx[order], area_idx[order]
            first = np.unique(point_idx, return_index=True)[1]
            hit, area = point_idx[first], area_idx[first]
            ortsteil[hit] = names[area]
            quarter[hit] = quarters[area]
    result["ortsteil"] = pd.Series(ortsteil, index=result.index, dtype="str")
    result["quarter"] = pd.Series(quarter, index=result.index, dtype="str")
    return result


def _metric(geoms: gpd.GeoSeries) -> gpd.GeoSeries:
    if geoms.crs is None:
        geoms = geoms.set_crs(settings.storage_crs)
    return geoms.to_crs(settings.metric_crs)
