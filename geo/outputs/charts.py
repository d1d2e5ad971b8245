"""Altair charts of the register's development, with German labels.

Every function takes a frame computed by :mod:`geo.register.stats` (or
:meth:`geo.register.history.Register.unit_history`) and returns an
:class:`altair.Chart`; data are aggregated here so that charts stay small
whatever the number of units.

Every chart carries the German number and date locale (:data:`DE_LOCALE`,
Vega's ``config.locale``): decimal comma, thousands point, ``20 %``, German
month names. ``presentation=True`` enlarges all text for the projector.

:func:`to_svg` draws any of them on the server (vl-convert, Vega's own renderer):
the app shows charts as inline SVG, so a browser never loads Vega's code (1 MB,
0.4 s on the first chart of a fresh browser) and a chart stands with the page.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from typing import Any

import altair as alt
import pandas as pd

from geo import settings
from geo.dates import local_today
from geo.formats import display_text, fmt_date, fmt_int, fmt_pct
from geo.register.model import STATUS_COLORS, STATUS_LABELS, STATUSES
from geo.register.stats import duration_bins, public_rate

#: German number and time locale for Vega (d3-format / d3-time-format definitions).
DE_LOCALE: dict[str, Any] = {
    "number": {
        "decimal": ",",
        "thousands": ".",
        "grouping": [3],
        "currency": ["", "\u00a0€"],
        "percent": "\u00a0%",
    },
    "time": {
        "dateTime": "%A, %e. %B %Y, %X",
        "date": "%d.%m.%Y",
        "time": "%H:%M:%S",
        "periods": ["AM", "PM"],
        "days": ["Sonntag", "Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag"],
        "shortDays": ["So", "Mo", "Di", "Mi", "Do", "Fr", "Sa"],
        "months": [
            "Januar", "Februar", "März", "April", "Mai", "Juni",
            "Juli", "August", "September", "Oktober", "November", "Dezember",
        ],
        "shortMonths": ["Jan", "Feb", "Mär", "Apr", "Mai", "Jun", "Jul", "Aug", "Sep", "Okt", "Nov", "Dez"],
    },
}  # fmt: skip

#: Font sizes (px) of axis labels/titles and legends: normal and for the projector.
FONT_SIZES: dict[bool, int] = {False: 12, True: 17}


def styled(chart: alt.Chart, *, presentation: bool = False) -> alt.Chart:
    """``chart`` with the German locale and, for the projector, big text."""
    size = FONT_SIZES[presentation]
    chart = chart.configure(locale=DE_LOCALE)
    if not presentation:
        return chart
    large: alt.Chart = chart.configure_axis(labelFontSize=size, titleFontSize=size).configure_legend(
        labelFontSize=size, titleFontSize=size, symbolSize=180
    )
    return large


def to_svg(chart: alt.TopLevelMixin, *, width: int) -> str:
    """``chart`` drawn as an SVG document ``width`` pixels wide, for showing inline in a page.

    The chart (legend and axes included) is fitted into ``width``; in the page it
    shrinks with a narrower column or screen (``max-width: 100%``) and never grows
    beyond ``width``. Each mark's German ``description`` (Vega's ARIA label, e.g.
    ``Volkmarsdorf, 2024: Leerstandsquote 11,8 % (12 von 102 Einheiten leer)``)
    becomes its SVG ``<title>``, which browsers show on hover -- the tooltip
    without Vega's code; a line's path has none (only its points).
    All text is escaped by Vega's SVG writer.

    Parameters
    ----------
    chart
        Any chart made here (or in :mod:`geo.outputs.building_figures`).
    width
        Width of the drawing in CSS pixels.
    """
    sized = chart.properties(width=width, autosize=alt.AutoSizeParams(type="fit-x", contains="padding"))
    buffer = io.StringIO()
    sized.save(buffer, format="svg")
    svg = _ROOT_SIZE.sub(r'\g<0> style="max-width:100%;height:auto"', buffer.getvalue(), count=1)
    return _SYMBOL.sub(_with_title, svg)


#: The root element's size attributes; the first match is the root's.
_ROOT_SIZE = re.compile(r'<svg [^>]*?width="[\d.]+" height="[\d.]+"')
#: A self-closed mark with its description (Vega writes one element per data item).
_SYMBOL = re.compile(r'<(path|rect|line|text|image)\b([^>]*?\saria-label="([^"]*)"[^>]*?role="graphics-symbol"[^>]*?)/>')


def _with_title(match: re.Match[str]) -> str:
    tag, attributes, label = match.groups()
    if 'aria-roledescription="line mark"' in attributes or 'aria-roledescription="area mark"' in attributes:
        return match.group(0)  # one path for a whole series: its first point's text would mislead
    return f"<{tag}{attributes}><title>{label}</title></{tag}>"  # label: already escaped in its attribute


def _status_scale() -> alt.Scale:
    return alt.Scale(
        domain=[STATUS_LABELS[s] for s in STATUSES], range=[STATUS_COLORS[s] for s in STATUSES]
    )


#: Narrowest plot width (px) a legend must fit into: a half-width column, normal and on the projector.
LEGEND_WIDTH: dict[bool, int] = {False: 420, True: 560}


def legend(labels: Sequence[str], *, presentation: bool = False, **options: Any) -> alt.Legend:
    """A legend under the chart that names every entry in full (no "…", never cut off).

    Vega cuts labels at 160 px (``labelLimit``) and shows only as many symbols as
    fit (``symbolLimit``); both are switched off. The entries wrap into as many
    columns as fit into :data:`LEGEND_WIDTH` for the longest label (estimated
    from its length and the font size), instead of running out of the chart.
    """
    longest = max((len(str(label)) for label in labels), default=1)
    entry = longest * 0.6 * FONT_SIZES[presentation] + 34  # symbol, gap and padding
    columns = max(1, min(len(labels), int(LEGEND_WIDTH[presentation] // entry)))
    return alt.Legend(orient="bottom", title=None, columns=columns, labelLimit=0, symbolLimit=0, **options)


def hidden_rate_note(timeline: pd.DataFrame, *, min_units: int | None = None) -> str | None:
    """The note under a rate chart naming the groups left out by :func:`geo.register.stats.public_rate`.

    ``None`` when every group has a rate at every period end. The same rule (and
    threshold) as the period report's rate chart.
    """
    if not len(timeline):
        return None
    shown = public_rate(timeline, min_units=min_units)
    hidden = timeline.loc[shown.isna() & timeline["units"].astype(float).gt(0), "group"].astype(str)
    if hidden.empty:
        return None
    limit = settings.public_min_units if min_units is None else min_units
    names = ", ".join(dict.fromkeys(hidden))
    return f"Werte von Gebieten mit weniger als {fmt_int(limit)} Einheiten nicht dargestellt: {names}."


def vacancy_rate_chart(
    timeline: pd.DataFrame, *, height: int = 320, presentation: bool = False, min_units: int | None = None
) -> alt.Chart:
    """Vacancy rate per period end, one named line per group (:func:`geo.register.stats.timeline`).

    As in the period report, a group's rate at a period end with fewer than
    ``min_units`` units (default :data:`geo.settings.public_min_units`) is left out
    (:func:`geo.register.stats.public_rate`); a group without any shown rate is not
    drawn at all (say so with :func:`hidden_rate_note`). Every drawn line is named
    in the legend, in full.
    """
    rate = public_rate(timeline, min_units=min_units) if len(timeline) else pd.Series(dtype=float)
    data = pd.DataFrame(
        {
            "Stichtag": pd.to_datetime(timeline["period_end"]),
            "Periode": timeline["period"].astype(str),
            "Gebiet": timeline["group"].astype(str),
            "Leerstandsquote": rate,
            "leer": timeline["vacant"].astype(int),
            "Einheiten": timeline["units"].astype(int),
        }
    ).dropna(subset=["Leerstandsquote"])
    data["Beschreibung"] = [
        f"{g}, {p}: Leerstandsquote {fmt_pct(r)} ({fmt_int(v)} von {fmt_int(n)} Einheiten leer)"
        for g, p, r, v, n in zip(data["Gebiet"], data["Periode"], data["Leerstandsquote"], data["leer"],
                                 data["Einheiten"], strict=True)
    ]  # fmt: skip
    groups = list(dict.fromkeys(data["Gebiet"]))
    chart = (
        alt.Chart(data)
        .mark_line(point=alt.OverlayMarkDef(size=90 if presentation else 30), strokeWidth=3 if presentation else 2)
        .encode(
            x=alt.X("Stichtag:T", title=None, axis=alt.Axis(format="%Y", tickCount="year")),
            y=alt.Y("Leerstandsquote:Q", title="Leerstandsquote", axis=alt.Axis(format=".0%")),
            color=alt.Color(
                "Gebiet:N",
                title=None,
                scale=alt.Scale(domain=groups),
                legend=legend(groups, presentation=presentation),
            ),
            description="Beschreibung:N",
        )
        .properties(height=height)
    )
    return styled(chart, presentation=presentation)


def events_chart(timeline: pd.DataFrame, *, height: int = 300, presentation: bool = False) -> alt.Chart:
    """New settlements and closures per period as grouped bars (:func:`geo.register.stats.timeline`, one group)."""
    grouped = (
        timeline.groupby("period", sort=True)[["new_settlements", "closures"]].sum().reset_index()
    )
    data = grouped.melt(id_vars="period", var_name="Art", value_name="Anzahl")
    data["Art"] = data["Art"].map(
        {"new_settlements": "Neuansiedlungen", "closures": "Schließungen"}
    )
    data = data.rename(columns={"period": "Periode"})
    data["Beschreibung"] = [f"{p}: {fmt_int(n)} {a}" for p, n, a in zip(data["Periode"], data["Anzahl"], data["Art"],
                                                                          strict=True)]  # fmt: skip
    upright = data["Periode"].nunique() <= 14
    chart = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("Periode:N", title=None, axis=alt.Axis(labelAngle=0 if upright else -45)),
            xOffset=alt.XOffset("Art:N"),
            y=alt.Y("Anzahl:Q", title="Anzahl"),
            color=alt.Color(
                "Art:N",
                title=None,
                scale=alt.Scale(
                    domain=["Neuansiedlungen", "Schließungen"], range=["#1a9850", "#d73027"]
                ),
                legend=legend(["Neuansiedlungen", "Schließungen"], presentation=presentation),
            ),
            description="Beschreibung:N",
        )
        .properties(height=height)
    )
    return styled(chart, presentation=presentation)


def duration_histogram(
    spells: pd.DataFrame, *, bin_months: int = 6, height: int = 300, presentation: bool = False
) -> alt.Chart:
    """Distribution of vacancy durations (:func:`geo.register.stats.duration_bins`), ongoing and ended stacked."""
    wide = duration_bins(spells, bin_months=bin_months)
    data = wide.melt(
        id_vars=["from_months", "to_months"], value_vars=["ongoing", "ended"], var_name="Stand", value_name="Anzahl"
    ).rename(columns={"from_months": "von", "to_months": "bis"})
    data = data.loc[data["Anzahl"] > 0]
    data["Stand"] = data["Stand"].map({"ongoing": "laufend", "ended": "beendet"})
    data["Beschreibung"] = [
        f"{fmt_int(a)}–{fmt_int(b)} Monate leer, {s}: {fmt_int(n)}"
        for a, b, s, n in zip(data["von"], data["bis"], data["Stand"], data["Anzahl"], strict=True)
    ]
    chart = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("von:Q", bin="binned", title="Leerstandsdauer (Monate)"),
            x2="bis:Q",
            y=alt.Y("Anzahl:Q", title="Leerstände", stack=True),
            color=alt.Color(
                "Stand:N",
                title=None,
                scale=alt.Scale(domain=["laufend", "beendet"], range=["#d73027", "#fdae61"]),
                legend=legend(["laufend", "beendet"], presentation=presentation),
            ),
            description="Beschreibung:N",
        )
        .properties(height=height)
    )
    return styled(chart, presentation=presentation)


def unit_timeline_chart(
    history: pd.DataFrame, *, until: pd.Timestamp | str | None = None, height: int = 40
) -> alt.Chart:
    """A unit's status over time as coloured spans (:meth:`Register.unit_history`, superseded rows left out)."""
    hist = history.loc[~history["superseded"].astype(bool)].sort_values("observed_on")
    start = pd.to_datetime(hist["observed_on"]).reset_index(drop=True)
    end_default = pd.Timestamp(until) if until is not None else pd.Timestamp(local_today())
    end = start.shift(-1).fillna(max(end_default, start.max() if len(start) else end_default))
    data = pd.DataFrame(
        {
            "von": start,
            "bis": end,
            "Status": [STATUS_LABELS.get(s, display_text(s, missing="keine Angabe")) for s in hist["status"]],
            "Betrieb": [display_text(v) for v in hist["business_name"]],
        }
    )
    data["Beschreibung"] = [
        f"{s} vom {fmt_date(a)} bis {fmt_date(b)}" + (f": {name}" if name else "")
        for s, a, b, name in zip(data["Status"], data["von"], data["bis"], data["Betrieb"], strict=True)
    ]
    chart = (
        alt.Chart(data)
        .mark_bar(height=28)
        .encode(
            x=alt.X("von:T", title=None, axis=alt.Axis(format="%Y", tickCount="year", grid=False)),
            x2="bis:T",
            color=alt.Color(
                "Status:N",
                scale=_status_scale(),
                legend=alt.Legend(
                    orient="bottom", title=None, direction="horizontal", offset=6,
                    values=[STATUS_LABELS[s] for s in STATUSES if STATUS_LABELS[s] in set(data["Status"])],
                ),
            ),
            description="Beschreibung:N",
        )
        # Streamlit clips a low chart to its plot height; "padding" keeps the legend inside
        .properties(height=height, autosize=alt.AutoSizeParams(type="fit-x", contains="padding"))
    )
    return styled(chart)


def change_counts(compared: pd.DataFrame) -> pd.DataFrame:
    """Units per change class of :func:`geo.register.stats.compare`, German labels."""
    from geo.outputs.maps import CHANGE_CATEGORIES

    counts = compared["change"].value_counts()
    return pd.DataFrame(
        {
            "Veränderung": [c.label for c in CHANGE_CATEGORIES],
            "Einheiten": [int(counts.get(c.code, 0)) for c in CHANGE_CATEGORIES],
        }
    )
