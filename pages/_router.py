"""The app's navigation: used by ``streamlit_app.py`` and by every page file.

Streamlit treats a folder called ``pages/`` next to the entry script as an
old-style multipage folder until some session has called ``st.navigation``: a
bookmarked link such as ``/karte?quartier=Grünau`` opened on a freshly started
server runs ``pages/karte.py`` on its own, without navigation or page config.
Every page therefore starts with :func:`ensure`, which runs the whole app with
that page selected when the page file was started directly. (Streamlit still
shows a "Page not found" notice over the correct page on that very first
deep link after a server start; later visits are clean.)
"""

from __future__ import annotations

from contextvars import ContextVar
from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parent.parent

#: Menu sections with (file, title, icon) of their pages; the first page is the default.
SECTIONS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "Lage": (
        ("pages/uebersicht.py", "Übersicht", ":material/dashboard:"),
        ("pages/karte.py", "Karte", ":material/map:"),
        ("pages/entwicklung.py", "Entwicklung", ":material/trending_up:"),
        ("pages/gebaeude.py", "Gebäudebestand", ":material/apartment:"),
    ),
    "Vor Ort": (
        ("pages/begehung.py", "Begehung planen", ":material/directions_walk:"),
        ("pages/besuch.py", "Besuche erfassen", ":material/fact_check:"),
        ("pages/osm.py", "OpenStreetMap", ":material/storefront:"),
    ),
    "Berichte": (
        ("pages/bericht.py", "Bericht", ":material/picture_as_pdf:"),
        ("pages/praesentation.py", "Präsentation", ":material/slideshow:"),
    ),
    "Daten": (("pages/daten.py", "Daten", ":material/database:"),),
}

#: Every page in menu order.
PAGES: tuple[tuple[str, str, str], ...] = tuple(page for pages in SECTIONS.values() for page in pages)

_ROUTED: ContextVar[bool] = ContextVar("qm_routed", default=False)


def run(*, default: str | None = None) -> None:
    """Set the page config and run the page the URL (or ``default``) selects."""
    # an emoji favicon is inlined; a :material/…: favicon would be fetched from Google
    st.set_page_config(page_title="Quartiersmonitor – Leerstand und Standortentwicklung", page_icon="🏬", layout="wide")
    # the Leaflet assets for the maps go to static/vendor/ once per process (see _ui.map_assets)
    from pages import _ui

    if st.get_option("server.enableStaticServing"):
        _ui._vendor_written()
    default = default or PAGES[0][0]
    # absolute paths: st.Page resolves relative ones against the script Streamlit started
    menu = {
        section: [st.Page(ROOT / path, title=title, icon=icon, default=path == default) for path, title, icon in pages]
        for section, pages in SECTIONS.items()
    }
    token = _ROUTED.set(True)
    try:
        st.navigation(menu, position="top").run()
    finally:
        _ROUTED.reset(token)


def ensure(page_file: str) -> None:
    """Run the whole app with this page selected if Streamlit started the page file directly."""
    if _ROUTED.get():
        return
    run(default=Path(page_file).resolve().relative_to(ROOT).as_posix())
    st.stop()
