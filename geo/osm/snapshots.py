"""Reading OpenStreetMap building snapshots: one file per area and date, merged and cleaned per date.

Input is a series of building snapshots: one GeoJSON (or any GDAL vector
file) per area and date, each feature one building footprint with its OSM id
(``id``), ``version``, ``timestamp`` (ms since 1970) and every OSM tag as a
property. Snapshots of several areas with the same date are merged into one
snapshot of that date (:func:`load_snapshots`, a :class:`Snapshots` with the notes on what
was cleaned); the date comes from the file name or is given (:func:`snapshot_date`). What counts as one building, and how
the data are cleaned, is described in :mod:`geo.osm.buildings`, which analyses
the snapshots.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import settings
from geo.errors import InputError

log = logging.getLogger(__name__)

__all__ = ["ANALYSIS_TAGS", "Snapshots", "load_snapshots", "snapshot_date"]


#: Tags read from the files when only the figures are wanted.
ANALYSIS_TAGS: tuple[str, ...] = ("building", "shop", "office", "craft", "amenity", "tourism")

_ID_CANDIDATES = ("id", "osm_id", "@id", "osm_way_id")
_FULL_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
_ID_PATTERN = re.compile(r"^(?:(way|w)/?|(relation|r)/?|(node|n)/?)?(\d+)(?:\.0+)?$", re.IGNORECASE)
_POLYGONAL = ("Polygon", "MultiPolygon")
#: Column names of the snapshot table; OSM tags of the same name get the prefix ``tag:``.
_RESERVED = frozenset({"date", "osm_id", "file", "geometry"})


@dataclass(frozen=True)
class Snapshots:
    """Building snapshots as :func:`load_snapshots` reads them.

    Attributes
    ----------
    frame
        One row per snapshot date and building (columns in :func:`load_snapshots`).
    notes
        What was cleaned, as German sentences for the user.
    """

    frame: gpd.GeoDataFrame
    notes: tuple[str, ...] = ()


# -- snapshot dates ----------------------------------------------------------------


def snapshot_date(path: str | Path, *, dates: Mapping[str | Path, Any] | None = None) -> pd.Timestamp:
    """Date of the snapshot in one file.

    Parameters
    ----------
    path
        The snapshot file.
    dates
        Dates by file (path, file name or stem as key; a date, datetime or
        ISO text as value). Takes precedence over the file name.

    Returns
    -------
    pandas.Timestamp
        The date given in ``dates``; else the one full date (``2024-06-30``)
        in the file name; else January 1 of the one year (1900--2099) in the
        file name.

    Raises
    ------
    InputError
        If no date, or more than one, can be derived; the message names the file.
    """
    path = Path(path)
    if dates:
        for key, value in dates.items():
            if _same_file(key, path):
                return _as_date(value, where=f"Datum für {path.name}")
    full = {m.group(0) for m in _FULL_DATE.finditer(path.name)}
    if len(full) == 1:
        return _as_date(full.pop(), where=f"Datum im Dateinamen {path.name}")
    years = {m.group(1) for m in _YEAR.finditer(_FULL_DATE.sub(" ", path.name))} if not full else set()
    if not full and len(years) == 1:
        return pd.Timestamp(int(years.pop()), 1, 1)
    found = ", ".join(sorted(full or years))
    reason = f"mehrere Daten ({found})" if found else "kein Jahr und kein Datum"
    raise InputError(
        f"Schnappschuss {path.name}: Stichtag nicht bestimmbar, der Dateiname enthält {reason}. "
        "Bitte genau eine Jahreszahl in den Dateinamen schreiben (z. B. "
        "„Volkmarsdorf-2024-buildings.geojson“ für den Stand am 1.1.2024) "
        "oder das Datum je Datei über „dates“ angeben."
    )


def _same_file(key: str | Path, path: Path) -> bool:
    key_path = Path(key)
    if str(key) in (path.name, path.stem) or key_path == path:
        return True
    try:
        return key_path.resolve() == path.resolve()
    except OSError:  # pragma: no cover - unresolvable paths simply don't match
        return False


def _as_date(value: Any, *, where: str) -> pd.Timestamp:
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{where}: „{value}“ ist kein Datum; erwartet z. B. 2024-01-01.") from exc
    if pd.isna(stamp):
        raise InputError(f"{where}: kein Datum angegeben; erwartet z. B. 2024-01-01.")
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert(None)
    return stamp.normalize()


# -- reading -----------------------------------------------------------------------


def load_snapshots(
    paths: Iterable[str | Path],
    *,
    dates: Mapping[str | Path, Any] | None = None,
    tags: Sequence[str] | None = None,
) -> Snapshots:
    """Read building snapshots, one file per area and date, into one table.

    Files with the same date are merged into one snapshot; a building that
    appears in several of them (it straddles an area border) or twice in one
    file is kept once (highest ``version``, then latest ``timestamp``).
    See :mod:`geo.osm.buildings` for what is cleaned. What was cleaned is
    listed, as German sentences, in the result's ``notes``.

    Parameters
    ----------
    paths
        Snapshot files (GeoJSON or any vector format GDAL reads).
    dates
        Snapshot date per file (see :func:`snapshot_date`); default: from the file names.
    tags
        OSM tags to keep (the ones needed for the figures are always kept);
        default: every property of the files.

    Returns
    -------
    Snapshots
        ``frame``: one row per snapshot date and building, sorted by date and id, with
        ``date`` (snapshot date), ``osm_id`` (text: ``"31193969"`` for ways,
        ``"r123"``/``"n123"`` for relations/nodes), ``version`` (Int64),
        ``timestamp`` (UTC), ``file`` (file name), the tags and
        ``geometry`` (polygons, EPSG:4326). A tag named like one of these
        columns (``date``, ``file``) is kept as ``tag:date``, ``tag:file``.
        ``notes``: what was cleaned (German).

    Raises
    ------
    InputError
        If no file is given, a file is missing or unreadable, has no id
        column, or its date cannot be derived.
    """
    notes: list[str] = []
    parts = [snap for _, snap in _iter_dates(paths, dates=dates, tags=tags, notes=notes)]
    if not parts:  # pragma: no cover - _iter_dates raises for an empty list
        raise InputError("Keine Schnappschuss-Dateien angegeben.")
    nonempty = [p for p in parts if len(p)]
    out = pd.concat(nonempty or parts[:1], ignore_index=True)
    out = gpd.GeoDataFrame(out, geometry="geometry", crs=settings.storage_crs)
    return Snapshots(out, tuple(notes))


def _group_paths(
    paths: Iterable[str | Path], dates: Mapping[str | Path, Any] | None
) -> list[tuple[pd.Timestamp, list[Path]]]:
    by_date: dict[pd.Timestamp, list[Path]] = {}
    for raw in paths:
        path = Path(raw)
        by_date.setdefault(snapshot_date(path, dates=dates), []).append(path)
    if not by_date:
        raise InputError(
            "Keine Schnappschuss-Dateien angegeben. Erwartet wird je Gebiet und Stichtag eine "
            "Datei wie „Volkmarsdorf-2024-buildings.geojson“."
        )
    return sorted(by_date.items())


def _iter_dates(
    paths: Iterable[str | Path],
    *,
    dates: Mapping[str | Path, Any] | None,
    tags: Sequence[str] | None,
    notes: list[str],
) -> Iterator[tuple[pd.Timestamp, gpd.GeoDataFrame]]:
    """Yield ``(date, merged snapshot)`` one date at a time, in date order."""
    grouped = _group_paths(paths, dates)
    for path in (p for _, files in grouped for p in files):
        if not path.is_file():
            raise InputError(f"Schnappschuss-Datei nicht gefunden: {path}")
    for day, files in grouped:
        frames = [_read_snapshot_file(path, tags=tags, notes=notes) for path in files]
        merged = _merge(frames)
        merged.insert(0, "date", pd.Series(day, index=merged.index, dtype="datetime64[s]"))
        yield day, merged


def _area_key(path: Path) -> str:
    stem = _FULL_DATE.sub("", path.stem)
    stem = _YEAR.sub("", stem)
    stem = re.sub(r"[-_ .]+", "-", stem).strip("-")
    return re.sub(r"-?(buildings|gebaeude|gebäude)$", "", stem, flags=re.IGNORECASE) or path.stem


def _read_snapshot_file(path: Path, *, tags: Sequence[str] | None, notes: list[str]) -> pd.DataFrame:
    import pyogrio
    from pyogrio.errors import DataLayerError, DataSourceError

    if path.stat().st_size == 0:
        raise InputError(
            f"Schnappschuss-Datei {path.name} ist leer (0 Byte) – vermutlich ein abgebrochener Download. "
            "Bitte die Datei neu beschaffen oder weglassen."
        )
    columns = (
        None
        if tags is None
        else list(dict.fromkeys([*_ID_CANDIDATES, "version", "timestamp", *ANALYSIS_TAGS, *tags]))
    )
    try:
        frame = pyogrio.read_dataframe(path, columns=columns, use_arrow=_arrow_available())
    except (DataSourceError, DataLayerError, OSError, ValueError) as exc:
        raise InputError(
            f"Schnappschuss-Datei {path.name} kann nicht gelesen werden ({exc}). Erwartet wird "
            "eine GeoJSON-Datei mit Gebäudeumrissen (oder ein anderes Vektorformat)."
        ) from exc
    frame = _to_storage_crs(frame, path.name)
    return _clean(frame, path.name, notes)


def _arrow_available() -> bool:
    try:
        import pyarrow  # noqa: F401
    except ImportError:  # pragma: no cover - pyarrow is installed with pandas 3
        return False
    return True


def _to_storage_crs(frame: gpd.GeoDataFrame, file_name: str) -> gpd.GeoDataFrame:
    if frame.crs is None:
        bounds = frame.total_bounds
        if len(frame) and not (
            np.all(np.isfinite(bounds))
            and -180 <= bounds[0] <= bounds[2] <= 180
            and -90 <= bounds[1] <= bounds[3] <= 90
        ):
            raise InputError(
                f"Schnappschuss-Datei {file_name} nennt kein Koordinatensystem und die Koordinaten sind "
                "keine Längen/Breiten. Bitte mit Koordinatensystem speichern (z. B. EPSG:4326)."
            )
        return frame.set_crs(settings.storage_crs)
    if frame.crs.equals(settings.storage_crs):
        return frame
    return frame.to_crs(settings.storage_crs)


def _clean(frame: gpd.GeoDataFrame, file_name: str, notes: list[str]) -> pd.DataFrame:
    """One file's features as buildings: ids normalised, geometries polygonal, one row per id."""
    if len(frame) == 0:
        notes.append(f"{file_name} enthält keine Gebäude.")
    id_col = next((c for c in _ID_CANDIDATES if c in frame.columns), None)
    if id_col is None:
        if len(frame) == 0:
            id_col = "id"
            frame = frame.assign(id=pd.Series([], dtype="str"))
        else:
            listed = ", ".join(str(c) for c in frame.columns if c != frame.geometry.name) or "(keine)"
            raise InputError(
                f"Schnappschuss-Datei {file_name} hat keine Spalte mit der OSM-Kennung "
                f"({', '.join(_ID_CANDIDATES)}). Gefundene Spalten: {listed}."
            )
    osm_id = _normalise_ids(frame[id_col])
    keep = osm_id.notna().to_numpy().copy()
    if not keep.all():
        notes.append(f"{file_name}: {int((~keep).sum())} Objekt(e) ohne OSM-Kennung übergangen.")

    geoms, geom_notes = _polygons(frame.geometry.to_numpy())
    notes.extend(f"{file_name}: {text}" for text in geom_notes)
    keep &= np.array([g is not None for g in geoms], dtype=bool)

    building = _building_tags(frame)
    not_building = (building == "no").to_numpy() & keep
    if not_building.any():
        notes.append(
            f"{file_name}: {int(not_building.sum())} Objekt(e) mit building=no "
            "(kein Gebäude, z. B. abgerissen) übergangen."
        )
    keep &= ~not_building

    base = pd.DataFrame({"osm_id": osm_id.to_numpy()}, index=frame.index)
    if "version" in frame:
        version = pd.to_numeric(frame["version"], errors="coerce").astype("Float64")
        base["version"] = version.where(version == version.round()).astype("Int64")
    else:
        base["version"] = pd.Series(pd.NA, index=frame.index, dtype="Int64")
    if "timestamp" in frame:
        base["timestamp"] = _timestamps(frame["timestamp"])
    else:
        base["timestamp"] = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ms, UTC]")
    base["building"] = building
    skip = {frame.geometry.name, id_col, *_ID_CANDIDATES, "version", "timestamp", "building"}
    tags = frame[[c for c in frame.columns if c not in skip]]
    tags = tags.astype({c: "str" for c in tags.columns if tags[c].dtype == object})
    tags = tags.rename(columns={c: f"tag:{c}" for c in tags.columns if c in _RESERVED})
    extra = pd.DataFrame({"file": file_name, "geometry": geoms}, index=frame.index)
    out = pd.concat([base, pd.DataFrame(tags), extra], axis=1)
    out = out.loc[keep].reset_index(drop=True)
    dup = out["osm_id"].duplicated(keep=False)
    if dup.any():
        n_extra = int(dup.sum() - out.loc[dup, "osm_id"].nunique())
        notes.append(f"{file_name}: {n_extra} doppelte(s) Gebäude (gleiche OSM-Kennung) nur einmal gezählt.")
        out = _dedupe(out)
    return out


