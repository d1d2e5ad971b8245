"""Quartiersmonitor – Streamlit app. This file only routes; the pages live in ``pages/``.

Run with ``streamlit run streamlit_app.py`` (or ``./dev app``). The register
is the working copy of the demo unless ``QM_STORE`` names another store or
one is opened on the page „Daten“.
"""

import streamlit as st

st.set_page_config(
    page_title="Quartiersmonitor – Leerstand und Standortentwicklung",
    page_icon=":material/storefront:",
    layout="wide",
)

pages = [
    st.Page("pages/uebersicht.py", title="Übersicht", icon=":material/dashboard:", default=True),
    st.Page("pages/karte.py", title="Karte", icon=":material/map:"),
    st.Page("pages/entwicklung.py", title="Entwicklung", icon=":material/trending_up:"),
    st.Page("pages/osm.py", title="OpenStreetMap", icon=":material/storefront:"),
    st.Page("pages/bericht.py", title="Bericht", icon=":material/picture_as_pdf:"),
    st.Page("pages/daten.py", title="Daten", icon=":material/database:"),
    st.Page("pages/praesentation.py", title="Präsentation", icon=":material/slideshow:"),
]
st.navigation(pages, position="top").run()
