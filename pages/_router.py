"""The app's navigation: used by ``streamlit_app.py`` and by every page file.

Streamlit treats a folder called ``pages/`` next to the entry script as an
old-style (v1) multipage folder until some session has called
``st.navigation``: a bookmarked link such as ``/karte?quartier=Grünau`` opened
as the first request after a server start runs ``pages/karte.py`` on its own,
without navigation or page config. Every page therefore starts with
:func:`ensure`, which then runs the whole app's navigation; Streamlit resolves
the page from the address (``karte``) and runs it inside the navigation.

Every page has its ``url_path`` named explicitly (the file's stem, as the v1
folder names it too), and on that path the default page stays the first one:
were the bookmarked page made the default, its address would be ``/`` and
Streamlit would not find ``/karte`` -- it showed „Page not found“ over the
right page and rewrote the address to ``/?…``, so a reload landed on Übersicht
(``tests/app/test_bookmarks.py``, ``tests/app/test_browser_journeys.py``).

The menu holds only the pages the session's role may see (:data:`RIGHTS`,
:mod:`pages._auth`); the address of every other page runs a small sign-in page
instead (hidden in the menu), so a bookmark of a page behind a role asks for the
sign-in and then shows the page, and the page's own code never runs for a role
without its right. Each page checks its right again at its top.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import streamlit as st

from geo.access.roles import Right, allowed
from geo.app.access import Who

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
    "Daten": (
        ("pages/daten.py", "Daten", ":material/database:"),
        ("pages/konten.py", "Konten", ":material/manage_accounts:"),
    ),
}

#: The right each page needs: the menu lists a page only for roles holding it (:mod:`geo.access.roles`).
RIGHTS: dict[str, Right] = {
    "pages/uebersicht.py": Right.PUBLIC_FIGURES,
    "pages/karte.py": Right.UNIT_VIEW,
    "pages/entwicklung.py": Right.UNIT_VIEW,
    "pages/gebaeude.py": Right.UNIT_VIEW,
    "pages/begehung.py": Right.WALKS,
    "pages/besuch.py": Right.WALKS,
    "pages/osm.py": Right.EDIT,
    "pages/bericht.py": Right.PUBLIC_EXPORT,
    "pages/praesentation.py": Right.PUBLIC_FIGURES,
    "pages/daten.py": Right.INTERNAL_EXPORT,
    "pages/konten.py": Right.ACCOUNTS,
}

#: The sign-in page: in the menu while nobody is signed in, else only at its address.
SIGN_IN = ("pages/anmelden.py", "Anmelden", ":material/login:")

#: Every page in menu order.
PAGES: tuple[tuple[str, str, str], ...] = tuple(page for pages in SECTIONS.values() for page in pages)

#: The page shown at ``/``.
DEFAULT_PAGE = PAGES[0][0]

_ROUTED: ContextVar[bool] = ContextVar("qm_routed", default=False)


def url_path(page: str) -> str:
    """The address of a page file (its stem: ``pages/karte.py`` -> ``karte``); the default page is also at ``/``."""
    return Path(page).stem


def visible_pages(role_rights: Callable[[Right], bool]) -> list[str]:
    """The page files of the menu for a session holding the rights ``role_rights`` says it holds, in menu order."""
    return [path for path, _, _ in PAGES if role_rights(RIGHTS[path])]


def _gate(title: str, right: Right) -> Callable[[], None]:
    """What runs at the address of a page the session may not see: why, and the sign-in (not the page)."""
    from pages import _auth

    def page() -> None:
        st.title(title)
        if _auth.who().name is None:
            st.info(_auth.denied_text(right, title), icon=":material/lock:")
            _auth.sign_in_form(key="signin")  # signed in, the same address shows the page
        else:
            st.error(_auth.denied_text(right, title), icon=":material/lock:")
            st.page_link(ROOT / DEFAULT_PAGE, label="Zur Übersicht", icon=":material/dashboard:")

    return page


def run(*, default: str = DEFAULT_PAGE) -> None:
    """Set the page config and run the page the URL selects (``/``: ``default``, normally :data:`DEFAULT_PAGE`).

    The menu is built from the pages the session's role may see; a page it may not
    see is replaced, at its address, by a hidden sign-in page (:func:`_gate`).
    """
    # an emoji favicon is inlined; a :material/…: favicon would be fetched from Google
    st.set_page_config(page_title="Quartiersmonitor – Leerstand und Standortentwicklung", page_icon="🏬", layout="wide")
    # the Leaflet assets for the maps go to static/vendor/ once per process (see _ui.map_assets)
    from pages import _auth, _style, _ui

    if st.get_option("server.enableStaticServing"):
        _ui._vendor_written()
    _style.apply()  # German texts in Streamlit's own widgets (file uploader), on every page
    with _auth.resolved() as current:  # the account store is asked once per run
        menu = _menu(current, default)
        _auth.sidebar()
        token = _ROUTED.set(True)
        try:
            st.navigation(menu, position="top").run()
        finally:
            _ROUTED.reset(token)


def _menu(current: Who, default: str) -> dict[str, list[Any]]:
    """The menu of ``current``: the pages of its role, and hidden sign-ins at the others' addresses."""
    shown = set(visible_pages(lambda right: allowed(current.role, right)))
    # absolute paths: st.Page resolves relative ones against the script Streamlit started
    menu: dict[str, list[Any]] = {}
    hidden: list[Any] = []
    for section, pages in SECTIONS.items():
        for path, title, icon in pages:
            address, first = url_path(path), path == default
            if path in shown:
                menu.setdefault(section, []).append(st.Page(ROOT / path, title=title, icon=icon, url_path=address,
                                                            default=first))
            else:
                hidden.append(st.Page(_gate(title, RIGHTS[path]), title=title, icon=icon, url_path=address,
                                      default=first, visibility="hidden"))
    path, title, icon = SIGN_IN
    sign_in = st.Page(ROOT / path, title=title, icon=icon, url_path=url_path(path), default=path == default,
                      visibility="visible" if current.name is None else "hidden")
    if current.name is None:
        menu["Konto"] = [sign_in]
    else:
        hidden.append(sign_in)
    menu[next(iter(menu))] += hidden  # hidden pages are not shown: any section holds them
    return menu


def ensure(page_file: str) -> None:
    """Run the whole app (navigation, page config, this page by its address) if Streamlit started the page file directly.

    ``page_file`` is the page's ``__file__``. Opened by its address on a fresh
    server (the v1 ``pages/`` folder), Streamlit picks the page from the address
    (:func:`url_path`), so the default stays :data:`DEFAULT_PAGE` and ``/karte``
    stays ``/karte``. Started as the script itself (``AppTest.from_file``,
    ``streamlit run pages/karte.py``), no address names a page: it is the default.
    """
    if _ROUTED.get():
        return
    page = Path(page_file).resolve()
    run(default=page.relative_to(ROOT).as_posix() if _started_script() == page else DEFAULT_PAGE)
    st.stop()


def _started_script() -> Path | None:
    """The script Streamlit was started with (``streamlit run FILE``), None outside a Streamlit run."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return None if ctx is None else Path(ctx.pages_manager.main_script_path).resolve()
