"""Reading a boundary file: the layer, its name column, its CRS, and clean polygons.

Private to :mod:`geo.places.areas` (:func:`geo.places.areas.load_boundaries`,
:func:`geo.places.areas.official_boundaries`). What was repaired or dropped is
added to ``notes`` as German sentences for the user.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import settings
from geo.errors import InputError
from geo.text import place_key

#: Column names recognised as the Ortsteil name column (compared case-insensitively).
NAME_COLUMN_CANDIDATES: tuple[str, ...] = (
    "name",
    "ortsteil",
    "ortsteilname",
    "ortsteil_name",
    "ot_name",
    "otname",
    "name_ot",
    "ot_bez",
    "bezeichnung",
    "stadtteil",
    "stadtteilname",
    "gebiet",
    "gebietsname",
)


_POLYGONAL = ("Polygon", "MultiPolygon")


def _read_layer(path: Path) -> gpd.GeoDataFrame:
    from pyogrio.errors import DataLayerError, DataSourceError

    if not path.exists():
        raise InputError(f"Grenzdatei nicht gefunden: {path}")
    try:
        with warnings.catch_warnings():
            # GDAL's own warnings about unreadable files: the error below says it in German
            warnings.simplefilter("ignore", RuntimeWarning)
            return gpd.read_file(path)
    except (DataSourceError, DataLayerError, OSError, ValueError) as exc:
        raise InputError(
            f"Grenzdatei {path.name} kann nicht gelesen werden ({exc}). Erwartet wird eine "
            "Flächendatei wie GeoJSON, GeoPackage oder ein gezipptes Shapefile."
        ) from exc


def _name_column(gdf: gpd.GeoDataFrame, name_column: str | None, file_name: str) -> str:
    columns = [c for c in gdf.columns if c != gdf.geometry.name]
    listed = ", ".join(str(c) for c in columns) or "(keine)"
    if name_column is not None:
        if name_column not in gdf.columns or name_column == gdf.geometry.name:
            raise InputError(
                f"Spalte „{name_column}“ gibt es in {file_name} nicht. Gefundene Spalten: {listed}."
            )
        return name_column
    wanted = set(NAME_COLUMN_CANDIDATES)
    matches: list[str] = [
        c
        for c in columns
        if str(c).casefold() in wanted
        and (pd.api.types.is_string_dtype(gdf[c]) or gdf[c].dtype == object)
    ]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        reason = "Keine Spalte mit Ortsteilnamen erkannt"
    else:
        reason = "Mehrere mögliche Namensspalten (" + ", ".join(matches) + ")"
    raise InputError(
        f"{reason} in {file_name}. Gefundene Spalten: {listed}. "
        "Bitte die Spalte mit den Ortsteilnamen mit --name-column angeben."
    )


def _to_storage_crs(gdf: gpd.GeoDataFrame, file_name: str, notes: list[str]) -> gpd.GeoDataFrame:
    if gdf.crs is None:
        bounds = gdf.total_bounds
        if (
            len(gdf)
            and np.all(np.isfinite(bounds))
            and (-180 <= bounds[0] <= bounds[2] <= 180 and -90 <= bounds[1] <= bounds[3] <= 90)
        ):
            notes.append(
                f"{file_name} nennt kein Koordinatensystem; angenommen: WGS 84 (EPSG:4326)."
            )
            return gdf.set_crs(settings.storage_crs)
        raise InputError(
            f"{file_name} nennt kein Koordinatensystem und die Koordinaten sind keine "
            "Längen/Breiten. Bitte die Datei mit Koordinatensystem speichern "
            "(z. B. EPSG:25833 oder EPSG:4326)."
        )
    if gdf.crs.equals(settings.storage_crs):
        return gdf
    notes.append(f"{file_name} von {gdf.crs.to_string()} nach {settings.storage_crs} umprojiziert.")
    return gdf.to_crs(settings.storage_crs)


def _polygonal(geom: shapely.Geometry | None) -> shapely.Geometry | None:
    """The polygonal part of a geometry (None if it has none)."""
    if geom is None or geom.is_empty:
        return None
    if geom.geom_type in _POLYGONAL:
        return geom
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in _POLYGONAL and not p.is_empty]
    if not parts:
        return None
    polys = [q for p in parts for q in shapely.get_parts(p)]
    return polys[0] if len(polys) == 1 else shapely.MultiPolygon(polys)


def _clean_polygons(gdf: gpd.GeoDataFrame, file_name: str, notes: list[str]) -> gpd.GeoDataFrame:
    geoms = gdf.geometry.to_numpy()
    missing = np.array([g is None or g.is_empty for g in geoms], dtype=bool)
    if missing.any():
        notes.append(f"{int(missing.sum())} Eintrag/Einträge ohne Geometrie übergangen.")
    invalid = ~missing & ~shapely.is_valid(np.where(missing, None, geoms))
    if invalid.any():
        repaired = list(gdf["name"].to_numpy()[invalid])
        geoms = geoms.copy()
        geoms[invalid] = shapely.make_valid(geoms[invalid])
        notes.append(f"Ungültige Geometrie repariert (make_valid): {', '.join(repaired)}.")
    kinds = sorted({g.geom_type for g, m in zip(geoms, missing, strict=True) if not m})
    polygonal = np.array(
        [None if m else _polygonal(g) for g, m in zip(geoms, missing, strict=True)]
    )
    keep = np.array([p is not None for p in polygonal], dtype=bool)
    if not keep.any():
        raise InputError(
            f"{file_name} enthält keine Flächen (Polygone), gefunden: "
            f"{', '.join(kinds) or 'keine Geometrien'}. Ortsteilgrenzen müssen Flächen sein."
        )
    dropped = ~keep & ~missing
    if dropped.any():
        notes.append(
            f"{int(dropped.sum())} Nicht-Fläche(n) übergangen: {', '.join(gdf['name'].to_numpy()[dropped])}."
        )
    return gpd.GeoDataFrame(
        {"name": gdf["name"].to_numpy()[keep]},
        geometry=list(polygonal[keep]),
        crs=gdf.crs,
    )


def _dissolve_duplicates(gdf: gpd.GeoDataFrame, notes: list[str]) -> gpd.GeoDataFrame:
    keys = [place_key(n) for n in gdf["name"]]
    if len(set(keys)) == len(keys):
        return gdf
    first_name: dict[str, str] = {}
    parts: dict[str, list[shapely.Geometry]] = {}
    for key, name, geom in zip(keys, gdf["name"], gdf.geometry, strict=True):
        first_name.setdefault(key, name)
        parts.setdefault(key, []).append(geom)
    merged = [first_name[k] for k, v in parts.items() if len(v) > 1]
    notes.append(f"Mehrteilige Ortsteile zu je einer Fläche vereinigt: {', '.join(merged)}.")
    return gpd.GeoDataFrame(
        {"name": list(first_name.values())},
        geometry=[shapely.union_all(v) if len(v) > 1 else v[0] for v in parts.values()],
        crs=gdf.crs,
    )
