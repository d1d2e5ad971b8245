"""Building-stock development (Standortentwicklung) from OpenStreetMap snapshots.

Input is a series of building snapshots: one GeoJSON (or any GDAL vector
file) per area and date, each feature one building footprint with its OSM id
(``id``), ``version``, ``timestamp`` (ms since 1970) and every OSM tag as a
property. Snapshots of several areas with the same date are merged into one
snapshot of that date.

What is counted
---------------
Snapshot date
    Taken from the file name: a full date (``2024-06-30``) or a year
    (``Volkmarsdorf-2024-buildings.geojson`` gives 2024-01-01, since the
    extracts show OpenStreetMap "at the start of each year"); or given with
    ``dates``.
Building
    One OSM id per snapshot. Duplicates -- the same id twice in a file, or in
    the files of two areas because it straddles their border -- count once;
    the copy with the highest ``version`` (then the latest ``timestamp``) is
    kept. Features tagged ``building=no`` are not buildings (mappers use it for
    demolished ones) and are left out; a missing ``building`` tag counts as
    ``building=yes``. Features without geometry are left out, invalid ones are
    repaired with ``make_valid``; closed lines become polygons.
Ortsteil / quarter
    By location, not by file name: the Ortsteil whose polygon contains a point
    inside the footprint (``point_on_surface`` in :data:`geo.settings.metric_crs`,
    see :func:`geo.places.areas.assign_areas`). Buildings outside every polygon form
    the group :data:`geo.settings.unassigned_label`.
Footprint
    Area of the footprint in m², computed in :data:`geo.settings.metric_crs`
    (EPSG:25833).
Commercial
    See :func:`commercial_flags`: a commercial building type, any ``shop``,
    ``office`` or ``craft`` tag, a commercial ``amenity`` or a hotel-like
    ``tourism`` tag.
Added / removed
    By OSM id between consecutive snapshots: an id in this snapshot and not in
    the previous one is *added* (counted where it lies now); an id in the
    previous and not in this one is *removed* (counted where it lay). The first
    snapshot of a series has nothing to compare with: its ``added``,
    ``removed`` and ``changed`` figures are missing (NA), not 0.
Geometry changed
    The footprint of an id present in both snapshots moved or changed shape
    noticeably: Hausdorff distance above :data:`MIN_SHIFT_M` (0.5 m) **and**
    symmetric difference above :data:`MIN_AREA_CHANGE_M2` (1 m²), both in
    EPSG:25833. Identical coordinates, added or reordered vertices and
    sub-decimetre re-alignments are not changes.
Use changed
    The ``building`` tag changed (``yes`` -> ``retail``) or the commercial flag
    changed (a shop appeared or disappeared).
Changed
    Geometry or use changed (a building with both counts once).

Every figure describes the state of OpenStreetMap, not of the city: show
:data:`CAVEAT` with every table, chart or map made from these figures.
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import settings
from geo.errors import InputError, QuartiersmonitorError
from geo.outputs.tables import emit

log = logging.getLogger(__name__)

__all__ = [
    "CAVEAT",
    "CHANGE_COLUMNS",
    "COMMERCIAL_AMENITY_VALUES",
    "COMMERCIAL_BUILDING_VALUES",
    "COMMERCIAL_TOURISM_VALUES",
    "KIND_LABELS",
    "MIN_AREA_CHANGE_M2",
    "MIN_SHIFT_M",
    "STATS_COLUMNS",
    "add_cli",
    "analyse_files",
    "analyse_folder",
    "building_changes",
    "building_stats",
    "commercial_flags",
    "load_snapshots",
    "run_cli",
    "snapshot_date",
]

GroupBy = Literal["ortsteil", "quarter"]

#: Shown with every figure, table and map made from OSM building snapshots.
CAVEAT: str = (
    "OSM-Zuwachs spiegelt Kartierungsaktivität ebenso wie Bautätigkeit wider: "
    "Ein neu erfasstes Gebäude kann ein Neubau sein oder ein lange bestehendes, erst jetzt "
    "in OpenStreetMap eingetragenes Gebäude; ein entferntes Gebäude ist nicht unbedingt abgerissen, "
    "eine geänderte Nutzung nicht unbedingt tatsächlich neu. Gewerbe zählt nur, wo es am Gebäudeumriss "
    "selbst eingetragen ist (als eigene Punkte erfasste Geschäfte fehlen). Die Zahlen beschreiben den Stand der "
    "OpenStreetMap-Daten (© OpenStreetMap-Mitwirkende, ODbL), keine amtliche Bau- oder Gewerbestatistik."
)

#: ``building=*`` values that make a building commercial by themselves.
COMMERCIAL_BUILDING_VALUES: frozenset[str] = frozenset(
    {"commercial", "industrial", "kiosk", "office", "retail", "supermarket"}
)

#: ``amenity=*`` values of private businesses in commercial premises. Public,
#: social and infrastructure amenities (school, kindergarten, place_of_worship,
#: social_facility, community_centre, townhall, fire_station, hospital, parking,
#: shelter, toilets, bench, ...) do not make a building commercial.
COMMERCIAL_AMENITY_VALUES: frozenset[str] = frozenset(
    {
        "bank", "bar", "biergarten", "bicycle_rental", "boat_rental", "bureau_de_change",
        "car_rental", "car_wash", "casino", "cafe", "cinema", "coworking_space", "dentist",
        "dive_centre", "doctors", "driving_school", "fast_food", "food_court", "fuel",
        "gambling", "ice_cream", "internet_cafe", "marketplace", "money_transfer",
        "nightclub", "pharmacy", "post_office", "pub", "restaurant", "sauna", "studio",
        "vehicle_inspection", "veterinary",
    }
)  # fmt: skip

#: ``tourism=*`` values of accommodation businesses.
COMMERCIAL_TOURISM_VALUES: frozenset[str] = frozenset({"guest_house", "hostel", "hotel", "motel"})

#: Tag keys whose presence (any value but ``no``/``none``) makes a building commercial.
#: ``shop=vacant`` counts: the premises are commercial, currently empty.
COMMERCIAL_ANY_VALUE_KEYS: tuple[str, ...] = ("shop", "office", "craft")

#: A footprint counts as changed only if it moved by more than this (Hausdorff distance, m) ...
MIN_SHIFT_M: float = 0.5

#: ... and its symmetric difference with the old footprint exceeds this (m²).
MIN_AREA_CHANGE_M2: float = 1.0

#: Columns of :func:`building_stats` (in this order).
STATS_COLUMNS: tuple[str, ...] = (
    "group",
    "date",
    "buildings",
    "footprint_m2",
    "commercial",
    "added",
    "removed",
    "changed",
    "geometry_changed",
    "use_changed",
)

#: Columns of :func:`building_changes` (in this order).
CHANGE_COLUMNS: tuple[str, ...] = (
    "osm_id",
    "date",
    "previous_date",
    "year",
    "kind",
    "kind_label",
    "geometry_changed",
    "use_changed",
    "old_building",
    "new_building",
    "old_commercial",
    "new_commercial",
    "footprint_m2",
    "ortsteil",
    "quarter",
    "geometry",
)

#: German labels of the ``kind`` codes of :func:`building_changes`.
KIND_LABELS: dict[str, str] = {
    "added": "neu erfasst",
    "removed": "entfernt",
    "changed": "verändert",
}

#: Tags read from the files when only the figures are wanted.
ANALYSIS_TAGS: tuple[str, ...] = ("building", "shop", "office", "craft", "amenity", "tourism")

_ID_CANDIDATES = ("id", "osm_id", "@id", "osm_way_id")
_FULL_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
_ID_PATTERN = re.compile(r"^(?:(way|w)/?|(relation|r)/?|(node|n)/?)?(\d+)(?:\.0+)?$", re.IGNORECASE)
_NO_VALUES = frozenset({"", "no", "none"})
_POLYGONAL = ("Polygon", "MultiPolygon")
#: Column names of the snapshot table; OSM tags of the same name get the prefix ``tag:``.
_RESERVED = frozenset({"date", "osm_id", "file", "geometry"})


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
) -> gpd.GeoDataFrame:
    """Read building snapshots, one file per area and date, into one table.

    Files with the same date are merged into one snapshot; a building that
    appears in several of them (it straddles an area border) or twice in one
    file is kept once (highest ``version``, then latest ``timestamp``).
    See the module documentation for what is cleaned. What was cleaned is
    logged and listed, as German sentences, in ``result.attrs["notes"]``.

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
    geopandas.GeoDataFrame
        One row per snapshot date and building, sorted by date and id, with
        ``date`` (snapshot date), ``osm_id`` (text: ``"31193969"`` for ways,
        ``"r123"``/``"n123"`` for relations/nodes), ``version`` (Int64),
        ``timestamp`` (UTC), ``file`` (file name), the tags and
        ``geometry`` (polygons, EPSG:4326). A tag named like one of these
        columns (``date``, ``file``) is kept as ``tag:date``, ``tag:file``.

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
    out.attrs["notes"] = notes
    return out


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


