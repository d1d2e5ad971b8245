"""The map without a base map in a real browser (headless Chromium, offline; see ``tests/browser_util.py``).

With „ohne Hintergrundkarte“ no tile layer gives Leaflet a maximum zoom; the
marker clusters then failed with "Map has no maxZoom specified" and the map
stayed blank. Skipped where Chromium or the ``playwright`` package is missing.
"""

from __future__ import annotations

import pytest

from geo.access.roles import Role
from tests.browser_util import (
    AppServer,
    launch_browser,
    offline_context,
    sign_in_if_asked,
    skip_reason,
    wait_idle,
    wait_maps,
)
from tests.signin import NAMES, PASSWORD, account
from tests.synthetic import synthetic_store

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(skip_reason() is not None, reason=skip_reason() or ""),
]


def test_karte_without_base_map_draws_its_units_without_errors(tmp_path):
    store = synthetic_store(tmp_path / "store.gpkg", n=120)
    account(Role.CITY, store=store)  # Karte: for the role Stadt and above
    requests: list[str] = []
    errors: list[str] = []
    with AppServer(store=store, log=tmp_path / "streamlit.log") as server, launch_browser() as browser:
        ctx = offline_context(browser, requests, viewport={"width": 1440, "height": 900})
        try:
            page = ctx.new_page()
            page.set_default_timeout(30_000)
            page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
            page.on("console", lambda msg: msg.type == "error" and errors.append(f"console: {msg.text}"))
            page.goto(server.url + "/")  # the first deep link after a server start gets a Streamlit notice
            wait_idle(page)
            page.goto(server.url + "/karte?karte=none")
            wait_idle(page)
            assert sign_in_if_asked(page, NAMES[Role.CITY], PASSWORD)
            states = wait_maps(page, count=1)
        finally:
            ctx.close()
    assert states, "no map on the page"
    state = states[0]
    assert state["units"] == 120
    assert state["clusters"] > 0, state  # the cluster layer was added (it failed without maxZoom)
    # requests to other hosts are aborted on purpose (offline browser); any other error is a defect
    real = [e for e in errors if "ERR_PROXY_CONNECTION_FAILED" not in e and "Failed to load resource" not in e]
    assert not real, real
    assert not any("maxZoom" in e for e in errors), errors
