"""Reading GIS layers: GeoJSON, GeoPackage (first layer) and zipped Shapefiles.

Plumbing of :mod:`geo.register.imports.read`. Attributes become text; the
location comes from the geometry (EPSG:4326; non-point geometries give a
representative point).
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyogrio.errors
import pyproj.exceptions
import shapely

from geo import settings
from geo.errors import InputError
from geo.register.imports._limits import check_archive, check_row_count
from geo.register.imports._table import RawTable, as_text
from geo.register.imports.report import count

GEOJSON_EXTENSIONS = frozenset({".geojson", ".json"})
GPKG_EXTENSIONS = frozenset({".gpkg"})
SHAPE_EXTENSIONS = frozenset({".zip", ".shp"})
SUPPORTED = (
    "CSV (.csv), Excel (.xlsx), GeoJSON (.geojson), GeoPackage (.gpkg) oder gezipptes Shapefile (.zip)"
)

_PYOGRIO_ERRORS = (
    pyogrio.errors.DataSourceError,
    pyogrio.errors.DataLayerError,
    pyogrio.errors.FieldError,
    pyogrio.errors.GeometryError,
    pyogrio.errors.FeatureError,
    pyogrio.errors.CRSError,
)


def read_vector(p: Path, ext: str) -> RawTable:
    """Read GeoJSON, GeoPackage (first layer) or a (zipped) Shapefile; the location from the geometry."""
    notes: list[str] = []
    layer: str | None = None
    source: str = str(p)
    drop_feature_id = False
    n_features: int | None = None
    if ext in GEOJSON_EXTENSIONS:
        drop_feature_id, n_features = _check_geojson(p)
    elif ext in GPKG_EXTENSIONS:
        with p.open("rb") as handle:
            if handle.read(16) != b"SQLite format 3\x00":
                raise InputError(
                    f"'{p.name}' ist keine GeoPackage-Datei (.gpkg). Bitte in QGIS als "
                    "GeoPackage exportieren oder die richtige Endung verwenden."
                )
        layers = _list_layers(p, p.name)
        if not layers:
            raise InputError(
                f"Das GeoPackage '{p.name}' enthält keinen Layer. Bitte die richtige Datei wählen."
            )
        layer = layers[0]
        if len(layers) > 1:
            notes.append(f"GeoPackage hat {len(layers)} Layer; nur der erste ('{layer}') wurde gelesen.")
    elif ext == ".zip":
        if not zipfile.is_zipfile(p):
            raise InputError(
                f"'{p.name}' ist keine ZIP-Datei. Ein Shapefile bitte mit allen Teildateien "
                "(.shp, .shx, .dbf, .prj) in ein ZIP packen."
            )
        try:
            with zipfile.ZipFile(p) as archive:
                check_archive(p, archive)
                shapes = [
                    n
                    for n in archive.namelist()
                    if n.lower().endswith(".shp") and not n.startswith("__MACOSX")
                ]
        except InputError:
            raise
        except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as exc:
            raise InputError(
                f"'{p.name}' ist keine lesbare ZIP-Datei ({type(exc).__name__}). Bitte das Shapefile "
                "neu packen."
            ) from exc
        if not shapes:
            raise InputError(
                f"Das ZIP '{p.name}' enthält kein Shapefile (.shp). Bitte die Dateien .shp, .shx, "
                ".dbf und .prj zusammen packen."
            )
        if len(shapes) > 1:
            notes.append(f"ZIP enthält {len(shapes)} Shapefiles; nur '{shapes[0]}' wurde gelesen.")
        source = f"/vsizip/{p.resolve()}/{shapes[0]}"
    try:
        if n_features is None:
            n_features = int(pyogrio.read_info(source, layer=layer, force_feature_count=True)["features"])
        check_row_count(p.name, n_features)
        frame = pyogrio.read_dataframe(source, layer=layer)
    except _PYOGRIO_ERRORS as exc:
        raise InputError(
            f"'{p.name}' lässt sich nicht als Geodatei lesen: {exc}. Bitte die Datei in QGIS "
            f"prüfen und als {SUPPORTED} speichern."
        ) from exc
    except UnicodeDecodeError as exc:  # GDAL stops at the first text not in the stated encoding
        text = exc.object[:120].decode(exc.encoding, errors="replace") if exc.object else ""
        raise InputError(
            f"'{p.name}' enthält Text, der nicht in der angegebenen Zeichenkodierung ({exc.encoding}) "
            f"vorliegt, z. B. '{text.strip()}'. Bitte die Datei in QGIS mit der richtigen Kodierung "
            "neu speichern (Shapefile: .cpg-Datei mit der Kodierung der .dbf, z. B. 'UTF-8')."
        ) from exc
    if drop_feature_id and "id" in frame.columns:
        frame = frame.drop(columns="id")
        notes.append(
            "Die Objekt-IDs der GeoJSON-Features ('id') wurden nicht als Einheiten-Nr. "
            "verwendet; nur Eigenschaften (properties) zählen."
        )
    lon: pd.Series | None = None
    lat: pd.Series | None = None
    if isinstance(frame, gpd.GeoDataFrame) and frame.geometry.name in frame.columns:
        geo = _to_storage_crs(frame, p.name, notes)
        geoms = geo.geometry.values
        present = ~(geo.geometry.isna() | geo.geometry.is_empty).to_numpy()
        points = shapely.get_type_id(geoms) == 0
        non_point = present & ~points
        if non_point.any():
            notes.append(
                f"{count(int(non_point.sum()), 'Objekt ist', 'Objekte sind')} keine Punkte; Ort ist ein Punkt "
                "innerhalb der Fläche/Linie (representative point)."
            )
        pts = np.where(non_point, shapely.point_on_surface(geoms), geoms)
        xs = np.full(len(frame), np.nan)
        ys = np.full(len(frame), np.nan)
        xs[present] = shapely.get_x(pts[present])
        ys[present] = shapely.get_y(pts[present])
        lon = pd.Series(xs, index=frame.index)
        lat = pd.Series(ys, index=frame.index)
        frame = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    text = pd.DataFrame({str(c): as_text(frame[c]) for c in frame.columns}, index=frame.index)
    if lon is not None and lat is not None:
        for name in ("lon", "lat"):
            if name in text.columns:
                text = text.rename(columns={name: f"{name} (Attribut)"})
                notes.append(
                    f"Attribut '{name}' umbenannt in '{name} (Attribut)'; der Ort kommt aus der Geometrie."
                )
        text["lon"] = lon.to_numpy()
        text["lat"] = lat.to_numpy()
    else:
        notes.append("Die Daten haben keine Geometrie; Koordinaten nur aus Spalten.")
    text["_row"] = np.arange(len(text), dtype="int64") + 1
    return RawTable(text, p.name, tuple(notes))


def _check_geojson(p: Path) -> tuple[bool, int]:
    """Validate a GeoJSON file.

    Returns
    -------
    tuple
        True when ``id`` is a feature-level id only; the number of features.
    """
    try:
        content = json.loads(p.read_bytes().decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise InputError(
            f"'{p.name}' ist kein gültiges GeoJSON (kein lesbares JSON: {exc}). "
            "Bitte die Datei in QGIS als GeoJSON exportieren."
        ) from exc
    if not isinstance(content, dict) or content.get("type") not in {
        "FeatureCollection",
        "Feature",
    }:
        raise InputError(
            f'\'{p.name}\' ist JSON, aber kein GeoJSON (erwartet: "type": "FeatureCollection"). '
            "Bitte die Datei in QGIS als GeoJSON exportieren."
        )
    features = content.get("features", [content]) if content["type"] == "FeatureCollection" else [content]
    if not isinstance(features, list):
        raise InputError(f"'{p.name}': 'features' ist keine Liste. Bitte als GeoJSON neu exportieren.")
    has_feature_id = False
    has_property_id = False
    for feat in features:
        if isinstance(feat, dict):
            has_feature_id = has_feature_id or "id" in feat
            props = feat.get("properties")
            has_property_id = has_property_id or (isinstance(props, dict) and "id" in props)
    return has_feature_id and not has_property_id, len(features)


def _list_layers(p: Path, name: str) -> list[str]:
    try:
        layers = pyogrio.list_layers(p)
    except _PYOGRIO_ERRORS as exc:
        raise InputError(
            f"'{name}' lässt sich nicht als GeoPackage öffnen: {exc}. Bitte in QGIS prüfen."
        ) from exc
    return [str(row[0]) for row in layers]


def _to_storage_crs(frame: gpd.GeoDataFrame, name: str, notes: list[str]) -> gpd.GeoDataFrame:
    if frame.crs is None:
        bounds = frame.total_bounds
        if np.isfinite(bounds).all() and bounds[0] > 1000 and bounds[1] > 1_000_000:
            notes.append(f"'{name}' hat kein Koordinatenbezugssystem; Meterwerte als EPSG:25833 gelesen.")
            return frame.set_crs(settings.metric_crs).to_crs(settings.storage_crs)
        notes.append(f"'{name}' hat kein Koordinatenbezugssystem; als EPSG:4326 (lon/lat) gelesen.")
        return frame.set_crs(settings.storage_crs)
    if not frame.crs.equals(settings.storage_crs):
        try:
            converted = frame.to_crs(settings.storage_crs)
        except (pyproj.exceptions.ProjError, pyproj.exceptions.CRSError) as exc:
            raise InputError(
                f"Das Koordinatenbezugssystem von '{name}' ({frame.crs.name}) lässt sich nicht nach "
                f"EPSG:4326 umrechnen ({exc}). Bitte die Datei in QGIS mit EPSG:4326 oder EPSG:25833 "
                "neu speichern (Shapefile: .prj-Datei prüfen)."
            ) from exc
        notes.append(f"Koordinaten von {frame.crs.to_string()} nach EPSG:4326 umgerechnet.")
        return converted
    return frame