# -- commercial use ----------------------------------------------------------------


def commercial_flags(buildings: pd.DataFrame) -> pd.Series:
    """Whether each building has a commercial use.

    A building is commercial when at least one holds (tag values compared
    case-insensitively, ``;``-separated lists value by value):

    * ``building`` is one of :data:`COMMERCIAL_BUILDING_VALUES`
      (retail, commercial, office, industrial, supermarket, kiosk);
    * it has a ``shop``, ``office`` or ``craft`` tag with any value but
      ``no``/``none`` -- including ``shop=vacant``: the premises are
      commercial, currently empty, which is what a vacancy monitor watches;
    * ``amenity`` is one of :data:`COMMERCIAL_AMENITY_VALUES` (restaurant,
      cafe, bank, pharmacy, doctors, fuel, ...). Public, social and
      infrastructure amenities (school, place_of_worship, social_facility,
      parking, bench, shelter, toilets, ...) do not count;
    * ``tourism`` is one of :data:`COMMERCIAL_TOURISM_VALUES` (hotel, hostel,
      guest_house, motel).

    ``building:use``, ``leisure`` and ``healthcare`` are not considered.
    Missing tag columns count as "tag absent". Only tags on the footprint
    itself count: shops mapped as separate OSM nodes inside a building are
    not seen, so the figure is a lower bound (in the Leipzig extracts of
    2014 only a handful of buildings carry such tags).

    Parameters
    ----------
    buildings
        Table with (some of) the tag columns ``building``, ``shop``,
        ``office``, ``craft``, ``amenity``, ``tourism``.

    Returns
    -------
    pandas.Series
        Boolean, aligned to ``buildings``.
    """
    flag = np.zeros(len(buildings), dtype=bool)
    rules: list[tuple[str, frozenset[str] | None]] = [
        ("building", COMMERCIAL_BUILDING_VALUES),
        ("amenity", COMMERCIAL_AMENITY_VALUES),
        ("tourism", COMMERCIAL_TOURISM_VALUES),
        *((key, None) for key in COMMERCIAL_ANY_VALUE_KEYS),
    ]
    for key, allowed in rules:
        if key not in buildings.columns:
            continue
        values = buildings[key]
        present = values.notna().to_numpy()
        if not present.any():
            continue
        uniques = pd.unique(values[present].astype("str"))
        verdict = {u: _tag_matches(u, allowed) for u in uniques}
        hit = np.zeros(len(values), dtype=bool)
        hit[present] = values[present].astype("str").map(verdict).to_numpy(dtype=bool)
        flag |= hit
    return pd.Series(flag, index=buildings.index, name="commercial")


