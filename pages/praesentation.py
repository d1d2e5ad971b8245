"""Präsentation: full-width view for the advisory board (Beirat).

Big key figures, the map (fitted to the Ortsteile shown) and the development
charts for a chosen period, with big chart text for the projector; every chart
and the map can be downloaded as PNG or SVG. No personal data, no editing
controls, nothing in the sidebar.
"""

from __future__ import annotations

from datetime import date

import streamlit as st

from geo import formats
from geo.access.roles import Right
from geo.app.figures import plausible_start
from geo.outputs import charts
from pages import _auth, _charts, _downloads, _figures, _filters, _router, _ui

_router.ensure(__file__)
_auth.require(Right.PUBLIC_FIGURES, title="Präsentation")

FIELDS = ("quarter", "ortsteil", "at", "since")
BIG = """<style>
[data-testid="stMetricValue"] { font-size: 3.4rem; }
[data-testid="stMetricLabel"] p { font-size: 1.25rem; }
[data-testid="stMetricDelta"] { font-size: 1.1rem; }
</style>"""

h = _ui.load()
st.html(BIG)
_ui.page_header("Gewerbeleerstand und Neuansiedlungen", h)
notices = st.container()
with st.expander("Auswahl", expanded=False):
    filters = _filters.filter_widgets(h, FIELDS, page=__file__, container=st.container(), columns=True,
                                      notices=notices)
view = filters.only(*FIELDS)
end = view.date_at()
register = _ui.filtered(h, view, by_status=False)
st.markdown(f"### {view.ortsteil or view.quarter or 'Leipziger Osten und Grünau'} · Stand {formats.fmt_date(end)}")
if not len(register.units):
    st.info("Keine Einheiten für diese Auswahl.")
    st.stop()

_ui.metrics(_figures.key_figures(h, view, at=end))

_ui.show_map(_ui.map_data(h, view), key="praesentation_karte", basemap="positron", height=620, clickable=False,
             fit="areas", legend="large")
_downloads.image_downloads(h, view, "status_map", key="p_map_img")


@st.fragment
def development() -> None:
    """The development charts with their own period control (reruns alone)."""
    first, notice = plausible_start(h.register, end=end)
    if notice:
        st.info(notice, icon=":material/event_busy:")
    years = list(range(first.year, end.year + 1))
    from_year = st.select_slider("Entwicklung ab", years, value=years[0], key="p_from") if len(years) > 1 else years[0]
    start = date(from_year, 1, 1)
    left, right = st.columns(2)
    with left:
        st.subheader("Leerstandsquote")
        by = "ortsteil" if view.quarter else "quarter"
        rate = _figures.timeline(h, view, freq="year", start=start, end=end, by=by)
        _charts.show(charts.vacancy_rate_chart(rate, height=380, presentation=True), width=_charts.PROJECTOR)
        if note := charts.hidden_rate_note(rate):
            st.caption(note)
        _downloads.image_downloads(h, view, "rate", key="p_rate_img", start=start, end=end, freq="year", by=by)
    with right:
        st.subheader("Neuansiedlungen und Schließungen je Jahr")
        events = _figures.timeline(h, view, freq="year", start=start, end=end, by=None)
        _charts.show(charts.events_chart(events, height=380, presentation=True), width=_charts.PROJECTOR)
        _downloads.image_downloads(h, view, "events", key="p_events_img", start=start, end=end, freq="year")


development()
st.caption("Quartiersservice Wirtschaft · Arbeitsladen Leipziger Osten, Torgauer Platz 2, 04315 Leipzig · "
           "Zahlen ohne personenbezogene Daten.")