def _building_tags(frame: pd.DataFrame) -> pd.Series:
    """``building`` values stripped and lower-case; a missing tag counts as ``yes``."""
    if "building" not in frame:
        return pd.Series("yes", index=frame.index, dtype="str")
    building = frame["building"].astype("str").str.strip().str.lower()
    return building.mask(building.isna() | (building == ""), "yes")


def _normalise_ids(values: pd.Series) -> pd.Series:
    """OSM ids as text: ``31193969``, ``"31193969"``, ``"way/31193969"`` -> ``"31193969"``."""
    if pd.api.types.is_float_dtype(values):
        ints = values.round().astype("Int64")
        return ints.astype("str").where(ints.notna(), None).astype("str")
    if pd.api.types.is_integer_dtype(values):
        return values.astype("Int64").astype("str").where(values.notna(), None).astype("str")
    text = values.astype("str").str.strip()
    plain = text.str.fullmatch(r"[1-9]\d*")
    if plain.all():  # the usual case: plain way ids
        return text
    match = text.str.extract(_ID_PATTERN)
    prefix = np.where(match[1].notna(), "r", np.where(match[2].notna(), "n", ""))
    digits = match[3].astype("str").str.lstrip("0").replace("", "0")
    normal = pd.Series(
        np.char.add(prefix.astype(str), digits.fillna("").to_numpy(dtype=str)), index=values.index
    )
    result = normal.where(digits.notna(), text)  # unknown id formats are kept as they are
    result = result.where(text.notna() & (text != ""), None)
    return result.astype("str")


