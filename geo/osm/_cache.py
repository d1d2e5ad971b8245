"""Our own cache of OSM results: every normalised result of an area, with its data date.

Private to :mod:`geo.osm.download`. Each result is saved as ``<kind>-<area>.gpkg``
(the walking network as ``walk-<area>.graphml``) in :func:`_cache_dir` with a JSON
sidecar ``<kind>-<area>.json`` holding the data date, its source, the fetch time,
the number of features and the attribution.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import geopandas as gpd
import networkx as nx
import osmnx as ox
import pandas as pd
import shapely
from shapely.geometry import MultiPolygon, Polygon

from geo import settings
from geo.errors import QuartiersmonitorError
from geo.osm.features import BUILDING_COLUMNS, BUSINESS_COLUMNS, STREET_COLUMNS, OsmTable, _conform
from geo.text import place_key


def _cache_dir() -> Path:
    """Folder of both caches: :func:`geo.settings.osm_cache_folder` (the one place it is resolved)."""
    return settings.osm_cache_folder()


def _area_key(area_name: str | None, polygon: Polygon | MultiPolygon) -> str:
    if area_name:
        key = place_key(area_name)
        return "".join(ch if ch.isalnum() or ch == "-" else "-" for ch in key).strip("-") or "gebiet"
    wkt = shapely.to_wkt(polygon, rounding_precision=6)
    return "polygon-" + hashlib.sha1(wkt.encode(), usedforsecurity=False).hexdigest()[:12]


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


def _stamp(value: Any) -> pd.Timestamp | None:
    """An ISO time of a sidecar or graph attribute as a timestamp (None when missing)."""
    return None if value is None or value == "" else pd.Timestamp(value)


def _attach(
    result: Any, meta: Mapping[str, Any], *, from_cache: bool, notice: str | None = None
) -> OsmTable | nx.MultiDiGraph:
    """A table with its provenance as :class:`OsmTable`; a graph with it in its graph attributes."""
    if isinstance(result, nx.MultiDiGraph):
        info = {**meta, "from_cache": from_cache, "notice": notice}
        result.graph.update({k: v for k, v in info.items() if v is not None})
        return result
    return OsmTable(
        result,
        data_date=_stamp(meta.get("data_date")),
        date_source=meta.get("date_source"),
        from_cache=from_cache,
        notice=notice,
        fetched_at=_stamp(meta.get("fetched_at")),
    )
