"""OpenStreetMap data from local files, normalised exactly as :mod:`geo.osm.download` fetches it.

OSM XML (``.osm``/``.xml``, also ``.gz``/``.bz2``, read with osmnx's
``*_from_xml``), GeoJSON or a GeoPackage layer: :func:`load_businesses`,
:func:`load_buildings`, :func:`load_streets`, :func:`load_walk_network`, for
users without Overpass access and for tests. The data date comes from the file
(see "Data date" in :mod:`geo.osm.download`); each table comes as an
:class:`geo.osm.features.OsmTable` whose ``date_source`` names which
(:data:`geo.osm.download.DATE_SOURCE_LABELS`) and whose ``file`` is the file's name.
"""

from __future__ import annotations

import bz2
import gzip
import io
import json
import os
import tempfile
import xml.sax
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import geopandas as gpd
import networkx as nx
import numpy as np
import osmnx as ox
import pandas as pd

from geo import settings
from geo.errors import InputError
from geo.osm.classify import BUSINESS_TAGS
from geo.osm.download import _polygon
from geo.osm.features import (
    BUILDING_COLUMNS,
    BUSINESS_COLUMNS,
    STREET_COLUMNS,
    OsmTable,
    _conform,
    _normalise_buildings,
    _normalise_businesses,
    _normalise_features,
    _tag_frame,
    streets_from_graph,
)

__all__ = ["load_buildings", "load_businesses", "load_businesses_upload", "load_streets", "load_walk_network"]


_XML_SUFFIXES = (".osm", ".xml", ".osm.gz", ".osm.bz2", ".xml.gz", ".xml.bz2")
_VECTOR_SUFFIXES = (".geojson", ".json", ".gpkg")


def _open_text(path: Path) -> io.BufferedIOBase:
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
) -> OsmTable:
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
    return OsmTable(result, data_date=stamp, date_source=source, file=path.name)


def load_businesses(
    path: str | os.PathLike[str], *, polygon: Any = None, layer: str | None = None
) -> OsmTable:
    """Businesses from a local file, normalised exactly as :func:`geo.osm.download.fetch_businesses`.

    Parameters
    ----------
    path
        OSM XML (``.osm``, ``.xml``, optionally ``.gz``/``.bz2``); GeoJSON or
        GeoPackage with raw OSM tags as columns and an id (``@id``/``id`` like
        ``node/123`` as overpass-turbo exports, or ``osm_type`` + ``osm_id``);
        or a table written by this package (:data:`geo.osm.features.BUSINESS_COLUMNS`).
    polygon
        Keep only features in this area (default: all).
    layer
        Layer of a GeoPackage (default: the first).

    Returns
    -------
    geo.osm.features.OsmTable
        ``frame``: :data:`geo.osm.features.BUSINESS_COLUMNS` and point geometry; with the
        ``data_date`` from the file, its ``date_source`` and the ``file`` name.

    Raises
    ------
    InputError
        Missing, unreadable or unsuitable file.
    """
    return _load(
        path, what="OSM", tags=BUSINESS_TAGS, columns=BUSINESS_COLUMNS,
        normalise=_normalise_businesses, polygon=polygon, layer=layer,
    )  # fmt: skip


def load_businesses_upload(data: bytes, name: str, *, polygon: Any = None) -> OsmTable:
    """:func:`load_businesses` of an uploaded file's bytes (``name`` gives the format and the ``file`` name)."""
    with tempfile.TemporaryDirectory(prefix="qm-osm-upload-") as folder:
        target = Path(folder) / (Path(name).name or "upload.osm")
        target.write_bytes(data)
        return load_businesses(target, polygon=polygon)


def load_buildings(
    path: str | os.PathLike[str], *, polygon: Any = None, layer: str | None = None
) -> OsmTable:
    """Building footprints from a local file, normalised as :func:`geo.osm.download.fetch_buildings`.

    Files and options as in :func:`load_businesses`.

    Returns
    -------
    geo.osm.features.OsmTable
        ``frame``: :data:`geo.osm.features.BUILDING_COLUMNS` and footprints; provenance as
        :func:`load_businesses`.
    """
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