def _timestamps(values: pd.Series) -> pd.Series:
    numeric = pd.to_numeric(values, errors="coerce")
    if numeric.notna().any() or values.isna().all():
        stamp = pd.to_datetime(numeric, unit="ms", utc=True, errors="coerce")
    else:
        stamp = pd.to_datetime(values, utc=True, errors="coerce", format="ISO8601")
    return stamp.astype("datetime64[ms, UTC]")


def _polygons(geoms: np.ndarray) -> tuple[list[shapely.Geometry | None], list[str]]:
    """Polygonal footprints; None where there is none. Returns the footprints and German notes."""
    notes: list[str] = []
    out: list[shapely.Geometry | None] = list(geoms)
    n_missing = n_repaired = n_closed = n_other = 0
    kinds = shapely.get_type_id(np.asarray(geoms, dtype=object))
    valid = shapely.is_valid(np.asarray(geoms, dtype=object))
    for i, geom in enumerate(out):
        if geom is None or geom.is_empty:
            out[i] = None
            n_missing += 1
            continue
        if kinds[i] in (3, 6) and valid[i]:  # Polygon, MultiPolygon
            continue
        if kinds[i] in (1, 2) and geom.is_closed and len(geom.coords) >= 4:  # LineString, LinearRing
            geom = shapely.make_valid(shapely.Polygon(geom.coords))
            n_closed += 1
        elif kinds[i] in (3, 6, 7):
            geom = shapely.make_valid(geom)
            n_repaired += 1
        poly = _polygonal(geom)
        if poly is None:
            n_other += 1
        out[i] = poly
    if n_missing:
        notes.append(f"{n_missing} Objekt(e) ohne Geometrie übergangen.")
    if n_repaired:
        notes.append(f"{n_repaired} ungültige Umrisse repariert (make_valid).")
    if n_closed:
        notes.append(f"{n_closed} geschlossene Linie(n) als Fläche gelesen.")
    if n_other:
        notes.append(f"{n_other} Objekt(e) ohne Fläche (Punkt oder offene Linie) übergangen.")
    return out, notes


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry | None:
    if geom is None or geom.is_empty:
        return None
    if geom.geom_type in _POLYGONAL:
        return geom
    polys = [q for p in shapely.get_parts(geom) if p.geom_type in _POLYGONAL for q in shapely.get_parts(p)]
    polys = [p for p in polys if not p.is_empty]
    if not polys:
        return None
    return polys[0] if len(polys) == 1 else shapely.MultiPolygon(polys)


def _dedupe(frame: pd.DataFrame) -> pd.DataFrame:
    """Keep one row per ``osm_id``: highest version, then latest timestamp, then first seen."""
    if not frame["osm_id"].duplicated().any():
        return frame
    order = frame.assign(_pos=np.arange(len(frame)))
    keys = ["osm_id", *(c for c in ("version", "timestamp") if c in frame.columns), "_pos"]
    order = order.sort_values(
        keys,
        ascending=[True] + [False] * (len(keys) - 2) + [True],
        na_position="last",
        kind="stable",
    )
    order = order.drop_duplicates("osm_id", keep="first").sort_values("_pos", kind="stable")
    return frame.loc[order.index].reset_index(drop=True)


def _merge(frames: list[pd.DataFrame]) -> gpd.GeoDataFrame:
    nonempty = [f for f in frames if len(f)]
    merged = (
        pd.concat(nonempty, ignore_index=True) if nonempty else frames[0].iloc[0:0].reset_index(drop=True)
    )
    merged = _dedupe(merged).sort_values("osm_id", kind="stable").reset_index(drop=True)
    return gpd.GeoDataFrame(merged, geometry="geometry", crs=settings.storage_crs)