def _tag_matches(value: str, allowed: frozenset[str] | None) -> bool:
    parts = [p.strip().lower() for p in str(value).split(";")]
    if allowed is None:
        return any(p not in _NO_VALUES for p in parts)
    return any(p in allowed for p in parts)


# -- the comparison engine ------------------------------------------------------------


@dataclass
class _Prepared:
    """One snapshot ready for comparison, indexed by OSM id."""

    date: pd.Timestamp
    ids: pd.Index
    building: np.ndarray
    commercial: np.ndarray
    area: np.ndarray
    ortsteil: np.ndarray
    quarter: np.ndarray
    metric: np.ndarray
    geometry: np.ndarray
    areas: frozenset[str] | None


def _boundaries(boundaries: gpd.GeoDataFrame | str | Path) -> gpd.GeoDataFrame:
    if isinstance(boundaries, (str, Path)):
        from geo.places.areas import load_boundaries

        boundaries = load_boundaries(boundaries)
    if not isinstance(boundaries, gpd.GeoDataFrame) or "name" not in boundaries.columns:
        raise InputError(
            "Die Ortsteilgrenzen brauchen eine Spalte „name“; bitte mit geo.places.areas.load_boundaries laden."
        )
    metric = boundaries if boundaries.crs is not None else boundaries.set_crs(settings.storage_crs)
    return metric.to_crs(settings.metric_crs)


