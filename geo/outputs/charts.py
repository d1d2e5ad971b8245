"""Altair charts of the register's development, with German labels.

Every function takes a frame computed by :mod:`geo.register.stats` (or
:meth:`geo.register.history.Register.unit_history`) and returns an
:class:`altair.Chart`; data are aggregated here so that charts stay small
whatever the number of units.

Every chart carries the German number and date locale (:data:`DE_LOCALE`,
Vega's ``config.locale``): decimal comma, thousands point, ``20 %``, German
month names. ``presentation=True`` enlarges all text for the projector.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import altair as alt
import pandas as pd

from geo import settings
from geo.formats import display_text, fmt_int
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
            tooltip=[
                alt.Tooltip("Gebiet:N"),
                alt.Tooltip("Periode:N"),
                alt.Tooltip("Leerstandsquote:Q", format=".1%"),
                alt.Tooltip("leer:Q", format=",d"),
                alt.Tooltip("Einheiten:Q", format=",d"),
            ],
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
            tooltip=["Periode:N", "Art:N", alt.Tooltip("Anzahl:Q", format=",d")],
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
    data["Dauer"] = [f"{a}–{b} Monate" for a, b in zip(data["von"], data["bis"], strict=True)]
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
            tooltip=["Dauer:N", "Stand:N", alt.Tooltip("Anzahl:Q", format=",d")],
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
    end_default = pd.Timestamp(until) if until is not None else pd.Timestamp.today().normalize()
    end = start.shift(-1).fillna(max(end_default, start.max() if len(start) else end_default))
    data = pd.DataFrame(
        {
            "von": start,
            "bis": end,
            "Status": [STATUS_LABELS.get(s, display_text(s, missing="keine Angabe")) for s in hist["status"]],
            "Betrieb": [display_text(v) for v in hist["business_name"]],
        }
    )
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
            tooltip=[
                alt.Tooltip("von:T", format="%d.%m.%Y"),
                alt.Tooltip("bis:T", format="%d.%m.%Y"),
                "Status:N",
                "Betrieb:N",
            ],
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
