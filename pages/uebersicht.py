"""Übersicht: key figures for a quarter or Ortsteil on a date, the change in a year, a small map."""

from __future__ import annotations

import streamlit as st

from geo import views
from pages import _filters, _router, _ui

_router.ensure(__file__)

FIELDS = ("quarter", "ortsteil", "use_classes", "at")

h = _ui.load()
_ui.page_header(
    "Übersicht",
    h,
    caption="Gewerbeleerstand und Standortentwicklung im Leipziger Osten und in Grünau – "
    "Quartiersservice Wirtschaft, Arbeitsladen Leipziger Osten, Torgauer Platz 2.",
)
filters = _filters.filter_widgets(h, FIELDS, page=__file__)
view = filters.only(*FIELDS)
at = view.date_at()
register = _ui.filtered(h, view, by_status=False)
st.caption(views.describe(view) + " · Veränderung gegenüber dem Stichtag ein Jahr zuvor")

if not len(register.units):
    st.info("Keine Einheiten für diese Auswahl.")
    st.stop()

with st.spinner("Kennzahlen werden berechnet …"):
    figures = views.key_figures(register, at=at)
_ui.metrics(figures)

left, right = st.columns([3, 2])
with left:
    st.subheader("Karte")
    _ui.show_map(_ui.map_data(h, view, settlements=False), key="uebersicht_karte", height=380, clickable=False)
with right:
    st.subheader("Nach Ortsteil")
    st.dataframe(
        views.area_table(register, at=at, by="ortsteil"),
        hide_index=True,
        width="stretch",
        column_config={"Leerstandsquote %": st.column_config.NumberColumn(format="%.1f %%")},
    )
    st.caption("Details, Verlauf und Bearbeitung einzelner Einheiten auf der Seite „Karte“.")
