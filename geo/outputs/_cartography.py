"""Map furniture of the static maps: credits, scale bar, north arrow, title block, legend, date stamp
and attribution, the optional base map of tiles, and writing figures as PNG/SVG.

Used by :mod:`geo.outputs.staticmaps` (the maps), :mod:`geo.outputs.figures` (the charts share the
title block and the file output) and :mod:`geo.walks.walksheet`.
"""

from __future__ import annotations

import io
import math
import os
import textwrap
from collections.abc import Sequence
from datetime import date
from typing import IO, Any, Literal

import geopandas as gpd
import pandas as pd
from matplotlib import patheffects
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrow, Rectangle
from pyproj import Transformer

from geo import settings
from geo.errors import InputError
from geo.places.attribution import APPROX_SOURCE, OFFICIAL_SOURCE, boundary_credit

#: CRS every static map is drawn in (ETRS89 / UTM 33N, metres).
MAP_CRS: str = settings.metric_crs

#: Attribution of OpenStreetMap data (streets, buildings, tiles).
OSM_CREDIT: str = "© OpenStreetMap-Mitwirkende, ODbL"

#: Credit of hand-drawn Ortsteil outlines flagged ``approximate`` (:data:`geo.places.attribution.APPROX_SOURCE`).
APPROX_BOUNDARY_CREDIT: str = APPROX_SOURCE

#: Credit of the official Ortsteil boundaries of the city (:data:`geo.places.attribution.OFFICIAL_SOURCE`).
OFFICIAL_BOUNDARY_CREDIT: str = OFFICIAL_SOURCE

#: Note on maps drawn without tiles.
NO_BASEMAP: str = "ohne Hintergrundkarte"

#: Gids of the map furniture (also ids in SVG output).
GID_LEGEND, GID_SCALEBAR, GID_NORTH = "qm-legend", "qm-scalebar", "qm-north-arrow"

_FORMATS = ("png", "svg")


# -- sources and credits -----------------------------------------------------------------


def _credits(boundaries: gpd.GeoDataFrame | None, streets_drawn: bool, extra: Sequence[str]) -> list[str]:
    out = []
    credit = boundary_credit(boundaries)
    if credit:
        out.append(f"Ortsteilgrenzen: {credit}")  # = BOUNDARY_ATTRIBUTION for the official ones
    if streets_drawn:
        out.append(f"Straßen: {OSM_CREDIT}")
    out.extend(extra)
    return out


# -- figure output ---------------------------------------------------------------------------


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


# -- furniture -------------------------------------------------------------------------------


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
