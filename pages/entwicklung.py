"""Entwicklung: vacancy rate over time, settlements and closures, vacancy durations, before/after.

Every chart and the before/after map can be downloaded as PNG or SVG (made on click).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from geo import dates, formats
from geo.access.roles import Right
from geo.app.display import german_style
from geo.app.figures import events_summary, plausible_start
from geo.app.filters import describe
from geo.errors import QuartiersmonitorError
from geo.outputs import charts
from pages import _auth, _charts, _downloads, _figures, _filters, _router, _ui

_router.ensure(__file__)
_auth.require(Right.UNIT_VIEW, title="Entwicklung")

FIELDS = ("quarter", "ortsteil", "use_classes", "at")
FREQS = {"year": "Jahr", "quarter": "Quartal", "month": "Monat"}

h = _ui.load()
_ui.page_header("Entwicklung", h)
filters = _filters.filter_widgets(h, FIELDS, page=__file__)
view = filters.only(*FIELDS)
end = view.date_at()
low, today = dates.plausible_window()
first, notice = plausible_start(h.register, end=end)
if notice:
    st.info(notice, icon=":material/event_busy:")
_ui.drop_date_outside("e_start", low, end)  # a start kept from an earlier Stichtag may lie after the new one
start = st.sidebar.date_input(
    "Zeitraum ab", value=first, min_value=low, max_value=end, format="DD.MM.YYYY", key="e_start",
)
register = _ui.filtered(h, view, by_status=False)
st.caption(f"{describe(view)} · Zeitraum {formats.fmt_date(start)} bis {formats.fmt_date(end)}")
if not len(register.units):
    st.info("Keine Einheiten für diese Auswahl.")
    st.stop()


@st.fragment
def rate_section() -> None:
    st.subheader("Leerstandsquote")
    _ui.rerun_if_changed(h)  # written meanwhile: the whole page anew
    left, right = st.columns(2)
    freq = left.radio("Auflösung", list(FREQS), format_func=FREQS.get, horizontal=True, key="e_rate_freq")
    default_by = 1 if view.quarter else 0
    by = right.radio("Je", ["quarter", "ortsteil"], index=default_by, horizontal=True, key="e_rate_by",
                     format_func={"quarter": "Quartier", "ortsteil": "Ortsteil"}.get)
    with st.spinner("Zeitreihe wird berechnet …"):
        frame = _figures.timeline(h, view, freq=freq, start=start, end=end, by=by)
    _charts.show(charts.vacancy_rate_chart(frame), width=_charts.HALF)
    if note := charts.hidden_rate_note(frame):
        st.caption(note)
    _downloads.image_downloads(h, view, "rate", key="e_rate_img", start=start, end=end, freq=freq, by=by)


@st.fragment
def events_section() -> None:
    st.subheader("Neuansiedlungen und Schließungen")
    _ui.rerun_if_changed(h)  # written meanwhile: the whole page anew
    freq = st.radio("Auflösung", ["year", "quarter"], format_func=FREQS.get, horizontal=True, key="e_events_freq")
    frame = _figures.timeline(h, view, freq=freq, start=start, end=end, by=None)
    _charts.show(charts.events_chart(frame), width=_charts.HALF)
    st.caption(events_summary(frame))
    _downloads.image_downloads(h, view, "events", key="e_events_img", start=start, end=end, freq=freq)


@st.fragment
def duration_section() -> None:
    st.subheader("Dauer der Leerstände")
    width = st.select_slider("Klassenbreite (Monate)", [3, 6, 12], value=6, key="e_bin")
    spells = _figures.spells(h, view, start=start, end=end)
    if spells.empty:
        st.info("Keine Leerstände im Zeitraum.")
        return
    _charts.show(charts.duration_histogram(spells, bin_months=width), width=_charts.THIRD)
    st.caption(f"{formats.fmt_int(len(spells))} Leerstände, davon {formats.fmt_int(spells['ongoing'].sum())} am Stichtag laufend.")
    _downloads.image_downloads(h, view, "duration", key="e_duration_img", start=start, end=end, bin_months=width)


@st.fragment
def longest_section() -> None:
    st.subheader("Am längsten leer")
    n = st.slider("Anzahl", 5, 50, 15, step=5, key="e_longest_n")
    table = _figures.longest_vacant(h, view, at=end, n=n)
    st.dataframe(
        german_style(table),
        hide_index=True,
        width="stretch",
        column_config={
            "Einheit": st.column_config.TextColumn(width=62),
            "Adresse": st.column_config.TextColumn(width=175),
            "Ortsteil": st.column_config.TextColumn(width=150),
            "Status": st.column_config.TextColumn(width=100),
            "leer seit": st.column_config.TextColumn(width=84),
            "Monate": st.column_config.NumberColumn(help="Leerstandsdauer am Stichtag in Monaten", width=58),
        },
    )


@st.fragment
def compare_section() -> None:
    st.subheader("Vorher / nachher")
    left, right = st.columns(2)
    before_default = max((pd.Timestamp(end) - pd.DateOffset(years=1)).date(), start)
    if before_default >= end:
        st.info(f"Für einen Vergleich muss der Stichtag nach dem Beginn des Zeitraums ({formats.fmt_date(start)}) liegen.")
        return
    _ui.drop_date_outside("e_before", low, end)
    _ui.drop_date_outside("e_after", low, today)
    before = left.date_input("Vorher", value=before_default, min_value=low, max_value=end, format="DD.MM.YYYY",
                             key="e_before")
    after = right.date_input("Nachher", value=end, min_value=low, max_value=today, format="DD.MM.YYYY",
                             key="e_after")
    try:
        with st.spinner("Vergleich wird berechnet …"):
            data, compared = _ui.compare_data(h, view, before=before, after=after)
    except QuartiersmonitorError as exc:
        _ui.show_error(exc)
        return
    map_col, table_col = st.columns([3, 1])
    with map_col:
        _ui.show_map(data, key="vergleich_karte", basemap=filters.basemap, height=480, clickable=False)
    with table_col:
        st.dataframe(german_style(charts.change_counts(compared)), hide_index=True, width="stretch")
        st.caption("Auf der Karte ohne Gruppierung; „unverändert“ lässt sich über die Ebenen einschalten.")
        _downloads.image_downloads(h, view, "change_map", key="e_change_img", before=before, after=after)


top_left, top_right = st.columns(2)
with top_left:
    rate_section()
with top_right:
    events_section()
mid_left, mid_right = st.columns([1, 2])
with mid_left:
    duration_section()
with mid_right:
    longest_section()
compare_section()
