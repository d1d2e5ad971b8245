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
:func:`street_segments` cuts each street within an Ortsteil into sections of
at least ``min_units`` units and about ``length_m`` metres, and
:func:`segment_map` colours those sections by a figure computed per section.
"""

from __future__ import annotations

import io
import math
import os
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO, Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from matplotlib import patheffects
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrow, Patch, Rectangle
from pyproj import Transformer

from geo import settings
from geo.errors import InputError
from geo.outputs.tables import display_text
from geo.register.model import STATUS_COLORS, STATUS_LABELS, STATUSES, VACANT_STATUSES

__all__ = [
    "APPROX_BOUNDARY_CREDIT",
    "CHANGE_CLASSES",
    "MAP_CRS",
    "NO_BASEMAP",
    "OFFICIAL_BOUNDARY_CREDIT",
    "OSM_CREDIT",
    "MapClass",
    "boundary_credit",
    "change_map",
    "figure_bytes",
    "load_streets",
    "save_figure",
    "segment_map",
    "status_map",
    "street_segments",
]

#: CRS every static map is drawn in (ETRS89 / UTM 33N, metres).
MAP_CRS: str = settings.metric_crs

#: Attribution of OpenStreetMap data (streets, buildings, tiles).
OSM_CREDIT: str = "© OpenStreetMap-Mitwirkende, ODbL"

#: Credit of the project's own approximate Ortsteil outlines.
APPROX_BOUNDARY_CREDIT: str = "Quartiersmonitor, handgezeichnet, nicht amtlich"

#: Credit of the official Ortsteil boundaries of the city.
OFFICIAL_BOUNDARY_CREDIT: str = "Stadt Leipzig, Datenlizenz Deutschland – Namensnennung 2.0"

#: Note on maps drawn without tiles.
NO_BASEMAP: str = "ohne Hintergrundkarte"

#: Gids of the map furniture (also ids in SVG output).
GID_LEGEND, GID_SCALEBAR, GID_NORTH = "qm-legend", "qm-scalebar", "qm-north-arrow"

_FORMATS = ("png", "svg")
_PAD_M = 200.0
_OUTLINE = "#4d4d4d"
_FAINT = "#8c8c8c"


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


# -- sources and credits -----------------------------------------------------------------


def boundary_credit(boundaries: gpd.GeoDataFrame | None) -> str | None:
    """Source and licence of Ortsteil boundaries, for attribution lines.

    The project's own outlines (``approximate``) are credited as
    :data:`APPROX_BOUNDARY_CREDIT`, OpenStreetMap outlines with
    :data:`OSM_CREDIT`; other loaded boundaries are taken to be the city's
    official layer (:data:`OFFICIAL_BOUNDARY_CREDIT`). None without boundaries.
    """
    if boundaries is None or not len(boundaries):
        return None
    approx = (
        boundaries["approximate"].astype(bool)
        if "approximate" in boundaries
        else pd.Series(False, index=boundaries.index)
    )
    sources = (
        boundaries["source"].astype("string").fillna("")
        if "source" in boundaries
        else pd.Series("", index=boundaries.index)
    )
    parts: list[str] = []
    if approx.any():
        parts.append(APPROX_BOUNDARY_CREDIT)
    other = sources[~approx.to_numpy()]
    if other.str.contains("OpenStreetMap", regex=False).any():
        parts.append(f"OpenStreetMap, {OSM_CREDIT}")
    if (~other.str.contains("OpenStreetMap", regex=False)).any():
        parts.append(OFFICIAL_BOUNDARY_CREDIT)
    return "; ".join(parts)


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


# -- figure plumbing -----------------------------------------------------------------------


def save_figure(
    fig: Figure,
    target: str | os.PathLike[str] | IO[bytes],
    *,
    fmt: Literal["png", "svg"] = "png",
    dpi: int = 200,
) -> None:
    """Write a figure as PNG (``dpi`` dots per inch) or SVG (vector).

    Parameters
    ----------
    fig
        A figure of this module or of :mod:`geo.outputs.figures`.
    target
        A path or a binary file object.
    fmt
        ``"png"`` or ``"svg"``.
    dpi
        Resolution of PNG output (200 is sharp on a projector and in print).
    """
    if fmt not in _FORMATS:
        raise InputError(f"Bildformat '{fmt}' unbekannt; erlaubt: png, svg.")
    metadata = {"Software": "Quartiersmonitor"} if fmt == "png" else {"Creator": "Quartiersmonitor"}
    fig.savefig(target, format=fmt, dpi=dpi, facecolor="white", metadata=metadata)


def figure_bytes(fig: Figure, *, fmt: Literal["png", "svg"] = "png", dpi: int = 200) -> bytes:
    """A figure as PNG or SVG bytes (see :func:`save_figure`)."""
    buffer = io.BytesIO()
    save_figure(fig, buffer, fmt=fmt, dpi=dpi)
    return buffer.getvalue()


_TOP_IN = 0.62  # title and subtitle
_FOOT_IN = 0.4  # date stamp and attribution
_LEGEND_ROW_IN = 0.21


def _map_figure(
    figsize: tuple[float, float] | None, *, legend_rows: int, bounds: Sequence[float] | None, pad_m: float
) -> tuple[Figure, Any]:
    """A figure with one map axes; without ``figsize`` its height follows the map's aspect."""
    bottom_in = _FOOT_IN + _LEGEND_ROW_IN * legend_rows + 0.05
    if figsize is None:
        width = 8.0
        aspect = 0.75
        if bounds is not None and np.all(np.isfinite(bounds)):
            aspect = (bounds[3] - bounds[1] + 2 * pad_m) / max(bounds[2] - bounds[0] + 2 * pad_m, 1.0)
        axes_h = width * 0.97 * float(np.clip(aspect, 0.5, 1.05))
        figsize = (width, axes_h + _TOP_IN + bottom_in)
    fig = Figure(figsize=figsize)
    height = figsize[1]
    bottom = bottom_in / height
    top = _TOP_IN / height
    ax = fig.add_axes((0.015, bottom, 0.97, 1 - bottom - top))
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_linewidth(0.6)
        spine.set_color(_FAINT)
    ax.set_label(MAP_CRS)
    return fig, ax