def _prepare(snap: pd.DataFrame, day: pd.Timestamp, boundaries_metric: gpd.GeoDataFrame | None) -> _Prepared:
    from geo.places.areas import assign_areas

    if isinstance(snap, gpd.GeoDataFrame) and snap._geometry_column_name in snap.columns:
        values, crs = snap.geometry.to_numpy(), snap.crs
    else:
        values, crs = np.asarray(snap["geometry"], dtype=object), None
    building = _building_tags(snap)
    usable = (building != "no").to_numpy() & ~shapely.is_missing(values) & ~shapely.is_empty(values)
    snap = snap.assign(building=building).loc[usable]
    snap = _dedupe(snap.reset_index(drop=True).assign(geometry=values[usable]))
    geoms = gpd.GeoSeries(snap["geometry"].to_numpy(), crs=crs or settings.storage_crs)
    metric = geoms.to_crs(settings.metric_crs)
    n = len(snap)
    if boundaries_metric is not None and n:
        located = assign_areas(
            gpd.GeoDataFrame(geometry=metric.values, crs=settings.metric_crs), boundaries_metric
        )
        ortsteil = located["ortsteil"].to_numpy(dtype=object)
        quarter = located["quarter"].to_numpy(dtype=object)
    else:
        ortsteil = np.full(n, None, dtype=object)
        quarter = np.full(n, None, dtype=object)
    building = snap["building"].to_numpy(dtype=object)
    areas = None
    if "file" in snap:
        areas = frozenset(_area_key(Path(str(s))) for s in pd.unique(snap["file"].dropna()))
    return _Prepared(
        date=day,
        ids=pd.Index(snap["osm_id"].astype("str").to_numpy(dtype=object), dtype=object),
        building=building,
        commercial=commercial_flags(snap).to_numpy(dtype=bool),
        area=shapely.area(metric.to_numpy()),
        ortsteil=np.array([None if pd.isna(v) else v for v in ortsteil], dtype=object),
        quarter=np.array([None if pd.isna(v) else v for v in quarter], dtype=object),
        metric=metric.to_numpy(),
        geometry=geoms.to_numpy(),
        areas=areas,
    )


def _geometry_changed(old: np.ndarray, new: np.ndarray) -> np.ndarray:
    changed = np.zeros(len(old), dtype=bool)
    if not len(old):
        return changed
    differ = ~shapely.equals_exact(old, new, tolerance=0.0)
    if not differ.any():
        return changed
    a, b = old[differ], new[differ]
    shift = shapely.hausdorff_distance(a, b)
    candidate = shift > MIN_SHIFT_M
    if candidate.any():
        ca, cb = a[candidate], b[candidate]
        ca = np.where(shapely.is_valid(ca), ca, shapely.make_valid(ca))
        cb = np.where(shapely.is_valid(cb), cb, shapely.make_valid(cb))
        sym = shapely.area(shapely.symmetric_difference(ca, cb))
        candidate[candidate] = sym > MIN_AREA_CHANGE_M2
    changed[differ] = candidate
    return changed


def _compare(prev: _Prepared, cur: _Prepared) -> pd.DataFrame:
    """Events between two snapshots: one row per added, removed or changed building."""
    in_prev = cur.ids.isin(prev.ids)
    in_cur = prev.ids.isin(cur.ids)
    added = np.flatnonzero(~in_prev)
    removed = np.flatnonzero(~in_cur)
    common_cur = np.flatnonzero(in_prev)
    common_prev = prev.ids.get_indexer(cur.ids[common_cur])
    geom = _geometry_changed(prev.metric[common_prev], cur.metric[common_cur])
    use = (prev.building[common_prev] != cur.building[common_cur]) | (
        prev.commercial[common_prev] != cur.commercial[common_cur]
    )
    changed = geom | use
    ch_cur, ch_prev = common_cur[changed], common_prev[changed]
    n_add, n_rem, n_ch = len(added), len(removed), len(ch_cur)

    def cat(*arrays: np.ndarray) -> np.ndarray:
        return np.concatenate([np.asarray(a, dtype=object) for a in arrays])

    return pd.DataFrame(
        {
            "osm_id": cat(cur.ids[added], prev.ids[removed], cur.ids[ch_cur]),
            "kind": cat(np.full(n_add, "added"), np.full(n_rem, "removed"), np.full(n_ch, "changed")),
            "geometry_changed": np.concatenate([np.zeros(n_add + n_rem, bool), geom[changed]]),
            "use_changed": np.concatenate([np.zeros(n_add + n_rem, bool), use[changed]]),
            "old_building": cat(np.full(n_add, None), prev.building[removed], prev.building[ch_prev]),
            "new_building": cat(cur.building[added], np.full(n_rem, None), cur.building[ch_cur]),
            "old_commercial": cat(np.full(n_add, None), prev.commercial[removed], prev.commercial[ch_prev]),
            "new_commercial": cat(cur.commercial[added], np.full(n_rem, None), cur.commercial[ch_cur]),
            "footprint_m2": np.concatenate([cur.area[added], prev.area[removed], cur.area[ch_cur]]),
            "ortsteil": cat(cur.ortsteil[added], prev.ortsteil[removed], cur.ortsteil[ch_cur]),
            "quarter": cat(cur.quarter[added], prev.quarter[removed], cur.quarter[ch_cur]),
            "geometry": cat(cur.geometry[added], prev.geometry[removed], cur.geometry[ch_cur]),
        }
    )


