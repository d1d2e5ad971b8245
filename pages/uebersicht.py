"""Übersicht: key figures for a quarter or Ortsteil on a date, the change in a year, a small map."""

from __future__ import annotations

import streamlit as st

from geo.access.roles import Right
from geo.app.display import german_style
from geo.app.filters import describe
from pages import _auth, _downloads, _figures, _filters, _router, _ui

_router.ensure(__file__)
_auth.require(Right.PUBLIC_FIGURES, title="Übersicht")

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
st.caption(describe(view) + " · Veränderung gegenüber dem Stichtag ein Jahr zuvor")

if not len(register.units):
    st.info("Keine Einheiten für diese Auswahl.")
    st.stop()

with st.spinner("Kennzahlen werden berechnet …"):
    figures = _figures.key_figures(h, view, at=at)
_ui.metrics(figures)

left, right = st.columns([1, 1])
with left:
    st.subheader("Karte")
    _ui.show_map(_ui.map_data(h, view, settlements=False), key="uebersicht_karte", height=400, clickable=False,
                 legend="compact", fit="areas")
    _downloads.image_downloads(h, view, "status_map", key="u_map", settlements=False)
with right:
    st.subheader("Nach Ortsteil")
    table = _figures.area_table(h, view, at=at, by="ortsteil").drop(columns="Median Leerstand (Monate)")
    number = st.column_config.NumberColumn
    st.dataframe(
        german_style(table, {"Leerstandsquote %": "{:.1f} %"}),
        hide_index=True,
        width="stretch",
        height="content",
        column_config={
            "Ortsteil": st.column_config.TextColumn("Ortsteil", width=170),
            "Einheiten": number("Einh.", help="Gewerbeeinheiten mit bekanntem Status am Stichtag", width=56),
            "leer": number("leer", help="leer und vermutlich leer", width=50),
            "Leerstandsquote %": number("Quote", help="Leerstandsquote", width=66),
            "Neuansiedlungen 12 M.": number("neu", help="Neuansiedlungen in den 12 Monaten bis zum Stichtag",
                                            width=48),
            "Schließungen 12 M.": number("zu", help="Schließungen in den 12 Monaten bis zum Stichtag", width=48),
        },
    )
    st.caption("„neu“ und „zu“: Neuansiedlungen und Schließungen der letzten 12 Monate. Details, Verlauf und "
               "Bearbeitung einzelner Einheiten auf der Seite „Karte“.")