def _to_map_crs(frame: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame | None:
    if frame is None:
        return None
    if frame.crs is None:
        frame = frame.set_crs(settings.storage_crs)
    geom = frame.geometry
    keep = geom.notna().to_numpy() & ~geom.is_empty.to_numpy()
    frame = frame.loc[keep]
    return frame.to_crs(MAP_CRS) if not frame.crs.equals(MAP_CRS) else frame


def _set_extent(ax: Any, fig: Figure, bounds: Sequence[float] | None, *, pad_m: float = 200.0) -> None:
    if bounds is None or not np.all(np.isfinite(bounds)):
        # Leipzig's centre, 3 km across
        x, y = Transformer.from_crs(settings.storage_crs, MAP_CRS, always_xy=True).transform(12.3731, 51.3397)
        bounds = (x - 1500, y - 1500, x + 1500, y + 1500)
    minx, miny, maxx, maxy = bounds
    minx, miny, maxx, maxy = minx - pad_m, miny - pad_m, maxx + pad_m, maxy + pad_m
    box = ax.get_position()
    fw, fh = fig.get_size_inches()
    aspect = (box.width * fw) / (box.height * fh)
    w, h = maxx - minx, maxy - miny
    if w / h < aspect:
        grow = h * aspect - w
        minx, maxx = minx - grow / 2, maxx + grow / 2
    else:
        grow = w / aspect - h
        miny, maxy = miny - grow / 2, maxy + grow / 2
    ax.set_xlim(minx, maxx)
    ax.set_ylim(miny, maxy)
    ax.set_aspect("equal", adjustable="box")


def _extent_box(ax: Any) -> shapely.Geometry:
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    return shapely.box(x0, y0, x1, y1)


def _draw_boundaries(
    ax: Any,
    boundaries: gpd.GeoDataFrame | None,
    *,
    quarter: str | Sequence[str] | None,
    avoid_points: np.ndarray | None = None,
) -> None:
    b = _to_map_crs(boundaries)
    if b is None or not len(b):
        return
    view = _extent_box(ax)
    b = b.loc[b.intersects(view).to_numpy()]
    if not len(b):
        return
    quarters = [quarter] if isinstance(quarter, str) else list(quarter or [])
    in_quarter = (
        b["quarter"].astype("string").isin(quarters).fillna(False).to_numpy()
        if quarters and "quarter" in b
        else np.zeros(len(b), bool)
    )
    if (~in_quarter).any():
        b.loc[~in_quarter].plot(ax=ax, facecolor="#f4f4f4", edgecolor="#b0b0b0", linewidth=0.7, zorder=1)
    if in_quarter.any():
        b.loc[in_quarter].plot(ax=ax, facecolor="#fbfbf8", edgecolor=_FAINT, linewidth=0.8, zorder=1)
        outline = shapely.union_all(b.loc[in_quarter].geometry.buffer(1.0).to_numpy()).buffer(-1.0)
        gpd.GeoSeries([outline], crs=MAP_CRS).boundary.plot(ax=ax, color=_OUTLINE, linewidth=1.8, zorder=2)
    avoid = (
        np.column_stack([shapely.get_x(avoid_points), shapely.get_y(avoid_points)])
        if avoid_points is not None and len(avoid_points)
        else np.zeros((0, 2))
    )
    inner = view.buffer(-0.04 * (view.bounds[2] - view.bounds[0]))
    for name, geom in zip([display_text(n) for n in b["name"]], b.geometry, strict=True):
        part = geom.intersection(inner)
        if not name or part.is_empty or part.area < 0.02 * view.area:
            continue
        x, y = _label_spot(part, avoid)
        ax.text(
            x,
            y,
            name,
            ha="center",
            va="center",
            fontsize=7.5,
            color="#6e6e6e",
            style="italic",
            zorder=3,
            path_effects=[patheffects.withStroke(linewidth=2.5, foreground="white")],
        )


def _label_spot(area: shapely.Geometry, avoid: np.ndarray) -> tuple[float, float]:
    """A point inside ``area`` for its label: central, but away from the points in ``avoid``."""
    centre = area.representative_point()
    if not len(avoid):
        return centre.x, centre.y
    minx, miny, maxx, maxy = area.bounds
    gx, gy = np.meshgrid(np.linspace(minx, maxx, 14), np.linspace(miny, maxy, 14))
    cand = shapely.points(gx.ravel(), gy.ravel())
    core = area.buffer(-0.08 * min(maxx - minx, maxy - miny))
    cand = cand[shapely.contains(core if not core.is_empty else area, cand)]
    if not len(cand):
        return centre.x, centre.y
    xy = np.column_stack([shapely.get_x(cand), shapely.get_y(cand)])
    nearest = np.sqrt(((xy[:, None, :] - avoid[None, :, :]) ** 2).sum(axis=2)).min(axis=1)
    central = np.hypot(xy[:, 0] - centre.x, xy[:, 1] - centre.y)
    best = int(np.argmax(np.minimum(nearest, 250.0) - 0.15 * central))
    return float(xy[best, 0]), float(xy[best, 1])


def _draw_streets(ax: Any, streets: gpd.GeoDataFrame | None) -> bool:
    s = _to_map_crs(streets)
    if s is None or not len(s):
        return False
    s = s.loc[s.intersects(_extent_box(ax)).to_numpy()]
    if not len(s):
        return False
    major = np.zeros(len(s), dtype=bool)
    if "highway" in s:
        kinds = s["highway"].astype(str).str.lower()
        major = kinds.str.contains("primary|secondary|tertiary|trunk", regex=True).to_numpy()
    if (~major).any():
        s.loc[~major].plot(ax=ax, color="#d2d2d2", linewidth=0.6, zorder=2)
    if major.any():
        s.loc[major].plot(ax=ax, color="#bdbdbd", linewidth=1.3, zorder=2)
    return True


def add_basemap(ax: Any) -> bool:
    """Draw OpenStreetMap tiles under the map when ``contextily`` is installed and online.

    Returns whether tiles were drawn; without the package or without network
    the map stays as it is.
    """
    try:
        import contextily as ctx
    except ImportError:
        return False
    try:
        ctx.add_basemap(
            ax, crs=MAP_CRS, source=ctx.providers.OpenStreetMap.Mapnik, attribution=False, zorder=0
        )
    except (OSError, ValueError, RuntimeError):
        # requests' connection errors are OSErrors; no tiles: the map stays without base map
        return False
    return True


def add_scale_bar(ax: Any, *, fontsize: float = 7.5) -> str:
    """A scale bar in the lower left corner (axes in metres); returns its label."""
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    target = (x1 - x0) * 0.22
    steps = [25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000, 20000]
    length = max([s for s in steps if s <= target] or [steps[0]])
    half = length / 2
    left, base = x0 + (x1 - x0) * 0.035, y0 + (y1 - y0) * 0.04
    height = (y1 - y0) * 0.011
    ax.add_patch(
        Rectangle(
            (left - (x1 - x0) * 0.012, base - (y1 - y0) * 0.018),
            length + (x1 - x0) * 0.024,
            (y1 - y0) * 0.07,
            facecolor="white",
            edgecolor="none",
            alpha=0.85,
            zorder=8,
            gid=GID_SCALEBAR,
        )
    )
    ax.add_patch(
        Rectangle(
            (left, base),
            half,
            height,
            facecolor="#222222",
            edgecolor="#222222",
            lw=0.6,
            zorder=9,
            gid=GID_SCALEBAR,
        )
    )
    ax.add_patch(
        Rectangle(
            (left + half, base),
            half,
            height,
            facecolor="white",
            edgecolor="#222222",
            lw=0.6,
            zorder=9,
            gid=GID_SCALEBAR,
        )
    )
    label = f"{length / 1000:g} km".replace(".", ",") if length >= 1000 else f"{length:g} m"
    ax.text(
        left + length / 2,
        base + height * 1.6,
        label,
        ha="center",
        va="bottom",
        fontsize=fontsize,
        zorder=9,
        gid=GID_SCALEBAR,
    )
    return label


def _true_north(ax: Any) -> float:
    """Angle (radians, clockwise from grid north) of true north at the map centre."""
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    to_ll = Transformer.from_crs(MAP_CRS, settings.storage_crs, always_xy=True)
    to_xy = Transformer.from_crs(settings.storage_crs, MAP_CRS, always_xy=True)
    lon, lat = to_ll.transform((x0 + x1) / 2, (y0 + y1) / 2)
    ax_, ay_ = to_xy.transform(lon, lat)
    bx, by = to_xy.transform(lon, lat + 0.01)
    return math.atan2(bx - ax_, by - ay_)


def add_north_arrow(ax: Any) -> float:
    """A north arrow in the upper right corner, turned to true north; returns the angle in degrees."""
    angle = _true_north(ax)
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    size = (y1 - y0) * 0.075
    cx, cy = x1 - (x1 - x0) * 0.05, y1 - (y1 - y0) * 0.13
    dx, dy = math.sin(angle) * size, math.cos(angle) * size
    ax.add_patch(
        FancyArrow(
            cx - dx / 2,
            cy - dy / 2,
            dx,
            dy,
            width=size * 0.12,
            head_width=size * 0.42,
            head_length=size * 0.45,
            length_includes_head=True,
            facecolor="#222222",
            edgecolor="white",
            lw=0.8,
            zorder=9,
            gid=GID_NORTH,
        )
    )
    ax.text(
        cx + dx * 0.75,
        cy + dy * 0.75,
        "N",
        ha="center",
        va="bottom",
        fontsize=9,
        weight="bold",
        zorder=9,
        gid=GID_NORTH,
        path_effects=[patheffects.withStroke(linewidth=2.5, foreground="white")],
    )
    return math.degrees(angle)


def title_block(fig: Figure, *, title: str | None, subtitle: str | None, demo: bool) -> None:
    """Title and subtitle top left, the demo label top right (maps and charts alike)."""
    height = fig.get_size_inches()[1]
    if title:
        fig.text(0.015, 1 - 0.08 / height, title, ha="left", va="top", fontsize=12, weight="bold")
    if subtitle:
        fig.text(0.015, 1 - 0.36 / height, subtitle, ha="left", va="top", fontsize=8.5, color="#444444")
    if demo:
        fig.text(
            0.985, 1 - 0.08 / height, settings.demo_label,
            ha="right", va="top", fontsize=10, weight="bold", color="#c0392b",
        )


def _furniture(
    fig: Figure,
    ax: Any,
    *,
    title: str | None,
    subtitle: str | None,
    at: date | str | None,
    credits: Sequence[str],
    demo: bool,
    basemap_drawn: bool,
) -> None:
    ax.set_xlabel("")
    ax.set_ylabel("")
    add_scale_bar(ax)
    add_north_arrow(ax)
    title_block(fig, title=title, subtitle=subtitle, demo=demo)
    height = fig.get_size_inches()[1]
    stamp = "Quartiersmonitor"
    if at is not None:
        stamp = f"Stand {pd.Timestamp(at):%d.%m.%Y} · {stamp}"
    if demo:
        stamp += f" · {settings.demo_label}"
    lines = list(credits)
    if basemap_drawn:
        lines.append(f"Hintergrundkarte: {OSM_CREDIT}")
    text = " · ".join(lines + ([] if basemap_drawn else [NO_BASEMAP]))
    wrapped = textwrap.wrap(text, width=150)
    fig.text(
        0.015,
        (0.06 + 0.12 * len(wrapped)) / height,
        stamp,
        ha="left",
        va="bottom",
        fontsize=6.5,
        color="#333333",
    )
    fig.text(
        0.015,
        0.06 / height,
        "\n".join(wrapped),
        ha="left",
        va="bottom",
        fontsize=6.5,
        color="#555555",
        linespacing=1.3,
    )


def _legend(ax: Any, handles: list[Any], *, title: str | None, ncols: int) -> None:
    if not handles:
        return
    leg = ax.legend(
        handles=handles,
        title=title,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.005),
        ncols=ncols,
        frameon=False,
        fontsize=8,
        title_fontsize=8.5,
        handletextpad=0.6,
        handlelength=2.2,
        columnspacing=1.4,
        borderaxespad=0.3,
    )
    leg.set_gid(GID_LEGEND)