def _group_labels(ortsteil: np.ndarray, quarter: np.ndarray, by: GroupBy) -> np.ndarray:
    values = ortsteil if by == "ortsteil" else quarter
    return np.array(
        [settings.unassigned_label if v is None or pd.isna(v) else str(v) for v in values], dtype=object
    )


def _check_by(by: str) -> GroupBy:
    if by not in ("ortsteil", "quarter"):
        raise InputError(f"Gruppierung „{by}“ unbekannt; erlaubt: ortsteil, quarter.")
    return by  # type: ignore[return-value]


def _area_notes(prev: _Prepared, cur: _Prepared) -> list[str]:
    if prev.areas is None or cur.areas is None or prev.areas == cur.areas:
        return []
    notes = []
    gone = sorted(prev.areas - cur.areas)
    new = sorted(cur.areas - prev.areas)
    when = f"{cur.date:%Y-%m-%d} (gegenüber {prev.date:%Y-%m-%d})"
    if gone:
        notes.append(
            f"Stichtag {when}: keine Datei für {', '.join(gone)} – deren Gebäude erscheinen als entfernt."
        )
    if new:
        notes.append(
            f"Stichtag {when}: erstmals Datei(en) für {', '.join(new)} – deren Gebäude erscheinen als neu."
        )
    return notes


def _stats_rows(prev: _Prepared | None, cur: _Prepared, by: GroupBy, notes: list[str]) -> pd.DataFrame:
    groups = _group_labels(cur.ortsteil, cur.quarter, by)
    base = pd.DataFrame(
        {"group": groups, "area": cur.area, "commercial": cur.commercial.astype(np.int64)}
    ).groupby("group", sort=True)
    frame = pd.DataFrame(
        {
            "buildings": base.size(),
            "footprint_m2": base["area"].sum(),
            "commercial": base["commercial"].sum(),
        }
    )
    counts = ["added", "removed", "changed", "geometry_changed", "use_changed"]
    if prev is None:
        for col in counts:
            frame[col] = pd.NA
    else:
        notes.extend(_area_notes(prev, cur))
        events = _compare(prev, cur)
        events["group"] = _group_labels(events["ortsteil"].to_numpy(), events["quarter"].to_numpy(), by)
        tallies = (
            pd.DataFrame(
                {
                    "group": events["group"],
                    "added": events["kind"] == "added",
                    "removed": events["kind"] == "removed",
                    "changed": events["kind"] == "changed",
                    "geometry_changed": events["geometry_changed"].astype(bool),
                    "use_changed": events["use_changed"].astype(bool),
                }
            )
            .groupby("group", sort=True)
            .sum()
        )
        frame = frame.join(tallies, how="outer")
    frame.index.name = "group"
    frame = frame.reset_index()
    frame.insert(1, "date", cur.date)
    return frame


def _assemble(rows: list[pd.DataFrame], days: list[pd.Timestamp]) -> pd.DataFrame:
    if rows:
        stats = pd.concat(rows, ignore_index=True)
    else:  # pragma: no cover - there is always at least one date
        stats = pd.DataFrame(columns=list(STATS_COLUMNS))
    groups = sorted(pd.unique(stats["group"].astype("str")), key=_group_sort_key)
    grid = pd.MultiIndex.from_product([groups, days], names=["group", "date"])
    stats = stats.set_index(["group", "date"]).reindex(grid).reset_index()
    first = stats["date"] == days[0]
    stats["buildings"] = stats["buildings"].fillna(0).astype(np.int64)
    stats["commercial"] = stats["commercial"].fillna(0).astype(np.int64)
    stats["footprint_m2"] = stats["footprint_m2"].fillna(0.0).astype(np.float64)
    for col in ("added", "removed", "changed", "geometry_changed", "use_changed"):
        values = pd.to_numeric(stats[col]).astype("Float64").fillna(0).round().astype("Int64")
        stats[col] = values.mask(first, pd.NA)
    stats["group"] = stats["group"].astype("str")
    stats["date"] = pd.to_datetime(stats["date"]).astype("datetime64[s]")
    return stats[list(STATS_COLUMNS)]


