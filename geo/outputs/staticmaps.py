"""Static maps with matplotlib: no browser, no internet.

Every map is drawn in :data:`MAP_CRS` (EPSG:25833, metres), so the scale bar
is exact. A map shows the Ortsteil outlines (the quarter's outline thicker),
streets when a street layer is given (e.g. the cached OpenStreetMap network,
see :func:`load_streets`), the units, a legend, a scale bar, a north arrow
(pointing to true north, i.e. turned by the grid convergence), a date stamp
and the attribution of every data source shown. A base map of tiles is drawn
only when asked for, when the optional package ``contextily`` is installed and
when the tiles can be fetched; otherwise the map says „ohne Hintergrundkarte“.

Map functions return a :class:`matplotlib.figure.Figure` (made without
pyplot, so nothing global is touched); :func:`save_figure` writes PNG or SVG.

Public maps never show a vacant unit on its own (unless the user allows it):
:func:`geo.outputs.segments.street_segments` cuts each street within an Ortsteil
into sections of at least ``min_units`` units and about ``length_m`` metres, and
:func:`segment_map` colours those sections by a figure computed per section.

The map furniture (credits, scale bar, north arrow, title block, legend, base
map, figure output) lives in :mod:`geo.outputs._cartography`, the map frame
(extent, outlines, streets) in :mod:`geo.outputs._mapframe`; the public names
are importable from here.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from matplotlib import patheffects
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from geo import settings
from geo.errors import InputError
from geo.formats import fmt_int
from geo.outputs._cartography import (
    APPROX_BOUNDARY_CREDIT,
    GID_LEGEND,
    GID_NORTH,
    GID_SCALEBAR,
    MAP_CRS,
    NO_BASEMAP,
    OFFICIAL_BOUNDARY_CREDIT,
    OSM_CREDIT,
    _credits,
    _furniture,
    _legend,
    _point,
    add_basemap,
    add_north_arrow,
    add_scale_bar,
    figure_bytes,
    save_figure,
    title_block,
)
from geo.outputs._mapframe import _base, _empty_note, _marker_scale, _to_map_crs
from geo.outputs.segments import street_segments
from geo.places.attribution import boundary_credit
from geo.register.model import STATUS_COLORS, STATUS_LABELS, STATUSES, VACANT_STATUSES

__all__ = [
    "APPROX_BOUNDARY_CREDIT",
    "CHANGE_CLASSES",
    "GID_LEGEND",
    "GID_NORTH",
    "GID_SCALEBAR",
    "MAP_CRS",
    "NO_BASEMAP",
    "OFFICIAL_BOUNDARY_CREDIT",
    "OSM_CREDIT",
    "STATUS_CLASSES",
    "MapClass",
    "add_basemap",
    "add_north_arrow",
    "add_scale_bar",
    "boundary_credit",
    "change_map",
    "figure_bytes",
    "load_streets",
    "save_figure",
    "segment_map",
    "status_map",
    "street_segments",
    "title_block",
]


@dataclass(frozen=True)
class MapClass:
    """One class of a map legend: code, German label, colour."""

    code: str
    label: str
    color: str


#: Units by status, in legend order.
STATUS_CLASSES: tuple[MapClass, ...] = tuple(
    MapClass(s, STATUS_LABELS[s], STATUS_COLORS[s]) for s in STATUSES
)

#: Classes of :func:`geo.register.stats.compare` (same colours as the app's maps).
CHANGE_CLASSES: tuple[MapClass, ...] = (
    MapClass("newly_vacant", "neu leer", "#d73027"),
    MapClass("newly_occupied", "neu genutzt", "#1a9850"),
    MapClass("other", "andere Änderung", "#984ea3"),
    MapClass("unchanged", "unverändert", "#cfcfcf"),
)


# -- sources ---------------------------------------------------------------------------------


def load_streets(source: str | os.PathLike[str] | gpd.GeoDataFrame | Any) -> gpd.GeoDataFrame:
    """A street layer for the maps, as lines in :data:`MAP_CRS`.

    Parameters
    ----------
    source
        A GeoDataFrame of lines, a networkx graph from osmnx, or a file: OSM
        XML (``.osm``) or osmnx GraphML (``.graphml``) as cached for walk
        planning (read with :func:`geo.walks.network.load_walk_graph`), or any line
        layer GDAL reads (GeoJSON, GeoPackage).

    Raises
    ------
    InputError
        If the file is missing or holds no lines.
    """
    if isinstance(source, gpd.GeoDataFrame):
        frame = source
    elif hasattr(source, "edges") and hasattr(source, "graph"):
        import osmnx as ox  # slow import, only for graphs

        frame = ox.graph_to_gdfs(source, nodes=False)
    else:
        path = Path(source)
        if not path.is_file():
            raise InputError(f"Straßendatei nicht gefunden: {path}")
        if path.suffix.lower() in (".osm", ".xml", ".graphml"):
            from geo.walks.network import load_walk_graph  # osmnx, slow import

            return load_streets(load_walk_graph(path))
        from pyogrio.errors import DataLayerError, DataSourceError

        try:
            frame = gpd.read_file(path)
        except (DataSourceError, DataLayerError, OSError, ValueError) as exc:
            raise InputError(f"Straßendatei {path.name} kann nicht gelesen werden ({exc}).") from exc
    if frame.crs is None:
        frame = frame.set_crs(settings.storage_crs)
    kinds = frame.geometry.geom_type.astype("string").fillna("")
    lines = frame.loc[kinds.str.contains("LineString").to_numpy()]
    if not len(lines):
        raise InputError("Die Straßenebene enthält keine Linien.")
    keep = [c for c in ("highway", "name") if c in lines.columns]
    return gpd.GeoDataFrame(
        lines[keep].reset_index(drop=True), geometry=lines.geometry.to_crs(MAP_CRS).to_numpy(), crs=MAP_CRS
    )


# -- maps --------------------------------------------------------------------------------------


def status_map(
    units: gpd.GeoDataFrame,
    *,
    boundaries: gpd.GeoDataFrame | None = None,
    streets: gpd.GeoDataFrame | None = None,
    settlements: pd.DataFrame | None = None,
    at: date | str | None = None,
    quarter: str | Sequence[str] | None = None,
    title: str | None = None,
    subtitle: str | None = None,
    settlements_label: str = "Neuansiedlung im Zeitraum",
    demo: bool = False,
    basemap: bool = False,
    credits: Sequence[str] = ("Einheiten: Register des Quartiersservice",),
    figsize: tuple[float, float] | None = None,
) -> Figure:
    """Units coloured by status (:data:`geo.register.model.STATUS_COLORS`), new settlements ringed.

    Parameters
    ----------
    units
        A status frame (:func:`geo.register.stats.status_at`); units without a status
        on the date (not yet registered) are left out.
    boundaries
        Ortsteil outlines (``name``, ``quarter``, ``source``, ``approximate``).
    streets
        Street lines (see :func:`load_streets`).
    settlements
        New settlements to ring (:func:`geo.register.stats.events`; ``unit_id``).
    at
        Date of the status, for the date stamp.
    quarter
        Quarter(s) whose outline is drawn thicker and whose Ortsteile frame the
        map when there are no units.
    title, subtitle
        Heading lines.
    settlements_label
        Legend text of the ring.
    demo
        Label the map as fictional demo data.
    basemap
        Try to draw OpenStreetMap tiles (needs ``contextily`` and internet).
    credits
        Further attribution lines.
    figsize
        Size in inches (default: 8 inches wide, the height following the map's extent).
    """
    pts = _to_map_crs(units)
    pts = pts.loc[pts["status"].notna().to_numpy()] if pts is not None and "status" in pts else pts
    fig, ax, drawn, streets_drawn = _base(
        figsize=figsize,
        legend_rows=2,
        extent_frames=[pts],
        boundaries=boundaries,
        streets=streets,
        quarter=quarter,
        basemap=basemap,
    )
    handles: list[Any] = []
    if pts is None or not len(pts):
        _empty_note(ax, "Keine Einheiten am Stichtag")
    else:
        status = pts["status"].astype(str).to_numpy()
        k = _marker_scale(len(pts))
        # occupied first, so that vacant units are drawn on top
        order = [
            "occupied",
            "temporary_use",
            "unknown",
            "demolished",
            "renovation",
            "probably_vacant",
            "vacant",
        ]
        for z, code in enumerate(order):
            sel = status == code
            if not sel.any():
                continue
            xy = pts.geometry.to_numpy()[sel]
            big = code in VACANT_STATUSES
            ax.scatter(
                shapely.get_x(xy),
                shapely.get_y(xy),
                s=(30 if big else 20) * k,
                c=STATUS_COLORS[code],
                edgecolors="#333333",
                linewidths=0.4 * min(1.0, k * 1.5),
                zorder=5 + z * 0.1,
            )
        counts = pd.Series(status).value_counts()
        for cls in STATUS_CLASSES:
            if counts.get(cls.code, 0):
                handles.append(_point(cls.color, f"{cls.label} ({fmt_int(counts[cls.code])})"))
        if settlements is not None and len(settlements):
            ids = set(settlements["unit_id"].astype(str))
            sel = pts["unit_id"].astype(str).isin(ids).to_numpy()
            if sel.any():
                xy = pts.geometry.to_numpy()[sel]
                ax.scatter(
                    shapely.get_x(xy),
                    shapely.get_y(xy),
                    s=95 * k,
                    facecolors="none",
                    edgecolors="#111111",
                    linewidths=1.3 * max(k, 0.6),
                    zorder=7,
                )
                handles.append(
                    _point(
                        "none",
                        f"{settlements_label} ({fmt_int(sel.sum())})",
                        size=10,
                        edge="#111111",
                        fill=False,
                    )
                )
    _legend(ax, handles, title=None, ncols=4)
    _furniture(
        fig,
        ax,
        title=title,
        subtitle=subtitle,
        at=at,
        credits=_credits(boundaries, streets_drawn, credits),
        demo=demo,
        basemap_drawn=drawn,
    )
    return fig


def change_map(
    compared: gpd.GeoDataFrame,
    *,
    boundaries: gpd.GeoDataFrame | None = None,
    streets: gpd.GeoDataFrame | None = None,
    before: date | str | None = None,
    after: date | str | None = None,
    quarter: str | Sequence[str] | None = None,
    title: str | None = None,
    subtitle: str | None = None,
    demo: bool = False,
    basemap: bool = False,
    credits: Sequence[str] = ("Einheiten: Register des Quartiersservice",),
    figsize: tuple[float, float] | None = None,
) -> Figure:
    """Units newly vacant / newly occupied between two dates (:func:`geo.register.stats.compare`).

    Units unchanged are drawn small and grey; units without a status on
    ``after`` are left out. Other parameters as in :func:`status_map`.
    """
    pts = _to_map_crs(compared)
    if pts is not None and "status" in pts:
        pts = pts.loc[
            pts["status"].notna().to_numpy()
            | pts.get("status_before", pd.Series(index=pts.index)).notna().to_numpy()
        ]
    fig, ax, drawn, streets_drawn = _base(
        figsize=figsize,
        legend_rows=1,
        extent_frames=[pts],
        boundaries=boundaries,
        streets=streets,
        quarter=quarter,
        basemap=basemap,
    )
    handles: list[Any] = []
    if pts is None or not len(pts):
        _empty_note(ax, "Keine Einheiten im Zeitraum")
    else:
        change = pts["change"].astype(str).to_numpy()
        k = _marker_scale(len(pts))
        for z, cls in enumerate(reversed(CHANGE_CLASSES)):
            sel = change == cls.code
            if not sel.any():
                continue
            xy = pts.geometry.to_numpy()[sel]
            small = cls.code == "unchanged"
            ax.scatter(
                shapely.get_x(xy),
                shapely.get_y(xy),
                s=(10 if small else 34) * k,
                c=cls.color,
                edgecolors="#9a9a9a" if small else "#333333",
                linewidths=0.3 if small else 0.5,
                zorder=5 + z * 0.1,
            )
        counts = pd.Series(change).value_counts()
        handles = [_point(c.color, f"{c.label} ({fmt_int(counts.get(c.code, 0))})") for c in CHANGE_CLASSES]
    _legend(ax, handles, title=None, ncols=4)
    stamp = after if after is not None else None
    if subtitle is None and before is not None and after is not None:
        subtitle = f"Veränderung zwischen {pd.Timestamp(before):%d.%m.%Y} und {pd.Timestamp(after):%d.%m.%Y}"
    _furniture(
        fig,
        ax,
        title=title,
        subtitle=subtitle,
        at=stamp,
        credits=_credits(boundaries, streets_drawn, credits),
        demo=demo,
        basemap_drawn=drawn,
    )
    return fig


def segment_map(
    segments: gpd.GeoDataFrame,
    *,
    column: str,
    classes: Sequence[tuple[float, float, str, str]],
    size_column: str = "units",
    shown: np.ndarray | pd.Series | None = None,
    hidden_label: str | None = None,
    boundaries: gpd.GeoDataFrame | None = None,
    streets: gpd.GeoDataFrame | None = None,
    points: gpd.GeoDataFrame | None = None,
    points_label: str = "",
    at: date | str | None = None,
    quarter: str | Sequence[str] | None = None,
    title: str | None = None,
    subtitle: str | None = None,
    legend_title: str | None = None,
    demo: bool = False,
    basemap: bool = False,
    credits: Sequence[str] = ("Einheiten: Register des Quartiersservice",),
    figsize: tuple[float, float] | None = None,
) -> Figure:
    """Street sections coloured by a figure in classes, line width by number of units.

    Parameters
    ----------
    segments
        Sections (:func:`street_segments`) with the figure in ``column`` and
        the number of units in ``size_column``.
    classes
        ``(lower, upper, label, colour)``: a value ``v`` falls in the class with
        ``lower <= v < upper``.
    shown
        Which sections may show their figure (default: all); the others are
        drawn thin and grey as ``hidden_label`` (default: „weniger als N Einheiten
        (nicht ausgewiesen)“ with N = :data:`geo.settings.public_min_units`).
    points
        Units to mark individually (e.g. new settlements, which are public), as stars.
    points_label
        Legend text of ``points``.
    legend_title
        Heading of the class legend.

    Other parameters as in :func:`status_map`.
    """
    if hidden_label is None:
        hidden_label = f"weniger als {settings.public_min_units} Einheiten (nicht ausgewiesen)"
    show_all = np.ones(len(segments), bool) if shown is None else np.asarray(shown, dtype=bool)
    keep = segments.geometry.notna().to_numpy() & ~segments.geometry.is_empty.to_numpy()
    seg = _to_map_crs(segments)
    marks = _to_map_crs(points)
    fig, ax, drawn, streets_drawn = _base(
        figsize=figsize,
        legend_rows=3,
        extent_frames=[seg, marks],
        boundaries=boundaries,
        streets=streets,
        quarter=quarter,
        basemap=basemap,
    )
    handles: list[Any] = []
    if seg is None or not len(seg):
        _empty_note(ax, "Keine Einheiten am Stichtag")
    else:
        show = show_all[keep]
        values = pd.to_numeric(seg[column], errors="coerce").to_numpy(dtype=float)
        sizes = pd.to_numeric(seg[size_column], errors="coerce").fillna(0).to_numpy(dtype=float)
        top = max(sizes.max(), 1.0)
        width = 2.0 + 7.0 * np.sqrt(sizes / top)
        colours = np.full(len(seg), "#bdbdbd", dtype=object)
        for lower, upper, _, colour in classes:
            colours[(values >= lower) & (values < upper)] = colour
        colours[~show] = "#d9d9d9"
        width[~show] = 1.6
        for geom, c, w in sorted(zip(seg.geometry, colours, width, strict=True), key=lambda r: -r[2]):
            effects = [patheffects.withStroke(linewidth=w + 1.4, foreground="#3a3a3a")]
            if geom.geom_type == "Point":
                ax.scatter(
                    [geom.x], [geom.y], s=(w * 2.2) ** 2, c=c, edgecolors="#3a3a3a", linewidths=0.8, zorder=5
                )
            else:
                xs, ys = geom.xy
                ax.plot(xs, ys, color=c, linewidth=w, solid_capstyle="round", zorder=5, path_effects=effects)
        for _lower, _upper, label, colour in classes:
            handles.append(Patch(facecolor=colour, edgecolor="#3a3a3a", linewidth=0.8, label=label))
        if (~show).any():
            handles.append(Patch(facecolor="#d9d9d9", edgecolor="#3a3a3a", linewidth=0.8, label=hidden_label))
        for n in sorted({max(1, int(round(top / 4))), int(top)}):
            w = 2.0 + 7.0 * math.sqrt(n / top)
            handles.append(Line2D([], [], color="#9e9e9e", linewidth=w, label=f"{fmt_int(n)} Einheiten"))
    if marks is not None and len(marks):
        ax.scatter(
            shapely.get_x(marks.geometry.to_numpy()),
            shapely.get_y(marks.geometry.to_numpy()),
            s=70,
            marker="*",
            c="#1a9850",
            edgecolors="#111111",
            linewidths=0.6,
            zorder=7,
        )
        handles.append(
            _point("#1a9850", f"{points_label} ({fmt_int(len(marks))})", size=11, marker="*", edge="#111111")
        )
    _legend(ax, handles, title=legend_title, ncols=4)
    _furniture(
        fig,
        ax,
        title=title,
        subtitle=subtitle,
        at=at,
        credits=_credits(boundaries, streets_drawn, credits),
        demo=demo,
        basemap_drawn=drawn,
    )
    return fig