def _point(
    color: str, label: str, *, size: float = 7, marker: str = "o", edge: str = "#333333", fill: bool = True
) -> Line2D:
    return Line2D(
        [],
        [],
        linestyle="none",
        marker=marker,
        markersize=size,
        markerfacecolor=color if fill else "none",
        markeredgecolor=edge,
        markeredgewidth=0.8 if fill else 1.4,
        label=label,
    )


def _int(value: float) -> str:
    return f"{int(value):,}".replace(",", ".")


def _extent_of(
    *frames: gpd.GeoDataFrame | None, fallback: gpd.GeoDataFrame | None = None
) -> tuple[float, ...] | None:
    boxes = [f.total_bounds for f in frames if f is not None and len(f)]
    if not boxes and fallback is not None and len(fallback):
        boxes = [fallback.total_bounds]
    if not boxes:
        return None
    arr = np.array(boxes)
    return (arr[:, 0].min(), arr[:, 1].min(), arr[:, 2].max(), arr[:, 3].max())


def _quarter_boundaries(
    boundaries: gpd.GeoDataFrame | None, quarter: str | Sequence[str] | None
) -> gpd.GeoDataFrame | None:
    b = _to_map_crs(boundaries)
    if b is None or not quarter or "quarter" not in b:
        return b
    quarters = [quarter] if isinstance(quarter, str) else list(quarter)
    return b.loc[b["quarter"].astype("string").isin(quarters).fillna(False).to_numpy()]