def _group_sort_key(label: str) -> tuple[int, str]:
    from geo.places.areas import normalize_name

    return (1 if label == settings.unassigned_label else 0, normalize_name(label))


def _run(
    snapshots: Iterable[tuple[pd.Timestamp, pd.DataFrame]],
    boundaries: gpd.GeoDataFrame | str | Path,
    by: str,
    notes: list[str],
) -> pd.DataFrame:
    by = _check_by(by)
    bounds = _boundaries(boundaries)
    rows: list[pd.DataFrame] = []
    days: list[pd.Timestamp] = []
    prev: _Prepared | None = None
    for day, snap in snapshots:
        cur = _prepare(snap, day, bounds)
        rows.append(_stats_rows(prev, cur, by, notes))
        days.append(day)
        prev = cur  # only the previous snapshot is kept
    stats = _assemble(rows, days)
    stats.attrs["notes"] = list(dict.fromkeys(notes))
    stats.attrs["caveat"] = CAVEAT
    return stats


def _by_date(snapshots: gpd.GeoDataFrame) -> Iterator[tuple[pd.Timestamp, gpd.GeoDataFrame]]:
    missing = [c for c in ("osm_id", "date") if c not in snapshots.columns]
    if missing:
        raise InputError(
            f"Der Gebäudebestand hat keine Spalte(n) {', '.join(missing)}; bitte mit "
            "geo.osm.buildings.load_snapshots laden."
        )
    if snapshots["date"].isna().any():
        raise InputError("Im Gebäudebestand fehlt bei einigen Gebäuden der Stichtag (Spalte „date“).")
    days = pd.to_datetime(snapshots["date"]).dt.normalize()
    if not len(snapshots):
        raise InputError("Der Gebäudebestand ist leer: keine Schnappschüsse.")
    for day in sorted(pd.unique(days)):
        yield pd.Timestamp(day), snapshots.loc[(days == day).to_numpy()]


# -- public analyses -------------------------------------------------------------------


def building_stats(
    snapshots: gpd.GeoDataFrame,
    boundaries: gpd.GeoDataFrame | str | Path,
    *,
    by: GroupBy = "ortsteil",
) -> pd.DataFrame:
    """Building figures per Ortsteil (or quarter) and snapshot date.

    Definitions in the module documentation; show :data:`CAVEAT` with them.

    Parameters
    ----------
    snapshots
        Snapshots as returned by :func:`load_snapshots` (at least ``date``,
        ``osm_id`` and ``geometry``; ``building`` and the other tags as far as
        present).
    boundaries
        Ortsteil boundaries from :mod:`geo.places.areas` (``name``, ``quarter``), or
        a boundary file to read with :func:`geo.places.areas.load_boundaries`.
    by
        ``"ortsteil"`` or ``"quarter"``: where buildings are counted, by
        their location.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`STATS_COLUMNS`; one row per group and snapshot date
        (every group that has buildings at any date, at every date), sorted by
        group and date; buildings outside every polygon (or quarter) form the
        group :data:`geo.settings.unassigned_label`. ``buildings`` and
        ``commercial`` are counts, ``footprint_m2`` the summed footprint;
        ``added``, ``removed``, ``changed``, ``geometry_changed`` and
        ``use_changed`` count events since the previous snapshot and are NA
        at the first date. ``attrs["notes"]`` lists German remarks (cleaned
        data, files missing at a date), ``attrs["caveat"]`` is :data:`CAVEAT`.

    Raises
    ------
    InputError
        If ``by`` is unknown, the snapshots lack ``osm_id`` or ``date``, or
        the boundaries have no ``name``.
    """
    notes = list(snapshots.attrs.get("notes", []))
    return _run(_by_date(snapshots), boundaries, by, notes)


