"""The frame of a static map: figure and axes, extent, Ortsteil outlines and labels, streets."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from matplotlib import patheffects
from matplotlib.figure import Figure
from pyproj import Transformer

from geo import settings
from geo.formats import display_text
from geo.outputs._cartography import MAP_CRS, add_basemap

_PAD_M = 200.0
_OUTLINE = "#4d4d4d"
_FAINT = "#8c8c8c"

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
