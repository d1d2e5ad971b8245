"""Bookmarks (issue 13): a deep link opens its page, keeps its address and shows no notice.

On a freshly started server Streamlit treats the folder ``pages/`` as an old-style (v1)
multipage folder: the first deep link (``/karte?…``) runs ``pages/karte.py`` on its own, which
starts the whole app through :func:`pages._router.ensure`. Making the bookmarked page the
default there gave it the address ``/``, so Streamlit did not find ``/karte``: it sent
"Page not found", the browser showed the English notice over the right page and rewrote the
address to ``/?…`` (a reload landed on Übersicht).

Here that first run is reproduced without a browser: a wrapper script states the page the
browser asked for, as Streamlit does for a deep link, starts the page file through
:func:`pages._router.ensure` as the v1 folder does, and records whether Streamlit sent
"Page not found". ``tests/app/test_browser_journeys.py`` checks the same in Chromium on a
fresh server.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from geo import settings
from pages import _router, _session
from tests.signin import signed_in
from tests.synthetic import synthetic_store

ROOT = Path(__file__).resolve().parents[2]

#: Runs a page file as the v1 ``pages/`` folder does for a deep link to ``url``: with the page named
#: in the run's intent, and a record of Streamlit's "Page not found" message in the session.
WRAPPER = """
import streamlit as st
import streamlit.commands.navigation as navigation
from streamlit.runtime.scriptrunner import get_script_run_ctx

from pages import _router

get_script_run_ctx().pages_manager.set_script_intent("", {url!r})
original = navigation.send_page_not_found

def record(ctx):
    st.session_state["page_not_found"] = True
    original(ctx)

navigation.send_page_not_found = record
try:
    _router.ensure({page!r})
finally:
    navigation.send_page_not_found = original
"""


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("bookmarks") / "demo.gpkg"
    if settings.demo_store_path.exists():
        shutil.copyfile(settings.demo_store_path, target)
        return target
    return synthetic_store(target, n=120)


def test_every_page_has_its_file_name_as_address_and_the_first_is_the_default():
    assert _router.DEFAULT_PAGE == _router.PAGES[0][0] == "pages/uebersicht.py"
    addresses = [_router.url_path(path) for path, _, _ in _router.PAGES]
    assert addresses == [Path(path).stem for path, _, _ in _router.PAGES]
    assert len(set(addresses)) == len(addresses)


@pytest.mark.parametrize(
    ("page", "title"),
    [("pages/karte.py", "Karte"), ("pages/entwicklung.py", "Entwicklung"), ("pages/besuch.py", "Besuche erfassen")],
)
def test_a_deep_link_on_a_fresh_server_finds_its_page_without_a_notice(store, page, title):
    script = WRAPPER.format(url=Path(page).stem, page=str(ROOT / page))
    at = AppTest.from_string(script, default_timeout=60)
    at.session_state[_session.STORE] = str(store)
    signed_in(at)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] == [title]
    assert "page_not_found" not in at.session_state, "Streamlit sent 'Page not found' (address rewritten to /)"


def test_the_start_address_still_opens_the_overview(store):
    script = WRAPPER.format(url="", page=str(ROOT / "pages/karte.py"))
    at = AppTest.from_string(script, default_timeout=60)
    at.session_state[_session.STORE] = str(store)
    signed_in(at)
    at.run()
    assert [t.value for t in at.title] == ["Übersicht"]
    assert "page_not_found" not in at.session_state


def test_a_page_started_as_the_script_itself_shows_that_page(store):
    """``streamlit run pages/karte.py`` (or AppTest on the page file): no address names a page."""
    at = AppTest.from_file(str(ROOT / "pages/karte.py"), default_timeout=60)
    at.session_state[_session.STORE] = str(store)
    signed_in(at)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] == ["Karte"]