def analyse_files(
    paths: Iterable[str | Path],
    boundaries: gpd.GeoDataFrame | str | Path,
    *,
    by: GroupBy = "ortsteil",
    dates: Mapping[str | Path, Any] | None = None,
) -> pd.DataFrame:
    """:func:`building_stats` straight from snapshot files, one date at a time.

    Only the files of one date and the prepared previous snapshot are held in
    memory, and only the tags the figures need are read.

    Parameters
    ----------
    paths
        Snapshot files (see :func:`load_snapshots`).
    boundaries
        Ortsteil boundaries, or a boundary file (see :func:`building_stats`).
    by
        ``"ortsteil"`` or ``"quarter"``.
    dates
        Snapshot date per file (see :func:`snapshot_date`).

    Returns
    -------
    pandas.DataFrame
        As :func:`building_stats`.

    Raises
    ------
    InputError
        As :func:`load_snapshots` and :func:`building_stats`.
    """
    _check_by(by)
    notes: list[str] = []
    return _run(_iter_dates(paths, dates=dates, tags=(), notes=notes), boundaries, by, notes)


def analyse_folder(
    folder: str | Path,
    boundaries: gpd.GeoDataFrame | str | Path,
    *,
    by: GroupBy = "ortsteil",
    pattern: str = "*-buildings.geojson",
) -> pd.DataFrame:
    """:func:`building_stats` for every snapshot file in a folder.

    Parameters
    ----------
    folder
        Folder with files like ``Volkmarsdorf-2024-buildings.geojson``
        (area, year of the snapshot).
    boundaries
        Ortsteil boundaries, or a boundary file (see :func:`building_stats`).
    by
        ``"ortsteil"`` or ``"quarter"``.
    pattern
        Glob pattern of the snapshot files in ``folder``.

    Returns
    -------
    pandas.DataFrame
        As :func:`building_stats`.

    Raises
    ------
    InputError
        If the folder does not exist or holds no matching file, and as
        :func:`analyse_files`.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"Ordner mit Gebäude-Schnappschüssen nicht gefunden: {folder}")
    paths = sorted(folder.glob(pattern))
    if not paths:
        raise InputError(
            f"Im Ordner {folder} liegen keine Dateien „{pattern}“. Erwartet werden Schnappschüsse "
            "wie „Volkmarsdorf-2024-buildings.geojson“ (Gebiet-Jahr-buildings.geojson)."
        )
    return analyse_files(paths, boundaries, by=by)


def building_changes(
    snapshots: gpd.GeoDataFrame,
    *,
    since: int | str | date | datetime | pd.Timestamp | None = None,
    boundaries: gpd.GeoDataFrame | str | Path | None = None,
) -> gpd.GeoDataFrame:
    """Buildings added, removed or changed between consecutive snapshots, for maps.

    Parameters
    ----------
    snapshots
        Snapshots as returned by :func:`load_snapshots`.
    since
        Only events of snapshots on or after this date; a year (``2018``)
        means January 1 of that year. Default: all (from the second snapshot on).
    boundaries
        Ortsteil boundaries (see :func:`building_stats`) to fill ``ortsteil``
        and ``quarter``; default: left missing.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns :data:`CHANGE_COLUMNS`, one row per building and snapshot in
        which it was added, removed or changed, sorted by date, kind and id.
        ``date`` is the snapshot where the event is first seen (a building
        added at 2018-01-01 appeared in OSM during 2017), ``year`` its year
        (for colouring maps). ``kind`` is ``added``, ``removed`` or
        ``changed`` (German in ``kind_label``); for ``changed`` the flags
        ``geometry_changed`` and ``use_changed`` tell what changed.
        ``old_*`` are missing for added, ``new_*`` for removed buildings.
        ``footprint_m2`` and ``geometry`` (EPSG:4326) are the new footprint,
        for removed buildings the last one. ``attrs["caveat"]`` is :data:`CAVEAT`.

    Raises
    ------
    InputError
        If ``since`` is no date or the snapshots lack ``osm_id`` or ``date``.
    """
    start = None
    if since is not None:
        start = (
            pd.Timestamp(int(since), 1, 1)
            if isinstance(since, int) and not isinstance(since, bool)
            else _as_date(since, where="Option „since“")
        )
    bounds = _boundaries(boundaries) if boundaries is not None else None
    series = list(_by_date(snapshots))
    first = 1
    if start is not None:
        # events from ``start`` on need the snapshot right before it as baseline
        first = max(1, next((i for i, (day, _) in enumerate(series) if day >= start), len(series)))
    parts: list[pd.DataFrame] = []
    prev: _Prepared | None = None
    for day, snap in series[first - 1 :]:
        cur = _prepare(snap, day, bounds)
        if prev is not None:
            events = _compare(prev, cur)
            events.insert(1, "date", day)
            events.insert(2, "previous_date", prev.date)
            parts.append(events)
        prev = cur
    columns = [c for c in CHANGE_COLUMNS if c not in ("year", "kind_label")]
    if parts:
        out = pd.concat(parts, ignore_index=True)
    else:
        out = pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})
    out["date"] = pd.to_datetime(out["date"]).astype("datetime64[s]")
    out["previous_date"] = pd.to_datetime(out["previous_date"]).astype("datetime64[s]")
    out["year"] = out["date"].dt.year.astype("Int64")
    out["kind_label"] = out["kind"].map(KIND_LABELS)
    for col in (
        "osm_id",
        "kind",
        "kind_label",
        "old_building",
        "new_building",
        "ortsteil",
        "quarter",
    ):
        out[col] = out[col].astype("str")
    for col in ("old_commercial", "new_commercial"):
        out[col] = out[col].astype("boolean")
    for col in ("geometry_changed", "use_changed"):
        out[col] = out[col].astype(bool)
    out["footprint_m2"] = out["footprint_m2"].astype(np.float64)
    kind_order = out["kind"].map({"added": 0, "removed": 1, "changed": 2})
    out = out.assign(_k=kind_order).sort_values(["date", "_k", "osm_id"], kind="stable").drop(columns="_k")
    result = gpd.GeoDataFrame(
        out[list(CHANGE_COLUMNS)].reset_index(drop=True),
        geometry="geometry",
        crs=settings.storage_crs,
    )
    result.attrs["caveat"] = CAVEAT
    return result


# -- command line ----------------------------------------------------------------------


def add_cli(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``buildings`` subcommand to the command line.

    Parameters
    ----------
    subparsers
        The object returned by :meth:`argparse.ArgumentParser.add_subparsers`.

    Returns
    -------
    argparse.ArgumentParser
        The parser of the subcommand.
    """
    p = subparsers.add_parser(
        "buildings",
        help="Gebäudebestand aus OSM-Schnappschüssen je Ortsteil und Stichtag auswerten",
        description="Gebäudebestand (Anzahl, Grundfläche, gewerblich genutzt) und Veränderungen "
        "(neu, entfernt, verändert) je Ortsteil oder Quartier und Stichtag aus OSM-Gebäude-"
        "Schnappschüssen. Hinweis: " + CAVEAT,
    )
    p.add_argument(
        "files",
        nargs="+",
        type=Path,
        metavar="SCHNAPPSCHUSS",
        help="Gebäude-Schnappschüsse, je Gebiet und Stichtag eine Datei mit der Jahreszahl im "
        "Namen (z. B. Volkmarsdorf-2024-buildings.geojson)",
    )
    p.add_argument("--boundaries", type=Path, required=True, help="Ortsteilgrenzen (Polygonebene)")
    p.add_argument("--name-column", default=None, help="Spalte mit dem Ortsteilnamen in der Grenzdatei")
    p.add_argument("--by", choices=("ortsteil", "quarter"), default="ortsteil", help="Gruppierung")
    p.add_argument("--format", choices=("json", "csv", "table"), default="table", help="Ausgabeformat")
    return p


def run_cli(args: argparse.Namespace) -> int:
    """Run the ``buildings`` subcommand.

    Prints one row per group and snapshot date; remarks and :data:`CAVEAT`
    go to stderr (for ``table`` the caveat follows the table on stdout).

    Parameters
    ----------
    args
        Parsed arguments of the parser made by :func:`add_cli`.

    Returns
    -------
    int
        0 on success, 2 on bad input (one German message on stderr).
    """
    from geo.places.areas import load_boundaries

    try:
        boundaries = load_boundaries(args.boundaries, name_column=getattr(args, "name_column", None))
        stats = analyse_files(args.files, boundaries, by=args.by)
    except QuartiersmonitorError as exc:
        sys.stderr.write(f"Fehler: {exc}\n")
        return 2
    for note in stats.attrs.get("notes", []):
        sys.stderr.write(f"Hinweis: {note}\n")
    emit(stats, args.format)
    if args.format == "table":
        sys.stdout.write(f"\nHinweis: {CAVEAT}\n")
    else:
        sys.stderr.write(f"Hinweis: {CAVEAT}\n")
    return 0

