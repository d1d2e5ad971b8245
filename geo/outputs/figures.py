"""Charts and maps as matplotlib figures, for reports and for download as PNG/SVG.

The functions mirror the app's charts (:mod:`geo.outputs.charts`) and maps, in
presentation quality and with German labels: each takes a frame computed by
:mod:`geo.register.stats` and returns a :class:`matplotlib.figure.Figure` (made
without pyplot); :func:`save_figure` / :func:`figure_bytes` write it as PNG or
SVG. Every figure carries its source line and, for the fictional demo
register, the label :data:`geo.settings.demo_label`.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from geo import settings
from geo.formats import display_text, fmt_int, fmt_pct
from geo.outputs.staticmaps import change_map, figure_bytes, save_figure, segment_map, status_map, title_block
from geo.register.model import STATUS_COLORS, USE_CLASS_LABELS, WZ_SECTIONS
from geo.register.stats import duration_bins, public_rate

__all__ = [
    "buildings_figure",
    "change_map",
    "duration_figure",
    "events_figure",
    "figure_bytes",
    "save_figure",
    "sector_figure",
    "sector_label",
    "segment_map",
    "status_map",
    "vacancy_rate_figure",
]

_SETTLE, _CLOSE = STATUS_COLORS["occupied"], STATUS_COLORS["vacant"]
_LINE_COLORS = (
    "#1f78b4",
    "#e66101",
    "#33a02c",
    "#6a3d9a",
    "#b15928",
    "#e7298a",
    "#1b9e77",
    "#a6761d",
    "#666666",
)


#: Short German names of the WZ 2008 sections for charts and tables.
WZ_SHORT: dict[str, str] = {
    "A": "Land-/Forstwirtschaft", "B": "Bergbau", "C": "Verarbeitendes Gewerbe", "D": "Energieversorgung",
    "E": "Wasser, Entsorgung", "F": "Baugewerbe", "G": "Handel, Kfz-Reparatur", "H": "Verkehr, Lagerei",
    "I": "Gastgewerbe", "J": "Information, Kommunikation", "K": "Finanzdienstleistungen",
    "L": "Grundstücks-/Wohnungswesen", "M": "Freiberufl./techn. Dienstl.", "N": "Sonst. wirtschaftl. Dienstl.",
    "O": "Öffentliche Verwaltung", "P": "Erziehung, Unterricht", "Q": "Gesundheit, Soziales",
    "R": "Kunst, Unterhaltung", "S": "Sonstige Dienstleistungen", "T": "Private Haushalte",
    "U": "Exterritoriale Organisationen",
}  # fmt: skip


def sector_label(code: Any) -> str:
    """German label of a sector: a use class (``"Gastronomie"``) or a WZ 2008 section (``"I Gastgewerbe"``)."""
    text = display_text(code)
    if not text:
        return "ohne Angabe"
    if text in USE_CLASS_LABELS:
        return USE_CLASS_LABELS[text]
    key = text.upper()
    if key in WZ_SECTIONS:
        return f"{key} {WZ_SHORT.get(key, WZ_SECTIONS[key])}"
    return text


def _pct(value: float, _pos: Any = None) -> str:
    return fmt_pct(value, digits=0)


def _chart(
    *,
    figsize: tuple[float, float],
    title: str | None,
    subtitle: str | None,
    source: str | None,
    demo: bool,
    right: float = 0.97,
) -> tuple[Figure, Any]:
    fig = Figure(figsize=figsize)
    height = figsize[1]
    top = 1 - ((0.62 if subtitle else 0.42) if title else 0.12) / height
    bottom = (0.5 + (0.26 if source else 0.04)) / height
    ax = fig.add_axes((0.085, bottom, right - 0.085, top - bottom))
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.spines["left"].set_color("#888888")
    ax.spines["bottom"].set_color("#888888")
    ax.tick_params(labelsize=8.5, colors="#333333")
    ax.grid(axis="y", color="#e3e3e3", linewidth=0.8)
    ax.set_axisbelow(True)
    _headings(fig, title=title, subtitle=subtitle, source=source, demo=demo)
    return fig, ax


def _headings(
    fig: Figure, *, title: str | None, subtitle: str | None, source: str | None, demo: bool
) -> None:
    title_block(fig, title=title, subtitle=subtitle, demo=demo)
    height = fig.get_size_inches()[1]
    if source:
        lines = textwrap.wrap(source + (f" · {settings.demo_label}" if demo else ""), width=135)
        fig.text(
            0.015,
            0.06 / height,
            "\n".join(lines),
            ha="left",
            va="bottom",
            fontsize=6.5,
            color="#555555",
            linespacing=1.3,
        )


def _empty(ax: Any, text: str = "Keine Daten im Zeitraum") -> None:
    ax.set_xticks([])
    ax.set_yticks([])
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", fontsize=11, color="#666666")


def vacancy_rate_figure(
    timeline: pd.DataFrame,
    *,
    total: pd.DataFrame | None = None,
    total_label: str = "gesamt",
    min_units: int = 0,
    title: str | None = "Leerstandsquote",
    subtitle: str | None = None,
    source: str | None = "Quelle: Register des Quartiersservice (Quartiersmonitor)",
    demo: bool = False,
    figsize: tuple[float, float] = (8.0, 4.2),
) -> Figure:
    """Vacancy rate at each period end, one line per group (:func:`geo.register.stats.timeline`).

    Parameters
    ----------
    timeline
        Output of :func:`geo.register.stats.timeline` (``period``, ``period_end``,
        ``group``, ``vacancy_rate``, ``units``).
    total
        An ungrouped timeline of the same periods, drawn as a thick black line.
    total_label
        Legend text of ``total``.
    min_units
        Rates of groups with fewer units at a period end are left out (public
        reports: no rate of one or two units).
    title, subtitle, source
        Heading lines and the source line under the chart.
    demo
        Label the chart as fictional demo data.
    figsize
        Size in inches.
    """
    groups = list(dict.fromkeys(timeline["group"].astype(str))) if len(timeline) else []
    fig, ax = _chart(
        figsize=figsize,
        title=title,
        subtitle=subtitle,
        source=source,
        demo=demo,
        right=0.74 if len(groups) > 1 or total is not None else 0.97,
    )
    periods = list(dict.fromkeys(timeline["period"].astype(str))) if len(timeline) else []
    if not periods:
        _empty(ax)
        return fig
    pos = {p: i for i, p in enumerate(periods)}
    frames = [(g, timeline.loc[timeline["group"].astype(str) == g]) for g in groups]
    if total is not None and len(total):
        frames.append((total_label, total))
    drawn = 0
    for i, (label, frame) in enumerate(frames):
        rate = public_rate(frame, min_units=max(min_units, 1))
        x = [pos[p] for p in frame["period"].astype(str)]
        is_total = total is not None and i == len(frames) - 1
        if not rate.notna().any():
            continue
        drawn += 1
        ax.plot(
            x,
            rate.to_numpy(),
            marker="o",
            markersize=3.5 if not is_total else 4.5,
            linewidth=2.6 if is_total else 1.6,
            color="#111111" if is_total else _LINE_COLORS[i % len(_LINE_COLORS)],
            label=label,
            zorder=4 if is_total else 3,
        )
    ax.set_xticks(range(len(periods)), periods, rotation=0 if len(periods) <= 12 else 45)
    ax.yaxis.set_major_formatter(FuncFormatter(_pct))
    ax.set_ylim(bottom=0)
    ax.set_ylabel("Leerstandsquote", fontsize=8.5)
    if len(frames) > 1 and drawn:
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False, fontsize=8)
    if not drawn:
        _empty(ax, "Keine ausweisbaren Werte")
    return fig


def events_figure(
    timeline: pd.DataFrame,
    *,
    title: str | None = "Neuansiedlungen und Schließungen",
    subtitle: str | None = None,
    source: str | None = "Quelle: Register des Quartiersservice (Quartiersmonitor)",
    demo: bool = False,
    figsize: tuple[float, float] = (8.0, 4.2),
) -> Figure:
    """New settlements and closures per period as bars, with the balance (:func:`geo.register.stats.timeline`).

    Groups of a grouped timeline are summed. Other parameters as in
    :func:`vacancy_rate_figure`.
    """
    fig, ax = _chart(figsize=figsize, title=title, subtitle=subtitle, source=source, demo=demo)
    if not len(timeline):
        _empty(ax)
        return fig
    per = timeline.groupby("period", sort=True)[["new_settlements", "closures"]].sum()
    x = np.arange(len(per))
    width = 0.38
    bars_s = ax.bar(x - width / 2, per["new_settlements"], width, color=_SETTLE, label="Neuansiedlungen")
    bars_c = ax.bar(x + width / 2, per["closures"], width, color=_CLOSE, label="Schließungen")
    for bars in (bars_s, bars_c):
        ax.bar_label(bars, fmt="%d", fontsize=7.5, padding=1.5, color="#333333")
    net = (per["new_settlements"] - per["closures"]).to_numpy()
    ax.plot(x, net, linestyle="none", marker="D", markersize=4.5, color="#111111", label="Saldo")
    ax.axhline(0, color="#888888", linewidth=0.8)
    ax.set_xticks(x, per.index.astype(str), rotation=0 if len(per) <= 12 else 45)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("Anzahl", fontsize=8.5)
    top = max(float(per[["new_settlements", "closures"]].to_numpy().max()), 1.0)
    ax.set_ylim(min(0.0, float(net.min()) * 1.15), top * 1.28)
    ax.legend(loc="upper right", ncols=3, frameon=True, framealpha=0.92, edgecolor="none", fontsize=8)
    return fig


def sector_figure(
    settlements: pd.DataFrame,
    *,
    top: int = 10,
    title: str | None = "Neuansiedlungen nach Branche",
    subtitle: str | None = None,
    source: str | None = "Quelle: Register des Quartiersservice (Quartiersmonitor)",
    demo: bool = False,
    figsize: tuple[float, float] = (8.0, 4.2),
) -> Figure:
    """New settlements per sector as horizontal bars (:func:`geo.register.stats.events`).

    Parameters
    ----------
    settlements
        Events with a ``sector`` column (use class or WZ 2008 section).
    top
        Number of sectors shown; the rest are summed as „übrige“.

    Other parameters as in :func:`vacancy_rate_figure`.
    """
    fig, ax = _chart(figsize=figsize, title=title, subtitle=subtitle, source=source, demo=demo)
    ax.set_position((0.33, *ax.get_position().bounds[1:2], 0.62, ax.get_position().height))
    if not len(settlements):
        _empty(ax, "Keine Neuansiedlungen im Zeitraum")
        return fig
    counts = pd.Series([sector_label(s) for s in settlements["sector"].astype(object)]).value_counts()
    counts = counts.sort_values(ascending=False, kind="stable")
    if len(counts) > top:
        counts = pd.concat([counts.iloc[: top - 1], pd.Series({"übrige": int(counts.iloc[top - 1 :].sum())})])
    y = np.arange(len(counts))[::-1]
    bars = ax.barh(y, counts.to_numpy(), color=_SETTLE, height=0.65)
    ax.bar_label(bars, fmt="%d", fontsize=8, padding=2)
    ax.set_yticks(y, counts.index)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", color="#e3e3e3", linewidth=0.8)
    ax.set_xlabel("Neuansiedlungen", fontsize=8.5)
    return fig


def duration_figure(
    spells: pd.DataFrame,
    *,
    bin_months: int = 6,
    title: str | None = "Dauer der Leerstände",
    subtitle: str | None = None,
    source: str | None = "Quelle: Register des Quartiersservice (Quartiersmonitor)",
    demo: bool = False,
    figsize: tuple[float, float] = (8.0, 4.2),
) -> Figure:
    """Histogram of vacancy durations in months, ongoing and ended stacked (:func:`geo.register.stats.duration_bins`).

    Parameters
    ----------
    spells
        Spells with ``days`` and ``ongoing``.
    bin_months
        Width of a class in months.

    Other parameters as in :func:`vacancy_rate_figure`.
    """
    fig, ax = _chart(figsize=figsize, title=title, subtitle=subtitle, source=source, demo=demo)
    data = duration_bins(spells, bin_months=bin_months)
    if not len(data):
        _empty(ax, "Keine Leerstände")
        return fig
    x = data["from_months"].to_numpy() + bin_months / 2
    ax.bar(
        x, data["ongoing"], width=bin_months * 0.9, color=STATUS_COLORS["vacant"], label="am Stichtag laufend"
    )
    ax.bar(
        x,
        data["ended"],
        width=bin_months * 0.9,
        bottom=data["ongoing"],
        color="#fdae61",
        label="im Zeitraum beendet",
    )
    ax.set_xticks(data["from_months"].tolist() + [int(data["to_months"].iloc[-1])])
    ax.set_xlim(0, data["to_months"].iloc[-1])
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("Leerstandsdauer (Monate)", fontsize=8.5)
    ax.set_ylabel("Leerstände", fontsize=8.5)
    ax.set_ylim(0, max(float((data["ongoing"] + data["ended"]).max()), 1.0) * 1.25)
    ax.legend(loc="upper right", ncols=2, frameon=True, framealpha=0.92, edgecolor="none", fontsize=8)
    return fig


def buildings_figure(
    building_stats: pd.DataFrame,
    *,
    groups: Sequence[str] | None = None,
    title: str | None = "Gebäudebestand in OpenStreetMap",
    subtitle: str | None = None,
    source: str | None = "Quelle: OpenStreetMap-Schnappschüsse, © OpenStreetMap-Mitwirkende, ODbL",
    demo: bool = False,
    figsize: tuple[float, float] = (8.0, 4.6),
) -> Figure:
    """Buildings (solid) and commercial buildings (dashed) per group and snapshot (:func:`geo.osm.buildings.building_stats`).

    Parameters
    ----------
    building_stats
        ``group``, ``date``, ``buildings``, ``commercial``.
    groups
        Groups to draw (default: all).

    Other parameters as in :func:`vacancy_rate_figure`. The caveat
    :data:`geo.osm.buildings.CAVEAT` belongs next to the figure.
    """
    data = building_stats
    if groups is not None:
        data = data.loc[data["group"].astype(str).isin(list(groups))]
    names = list(dict.fromkeys(data["group"].astype(str))) if len(data) else []
    fig = Figure(figsize=figsize)
    height = figsize[1]
    bottom, top = 0.72 / height, 1 - 0.9 / height
    left = fig.add_axes((0.085, bottom, 0.36, top - bottom))
    right = fig.add_axes((0.52, bottom, 0.2, top - bottom))
    _headings(fig, title=title, subtitle=subtitle, source=source, demo=demo)
    for ax, column, heading in ((left, "buildings", "Gebäude"), (right, "commercial", "davon gewerblich")):
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        ax.tick_params(labelsize=8)
        ax.grid(axis="y", color="#e3e3e3", linewidth=0.8)
        ax.set_title(heading, loc="left", fontsize=9)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: fmt_int(v)))
        for i, name in enumerate(names):
            frame = data.loc[data["group"].astype(str) == name].sort_values("date")
            ax.plot(
                pd.to_datetime(frame["date"]).dt.year,
                frame[column],
                marker="o",
                markersize=3,
                color=_LINE_COLORS[i % len(_LINE_COLORS)],
                linewidth=1.5,
                label=name,
            )
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=6))
    if names:
        right.legend(loc="upper left", bbox_to_anchor=(1.05, 1.0), frameon=False, fontsize=7.5)
    else:
        _empty(left, "Keine Schnappschüsse")
    return fig
