"""Address files for the offline geocoder: OpenStreetMap data and official house coordinates.

:func:`read_addresses` turns one file into a table of address points:

* OSM XML (``.osm``, ``.xml``, also ``.gz``/``.bz2``): every element with
  ``addr:housenumber`` (read by :mod:`geo.osm.files`);
* GeoJSON, GeoPackage, zipped Shapefile: features with ``addr:street``/
  ``addr:housenumber`` (``addr:postcode``) as OSM exports and the yearly building
  snapshots have them, or German columns (``Straße``, ``Hausnummer``, ``PLZ``);
* CSV or XLSX (official house coordinates): street, house number (and letter
  suffix), postcode and ``x``/``y`` (``Rechtswert``/``Hochwert``, EPSG:25833 unless
  ``crs`` says otherwise) or ``lon``/``lat``, read as an import reads a list
  (German Excel CSV, decimal comma).

Buildings are placed at their footprint's centroid, computed in
:data:`geo.settings.metric_crs`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import settings
from geo.errors import InputError
from geo.text import clean_text, column_key, tidy_street

#: Columns of :func:`read_addresses`' table.
ADDRESS_COLUMNS: tuple[str, ...] = ("street", "housenumber", "postcode", "x", "y", "source")

#: Column labels (keyed by :func:`geo.text.column_key`) of each field, best first.
ALIASES: dict[str, tuple[str, ...]] = {
    "street": ("addrstreet", "strasse", "strassenname", "strname", "str", "street"),
    "place": ("addrplace",),
    "housenumber": ("addrhousenumber", "hausnummer", "hausnr", "hnr", "hsnr", "nr", "housenumber"),
    "suffix": ("hausnummerzusatz", "hnrzusatz", "hsnrzusatz", "hsnrz", "zusatz", "housenumbersuffix"),
    "postcode": ("addrpostcode", "plz", "postleitzahl", "postcode", "zip"),
    "x": ("x", "rechtswert", "rw", "ostwert", "easting", "xkoordinate", "koordx"),
    "y": ("y", "hochwert", "hw", "nordwert", "northing", "ykoordinate", "koordy"),
    "lon": ("lon", "lng", "laenge", "longitude", "geolaenge"),
    "lat": ("lat", "breite", "latitude", "geobreite"),
}

_XML = (".osm", ".xml", ".osm.gz", ".osm.bz2", ".xml.gz", ".xml.bz2")
_VECTOR = (".geojson", ".json", ".gpkg", ".zip", ".shp")
_TABLE = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm")
#: Every file ending :func:`read_addresses` reads (``.shp`` only inside a folder, not as an upload).
ADDRESS_ENDINGS: tuple[str, ...] = (*_XML, *_VECTOR, *_TABLE)
_HELP = (
    "Erwartet: OSM-XML (.osm), GeoJSON/GeoPackage mit addr:street und addr:housenumber, oder eine "
    "Tabelle der Hauskoordinaten (CSV/XLSX mit Straße, Hausnummer und x/y bzw. Rechtswert/Hochwert "
    "in EPSG:25833)."
)


def _columns(frame: pd.DataFrame) -> dict[str, str]:
    """Field -> column of ``frame`` (first alias present)."""
    by_key: dict[str, str] = {}
    for col in frame.columns:
        by_key.setdefault(column_key(col), str(col))
    found = {}
    for fld, aliases in ALIASES.items():
        for alias in aliases:
            if alias in by_key:
                found[fld] = by_key[alias]
                break
    return found


def _text(frame: pd.DataFrame, col: str | None) -> pd.Series:
    if col is None:
        return pd.Series(np.nan, index=frame.index, dtype="str")
    values = frame[col]
    numeric = pd.api.types.is_float_dtype(values)
    text = values.map(lambda v: f"{v:.0f}", na_action="ignore") if numeric else values
    return clean_text(text.astype("str"))


def _address_table(frame: pd.DataFrame, cols: dict[str, str], *, name: str) -> pd.DataFrame:
    """Street, house number (with its letter suffix) and postcode of ``frame``."""
    if "housenumber" not in cols or not ({"street", "place"} & set(cols)):
        raise InputError(
            f"Adressdatei {name}: keine Spalten für Straße und Hausnummer gefunden (vorhanden: "
            f"{', '.join(map(str, list(frame.columns)[:12]))}). {_HELP}"
        )
    street = _text(frame, cols.get("street"))
    if "place" in cols:  # addresses of a square or place without a street (addr:place)
        street = street.fillna(_text(frame, cols["place"]))
    hnr = _text(frame, cols["housenumber"])
    if "suffix" in cols:
        suffix = _text(frame, cols["suffix"]).fillna("")
        hnr = hnr.where(hnr.isna(), hnr + suffix)
    postcode = _text(frame, cols.get("postcode")).str.replace(r"\.0$", "", regex=True)
    postcode = postcode.where(~postcode.str.fullmatch(r"\d{4}").fillna(False).astype(bool), "0" + postcode)
    return pd.DataFrame({"street": tidy_street(street), "housenumber": hnr, "postcode": postcode})


def _finish(
    table: pd.DataFrame, x: np.ndarray, y: np.ndarray, *, name: str
) -> tuple[pd.DataFrame, list[str]]:
    """Keep the rows with street, number and a point; notes on what was left out."""
    table = table.assign(x=x, y=y, source=name)
    usable = table["street"].notna() & table["housenumber"].notna()
    located = usable & np.isfinite(table["x"]) & np.isfinite(table["y"])
    notes = []
    if (usable & ~located).any():
        notes.append(
            f"{name}: {int((usable & ~located).sum())} Adressen ohne lesbare Koordinaten nicht verwendet."
        )
    return table.loc[located, list(ADDRESS_COLUMNS)].reset_index(drop=True), notes


def _metric_points(geoms: gpd.GeoSeries) -> tuple[np.ndarray, np.ndarray]:
    """Points in metres: points as they are, footprints (and lines) at their centroid."""
    arr = np.asarray(geoms.to_crs(settings.metric_crs).to_numpy(), dtype=object)
    x = np.full(len(arr), np.nan)
    y = np.full(len(arr), np.nan)
    ok = ~(shapely.is_missing(arr) | shapely.is_empty(arr))
    if ok.any():
        pts = shapely.centroid(arr[ok])
        x[ok] = shapely.get_x(pts)
        y[ok] = shapely.get_y(pts)
    return x, y


def _from_features(frame: gpd.GeoDataFrame, *, name: str) -> tuple[pd.DataFrame, list[str]]:
    cols = _columns(frame)
    table = _address_table(frame, cols, name=name)
    if frame.crs is None:
        frame = frame.set_crs(settings.storage_crs)
    x, y = _metric_points(frame.geometry)
    return _finish(table, x, y, name=name)


def _read_xml(path: Path) -> tuple[pd.DataFrame, list[str]]:
    from geo.osm.files import _read_xml_features

    raw, _ = _read_xml_features(path, {"addr:housenumber": True}, None)
    if raw is None or len(raw) == 0:
        raise InputError(f"Adressdatei {path.name}: keine Elemente mit addr:housenumber. {_HELP}")
    return _from_features(raw, name=path.name)


def _read_vector(path: Path, layer: str | None) -> tuple[pd.DataFrame, list[str]]:
    from pyogrio.errors import DataLayerError, DataSourceError

    try:
        frame = gpd.read_file(path, layer=layer)
    except (DataSourceError, DataLayerError, OSError, ValueError) as exc:
        raise InputError(f"Adressdatei {path.name} kann nicht gelesen werden: {exc}") from exc
    return _from_features(frame, name=path.name)


def _read_table(path: Path, crs: str | None) -> tuple[pd.DataFrame, list[str]]:
    from geo.register.imports._values import parse_number
    from geo.register.imports.read import read

    raw = read(path)
    frame = raw.frame
    cols = _columns(frame)
    table = _address_table(frame, cols, name=path.name)
    notes = [f"{path.name}: {len(raw.issues)} Zeilen nicht lesbar."] if raw.issues else []
    if "x" in cols and "y" in cols:
        x = parse_number(frame[cols["x"]]).to_numpy()
        y = parse_number(frame[cols["y"]]).to_numpy()
        source_crs = crs or settings.metric_crs
    elif "lon" in cols and "lat" in cols:
        x = parse_number(frame[cols["lon"]]).to_numpy()
        y = parse_number(frame[cols["lat"]]).to_numpy()
        source_crs = crs or settings.storage_crs
    else:
        raise InputError(
            f"Adressdatei {path.name}: keine Koordinatenspalten gefunden (x/y, Rechtswert/Hochwert oder "
            f"lon/lat). {_HELP}"
        )
    if source_crs != settings.metric_crs:
        ok = np.isfinite(x) & np.isfinite(y)
        points = gpd.GeoSeries(gpd.points_from_xy(x[ok], y[ok]), crs=source_crs).to_crs(settings.metric_crs)
        x, y = x.astype("float64").copy(), y.astype("float64").copy()
        x[ok], y[ok] = points.x.to_numpy(), points.y.to_numpy()
    table, more = _finish(table, x, y, name=path.name)
    _check_leipzig(table, name=path.name, crs=source_crs)
    return table, notes + more


def _check_leipzig(table: pd.DataFrame, *, name: str, crs: str) -> None:
    """Refuse a table whose points mostly lie outside Leipzig: the coordinates are in another CRS."""
    if table.empty:
        return
    points = gpd.GeoSeries(gpd.points_from_xy(table["x"], table["y"]), crs=settings.metric_crs)
    points = points.to_crs(settings.storage_crs)
    lon, lat = points.x, points.y
    lon_min, lat_min, lon_max, lat_max = settings.leipzig_bbox
    inside = lon.between(lon_min, lon_max) & lat.between(lat_min, lat_max)
    if inside.mean() < 0.5:
        raise InputError(
            f"Adressdatei {name}: {int((~inside).sum())} von {len(table)} Adressen lägen außerhalb Leipzigs, "
            f"wenn ihre Koordinaten in {crs} angegeben sind (z. B. x={table['x'].iloc[0]:.1f}, "
            f"y={table['y'].iloc[0]:.1f}). Bitte das Koordinatensystem angeben (crs=…, z. B. "
            "'EPSG:31468' für Gauß-Krüger) oder die Spalten prüfen."
        )


def read_addresses(
    path: str | os.PathLike[str], *, layer: str | None = None, crs: str | None = None
) -> tuple[pd.DataFrame, list[str]]:
    """Read one address file into a table of address points.

    Parameters
    ----------
    path
        See the module's description for the formats.
    layer
        Layer of a GeoPackage (default: the first).
    crs
        Coordinate reference system of ``x``/``y`` (or ``lon``/``lat``) columns of a
        table; default EPSG:25833 for ``x``/``y``, EPSG:4326 for ``lon``/``lat``.

    Returns
    -------
    table : pandas.DataFrame
        :data:`ADDRESS_COLUMNS`: ``street`` (tidied: ``Str.`` -> ``Straße``),
        ``housenumber`` and ``postcode`` as text (postcode NaN when unknown), ``x``/``y``
        in :data:`geo.settings.metric_crs`, ``source`` (the file name).
    notes : list of str
        German notes on rows left out.

    Raises
    ------
    geo.errors.InputError
        Missing or unreadable file, no street/number columns, coordinates outside Leipzig.
    """
    p = Path(path).expanduser()
    if not p.is_file():
        raise InputError(f"Adressdatei nicht gefunden: {p}")
    name = p.name.lower()
    if name.endswith(_XML):
        return _read_xml(p)
    if name.endswith(_VECTOR):
        return _read_vector(p, layer)
    if name.endswith(_TABLE):
        return _read_table(p, crs)
    raise InputError(f"Adressdatei {p.name}: unbekanntes Dateiformat. {_HELP}")


def describe(frame: Any) -> str:
    """Short German description of the sources of an address table (file names)."""
    names = list(dict.fromkeys(frame["source"].tolist()))
    return ", ".join(names[:3]) + (f" und {len(names) - 3} weitere" if len(names) > 3 else "")