def _credits(boundaries: gpd.GeoDataFrame | None, streets_drawn: bool, extra: Sequence[str]) -> list[str]:
    out = []
    credit = boundary_credit(boundaries)
    if credit:
        out.append(f"Grenzen: {credit}")
    if streets_drawn:
        out.append(f"Straßen: {OSM_CREDIT}")
    out.extend(extra)
    return out


def _base(
    *,
    figsize: tuple[float, float] | None,
    legend_rows: int,
    extent_frames: Sequence[gpd.GeoDataFrame | None],
    boundaries: gpd.GeoDataFrame | None,
    streets: gpd.GeoDataFrame | None,
    quarter: str | Sequence[str] | None,
    basemap: bool,
) -> tuple[Figure, Any, bool, bool]:
    bounds = _extent_of(*extent_frames, fallback=_quarter_boundaries(boundaries, quarter))
    fig, ax = _map_figure(figsize, legend_rows=legend_rows, bounds=bounds, pad_m=_PAD_M)
    _set_extent(ax, fig, bounds, pad_m=_PAD_M)
    drawn = add_basemap(ax) if basemap else False
    if not drawn:
        avoid = [
            f.geometry.representative_point().to_numpy() for f in extent_frames if f is not None and len(f)
        ]
        _draw_boundaries(
            ax, boundaries, quarter=quarter, avoid_points=np.concatenate(avoid) if avoid else None
        )
    streets_drawn = _draw_streets(ax, streets)
    if drawn:
        outlines = _to_map_crs(boundaries)
        if outlines is not None and len(outlines):
            outlines.boundary.plot(ax=ax, color=_OUTLINE, linewidth=0.9, zorder=2)
    return fig, ax, drawn, streets_drawn


