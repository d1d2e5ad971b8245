"""Building-stock development (Standortentwicklung) from OpenStreetMap snapshots.

Input is a series of building snapshots: one GeoJSON (or any GDAL vector
file) per area and date, each feature one building footprint with its OSM id
(``id``), ``version``, ``timestamp`` (ms since 1970) and every OSM tag as a
property. Snapshots of several areas with the same date are merged into one
snapshot of that date (read by :mod:`geo.osm.snapshots`). :func:`building_stats`
(or :func:`analyse_files`, :func:`analyse_folder` straight from the files) gives
the figures per Ortsteil and date with remarks on the data (:class:`BuildingStats`),
:func:`building_changes` the buildings that changed, for maps.

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
    See :func:`geo.osm.classify.commercial_flags`: a commercial building type, any ``shop``,
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

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import settings
from geo.errors import InputError
from geo.osm._building_diff import MIN_AREA_CHANGE_M2, MIN_SHIFT_M, _boundaries, _compare, _prepare, _Prepared
from geo.osm.snapshots import Snapshots, _as_date, _iter_dates
from geo.text import sort_key

__all__ = [
    "CAVEAT",
    "BuildingStats",
    "CHANGE_COLUMNS",
    "KIND_LABELS",
    "MIN_AREA_CHANGE_M2",
    "MIN_SHIFT_M",
    "STATS_COLUMNS",
    "analyse_files",
    "analyse_folder",
    "building_changes",
    "building_stats",
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


@dataclass(frozen=True)
class BuildingStats:
    """The figures of :func:`building_stats` (and :func:`analyse_files`, :func:`analyse_folder`).

    Attributes
    ----------
    table
        One row per group and snapshot date, columns :data:`STATS_COLUMNS` (see :func:`building_stats`).
    notes
        German remarks on the data: what was cleaned, files missing at a date.
    caveat
        :data:`CAVEAT`, to show with every table, chart or map made from the figures.
    """

    table: pd.DataFrame
    notes: tuple[str, ...] = ()
    caveat: str = CAVEAT


# -- figures per group and date ------------------------------------------------------


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
    return (1 if label == settings.unassigned_label else 0, sort_key(label))


def _run(
    snapshots: Iterable[tuple[pd.Timestamp, pd.DataFrame]],
    boundaries: gpd.GeoDataFrame | str | Path,
    by: str,
    notes: list[str],
) -> BuildingStats:
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
    return BuildingStats(_assemble(rows, days), tuple(dict.fromkeys(notes)))


def _snapshot_frame(snapshots: Snapshots | gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return snapshots.frame if isinstance(snapshots, Snapshots) else snapshots


def _by_date(snapshots: gpd.GeoDataFrame) -> Iterator[tuple[pd.Timestamp, gpd.GeoDataFrame]]:
    missing = [c for c in ("osm_id", "date") if c not in snapshots.columns]
    if missing:
        raise InputError(
            f"Der Gebäudebestand hat keine Spalte(n) {', '.join(missing)}; bitte mit "
            "geo.osm.snapshots.load_snapshots laden."
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
    snapshots: Snapshots | gpd.GeoDataFrame,
    boundaries: gpd.GeoDataFrame | str | Path,
    *,
    by: GroupBy = "ortsteil",
) -> BuildingStats:
    """Building figures per Ortsteil (or quarter) and snapshot date.

    Definitions in the module documentation; show :data:`CAVEAT` with them.

    Parameters
    ----------
    snapshots
        Snapshots as returned by :func:`geo.osm.snapshots.load_snapshots` (their notes are
        carried over), or a table like their ``frame`` (at least ``date``, ``osm_id`` and
        ``geometry``; ``building`` and the other tags as far as present).
    boundaries
        Ortsteil boundaries from :mod:`geo.places.areas` (``name``, ``quarter``), or
        a boundary file to read with :func:`geo.places.areas.load_boundaries`.
    by
        ``"ortsteil"`` or ``"quarter"``: where buildings are counted, by
        their location.

    Returns
    -------
    BuildingStats
        ``table``: columns :data:`STATS_COLUMNS`; one row per group and snapshot date
        (every group that has buildings at any date, at every date), sorted by
        group and date; buildings outside every polygon (or quarter) form the
        group :data:`geo.settings.unassigned_label`. ``buildings`` and
        ``commercial`` are counts, ``footprint_m2`` the summed footprint;
        ``added``, ``removed``, ``changed``, ``geometry_changed`` and
        ``use_changed`` count events since the previous snapshot and are NA
        at the first date. ``notes`` lists German remarks (cleaned data,
        files missing at a date), ``caveat`` is :data:`CAVEAT`.

    Raises
    ------
    InputError
        If ``by`` is unknown, the snapshots lack ``osm_id`` or ``date``, or
        the boundaries have no ``name``.
    """
    notes = list(snapshots.notes) if isinstance(snapshots, Snapshots) else []
    return _run(_by_date(_snapshot_frame(snapshots)), boundaries, by, notes)


def analyse_files(
    paths: Iterable[str | Path],
    boundaries: gpd.GeoDataFrame | str | Path,
    *,
    by: GroupBy = "ortsteil",
    dates: Mapping[str | Path, Any] | None = None,
) -> BuildingStats:
    """:func:`building_stats` straight from snapshot files, one date at a time.

    Only the files of one date and the prepared previous snapshot are held in
    memory, and only the tags the figures need are read.

    Parameters
    ----------
    paths
        Snapshot files (see :func:`geo.osm.snapshots.load_snapshots`).
    boundaries
        Ortsteil boundaries, or a boundary file (see :func:`building_stats`).
    by
        ``"ortsteil"`` or ``"quarter"``.
    dates
        Snapshot date per file (see :func:`geo.osm.snapshots.snapshot_date`).

    Returns
    -------
    BuildingStats
        As :func:`building_stats`; ``notes`` include what was cleaned in the files.

    Raises
    ------
    InputError
        As :func:`geo.osm.snapshots.load_snapshots` and :func:`building_stats`.
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
) -> BuildingStats:
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
    BuildingStats
        As :func:`analyse_files`.

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
    snapshots: Snapshots | gpd.GeoDataFrame,
    *,
    since: int | str | date | datetime | pd.Timestamp | None = None,
    boundaries: gpd.GeoDataFrame | str | Path | None = None,
) -> gpd.GeoDataFrame:
    """Buildings added, removed or changed between consecutive snapshots, for maps.

    Parameters
    ----------
    snapshots
        Snapshots as returned by :func:`geo.osm.snapshots.load_snapshots`, or their ``frame``.
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
        for removed buildings the last one. Show :data:`CAVEAT` with them.

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
    series = list(_by_date(_snapshot_frame(snapshots)))
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
    return gpd.GeoDataFrame(
        out[list(CHANGE_COLUMNS)].reset_index(drop=True),
        geometry="geometry",
        crs=settings.storage_crs,
    )