def _marker_scale(n: int) -> float:
    """Marker area factor: full size up to about 400 units, smaller for denser maps."""
    return float(np.clip(math.sqrt(400 / max(n, 1)), 0.3, 1.0))


def _empty_note(ax: Any, text: str) -> None:
    ax.text(
        0.5,
        0.5,
        text,
        transform=ax.transAxes,
        ha="center",
        va="center",
        fontsize=11,
        color="#555555",
        bbox={"facecolor": "white", "edgecolor": "#bbbbbb", "boxstyle": "round,pad=0.6"},
        zorder=10,
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
                handles.append(_point(cls.color, f"{cls.label} ({_int(counts[cls.code])})"))
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
                        f"{settlements_label} ({_int(sel.sum())})",
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
        handles = [_point(c.color, f"{c.label} ({_int(counts.get(c.code, 0))})") for c in CHANGE_CLASSES]
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


# -- public aggregation ----------------------------------------------------------------------


def _house_range(numbers: pd.Series) -> str:
    values = pd.to_numeric(
        numbers.astype("string").str.extract(r"(\d+)", expand=False), errors="coerce"
    ).dropna()
    if not len(values):
        return ""
    lo, hi = int(values.min()), int(values.max())
    return str(lo) if lo == hi else f"{lo}–{hi}"


def _segment_line(xy: np.ndarray, t: np.ndarray, *, step_m: float = 110.0) -> shapely.Geometry:
    """A line along positions ``t``: smoothed centroids of ``step_m`` bins (both street sides), or a point."""
    if len(xy) == 0:
        return shapely.Point()
    if t.max() - t.min() < 15.0:
        return shapely.Point(xy.mean(axis=0))
    bins = np.floor((t - t.min()) / step_m).astype(int)
    order = np.argsort(bins, kind="stable")
    keys, starts = np.unique(bins[order], return_index=True)
    cents = np.array(
        [xy[order][s:e].mean(axis=0) for s, e in zip(starts, [*starts[1:], len(order)], strict=True)]
    )
    if len(cents) < 2:
        # all in one bin: a short line through the extreme points
        lo, hi = xy[np.argmin(t)], xy[np.argmax(t)]
        return shapely.LineString([lo, hi])
    if len(cents) > 2:
        inner = (cents[:-2] + cents[1:-1] + cents[2:]) / 3.0
        cents = np.vstack([cents[:1], inner, cents[-1:]])
    return shapely.LineString(cents).simplify(5.0)


def street_segments(
    units: gpd.GeoDataFrame, *, min_units: int = 3, length_m: float = 400.0
) -> tuple[pd.Series, gpd.GeoDataFrame]:
    """Cut streets into sections of at least ``min_units`` units, for public maps and tables.

    Units are grouped by street (both sides together, also where the street
    is the border of two Ortsteile); within a street they are ordered along it
    (the main axis of their positions, in EPSG:25833) and split into sections
    of about ``length_m`` metres with equal numbers of units, each with at
    least ``min_units`` units (a street with fewer units is one section, whose
    figures must not be published: see ``n_units``).

    Parameters
    ----------
    units
        Units with ``unit_id``, ``street``, ``housenumber``, ``ortsteil`` and point geometry.
    min_units
        Smallest number of units of a section (when the street has as many).
    length_m
        Target length of a section.

    Returns
    -------
    labels : pandas.Series
        Section label per unit (index of ``units``; missing for units without
        street or location).
    segments : geopandas.GeoDataFrame
        One row per section: ``segment`` (label, e.g. „Eisenbahnstraße 9–61“),
        ``street``, ``ortsteil`` (where most of its units lie; two names
        joined by „ / “ on a border street), ``n_units`` and a line (or, for a section in
        one building, a point) in :data:`MAP_CRS`.
    """
    labels = pd.Series(pd.NA, index=units.index, dtype="string")
    rows: list[dict[str, Any]] = []
    pts = units
    if pts.crs is None:
        pts = pts.set_crs(settings.storage_crs)
    geom = pts.geometry
    located = geom.notna().to_numpy() & ~geom.is_empty.to_numpy()
    street = units["street"].astype("string").str.strip()
    ok = located & street.notna().to_numpy() & (street != "").fillna(False).to_numpy()
    if ok.any():
        metric = pts.loc[ok].to_crs(MAP_CRS)
        frame = pd.DataFrame(
            {
                "street": street[ok].to_numpy(),
                "ortsteil": units.loc[ok, "ortsteil"]
                .astype("string")
                .fillna(settings.unassigned_label)
                .to_numpy(),
                "housenumber": units.loc[ok, "housenumber"].astype("string").to_numpy(),
                "x": shapely.get_x(metric.geometry.to_numpy()),
                "y": shapely.get_y(metric.geometry.to_numpy()),
            },
            index=units.index[ok],
        )
        for st, grp in frame.groupby("street", sort=True):
            xy = grp[["x", "y"]].to_numpy()
            if len(grp) > 1:
                centred = xy - xy.mean(axis=0)
                _, _, vt = np.linalg.svd(centred, full_matrices=False)
                t = centred @ vt[0]
            else:
                t = np.zeros(1)
            order = np.argsort(t, kind="stable")
            span = float(t.max() - t.min())
            k = max(1, min(round(span / length_m), len(grp) // max(min_units, 1)))
            for chunk in np.array_split(order, k):
                part = grp.iloc[chunk]
                areas = part["ortsteil"].value_counts()
                rows.append(
                    {
                        "segment": f"{st} {_house_range(part['housenumber'])}".strip(),
                        "street": st,
                        "ortsteil": " / ".join(sorted(areas.index[areas >= areas.max() / 3])),
                        "n_units": len(part),
                        "geometry": _segment_line(xy[chunk], t[chunk]),
                        "_index": part.index,
                    }
                )
    seen: dict[str, int] = {}
    for row in rows:
        label = row["segment"]
        if label in seen:
            label = f"{label} ({row['ortsteil']})"
        while label in seen:
            label = f"{label}*"
        seen[label] = 1
        row["segment"] = label
        labels.loc[row.pop("_index")] = label
    segments = gpd.GeoDataFrame(
        pd.DataFrame(rows, columns=["segment", "street", "ortsteil", "n_units", "geometry"]).drop(
            columns="geometry"
        ),
        geometry=[r["geometry"] for r in rows],
        crs=MAP_CRS,
    )
    return labels, segments


def segment_map(
    segments: gpd.GeoDataFrame,
    *,
    column: str,
    classes: Sequence[tuple[float, float, str, str]],
    size_column: str = "units",
    shown: np.ndarray | pd.Series | None = None,
    hidden_label: str = "weniger als 3 Einheiten (nicht ausgewiesen)",
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
        drawn thin and grey as ``hidden_label``.
    points
        Units to mark individually (e.g. new settlements, which are public), as stars.
    points_label
        Legend text of ``points``.
    legend_title
        Heading of the class legend.

    Other parameters as in :func:`status_map`.
    """
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
            handles.append(Line2D([], [], color="#9e9e9e", linewidth=w, label=f"{_int(n)} Einheiten"))
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
            _point("#1a9850", f"{points_label} ({_int(len(marks))})", size=11, marker="*", edge="#111111")
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
