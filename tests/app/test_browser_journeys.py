"""Journeys of issue 13 in a real browser (headless Chromium via Playwright, offline).

* a bookmark opened as the very first request after a server start opens its page, keeps its
  address (also after a reload) and shows no "Page not found" notice;
* a click on a row of the unit list on Karte selects that unit, and the map is not drawn anew;
* the maps name the quarters and Ortsteile, names do not overlap each other, and the legend
  covers nothing of what the map was fitted to (wide screen and phone).

Skipped where Chromium or the ``playwright`` package is missing.
"""

from __future__ import annotations

import html
import re
import shutil
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from geo import settings
from geo.access.roles import Role
from geo.app.unitlist import unit_list
from geo.dates import local_today
from geo.outputs import charts
from geo.register.stats import status_at
from geo.register.store import open_store
from tests.browser_util import (
    AppServer,
    launch_browser,
    map_frames,
    map_marked,
    mark_map,
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

WIDE = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}

#: JavaScript run in a map frame: the visible name labels, the legend and the fitted area, in pixels of the map.
MAP_LAYOUT_JS = """() => {
    let map = null;
    for (const v of Object.values(window)) { if (v && window.L && v instanceof window.L.Map) { map = v; } }
    const box = map.getContainer().getBoundingClientRect();
    const rel = r => [r.left - box.left, r.top - box.top, r.right - box.left, r.bottom - box.top];
    const labels = [...map.getContainer().querySelectorAll('.qm-label')]
        .filter(e => getComputedStyle(e).display !== 'none')
        .map(e => ({text: e.innerText.trim(), rect: rel(e.getBoundingClientRect())}));
    const legend = map.getContainer().querySelector('.qm-legend');
    let fit = null;
    if (map.qmFit) {
        const a = map.latLngToContainerPoint(map.qmFit.getNorthWest());
        const b = map.latLngToContainerPoint(map.qmFit.getSouthEast());
        fit = [a.x, a.y, b.x, b.y];
    }
    return {size: [box.width, box.height], labels: labels, legend: rel(legend.getBoundingClientRect()),
            legendOpen: !!legend.querySelector('details[open]'), fit: fit};
}"""


def _copy_demo(target: Path) -> Path:
    if settings.demo_store_path.exists():
        shutil.copyfile(settings.demo_store_path, target)
        return target
    return synthetic_store(target, n=300)


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    path = _copy_demo(tmp_path_factory.mktemp("journeys-browser") / "demo.gpkg")
    account(Role.ADMIN, store=path)  # Karte and Entwicklung: behind a role
    return path


@pytest.fixture(scope="module")
def browser():
    with launch_browser() as b:
        yield b


@pytest.fixture(scope="module")
def server(store, tmp_path_factory):
    app = AppServer(store=store, log=tmp_path_factory.mktemp("journeys-log") / "streamlit.log")
    app.start()
    yield app
    app.stop()


def _overlap(a: list[float], b: list[float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _page_not_found(page) -> bool:
    return page.get_by_text("Page not found").count() > 0 or "does not seem to exist" in page.content()


def test_a_bookmark_as_first_request_opens_its_page_and_keeps_its_address(store, browser, tmp_path):
    with AppServer(store=store, log=tmp_path / "streamlit.log") as fresh:
        ctx = offline_context(browser, [], viewport=WIDE)
        try:
            page = ctx.new_page()
            page.goto(fresh.url + "/karte?quartier=Gr%C3%BCnau")  # the server's very first request
            wait_idle(page)
            assert sign_in_if_asked(page, NAMES[Role.ADMIN], PASSWORD)  # at the bookmark's address
            wait_maps(page, count=1)
            time.sleep(0.5)  # the notice, when sent, comes with the first run
            assert page.locator("h1").first.inner_text().strip() == "Karte"
            assert not _page_not_found(page), "Streamlit showed 'Page not found' over the bookmarked page"
            url = urlsplit(page.url)
            assert url.path == "/karte" and parse_qs(url.query).get("quartier") == ["Grünau"], page.url

            page.reload()  # a new session: signed out, the sign-in at the same address
            wait_idle(page)
            assert sign_in_if_asked(page, NAMES[Role.ADMIN], PASSWORD)
            assert page.locator("h1").first.inner_text().strip() == "Karte"
            assert urlsplit(page.url).path == "/karte" and not _page_not_found(page)

            second = ctx.new_page()  # another bookmark in another session
            second.goto(fresh.url + "/entwicklung")
            wait_idle(second)
            assert sign_in_if_asked(second, NAMES[Role.ADMIN], PASSWORD)
            assert second.locator("h1").first.inner_text().strip() == "Entwicklung"
            assert urlsplit(second.url).path == "/entwicklung" and not _page_not_found(second)
        finally:
            ctx.close()


def _open_karte(ctx, server):  # noqa: ANN001, ANN202
    """Karte in a new tab of ``ctx``, signed in as admin, its map drawn and its first state reported."""
    page = ctx.new_page()
    page.set_default_timeout(30_000)
    page.goto(server.url + "/karte")
    wait_idle(page)
    sign_in_if_asked(page, NAMES[Role.ADMIN], PASSWORD)
    wait_maps(page, count=1)
    time.sleep(1.5)  # streamlit-folium reports its first state once drawn: one more run, same map
    wait_idle(page)
    return page


def test_a_row_of_the_unit_list_selects_its_unit_and_leaves_the_map_alone(server, store, browser):
    ctx = offline_context(browser, [], viewport=WIDE)
    try:
        page = _open_karte(ctx, server)
        mark_map(map_frames(page)[0])
        table = unit_list(status_at(open_store(store).read(), local_today()))
        grid = page.locator('[data-testid="stDataFrame"]').first
        grid.scroll_into_view_if_needed()
        box = grid.bounding_box()
        row = 2
        page.mouse.click(box["x"] + 18, box["y"] + 35 * (row + 1) + 17)  # the row's selection box
        wait_idle(page)
        search = page.get_by_role("textbox", name="Einheit suchen (Kennung, Straße oder Betrieb)")
        expected = table["Kennung"].iloc[row]
        deadline = time.monotonic() + 15
        while search.input_value() != expected and time.monotonic() < deadline:
            time.sleep(0.2)
        assert search.input_value() == expected
        page.get_by_text("Verlauf", exact=True).wait_for()
        assert map_marked(map_frames(page)[0]), "selecting a row redrew the map"

        # the unit's timeline: drawn on the server, in the page as SVG with a hover text per span
        page.get_by_text("Zeitleiste zeigen").click()
        chart = page.locator(".qm-chart svg").first
        chart.wait_for()
        history = open_store(store).read().unit_history(expected)
        svg = charts.to_svg(charts.unit_timeline_chart(history), width=440)
        expected_titles = [html.unescape(t) for t in re.findall("<title>([^<]*)</title>", svg)]
        assert expected_titles and chart.locator("title").all_text_contents() == expected_titles
        column = page.get_by_text("Verlauf", exact=True).locator("xpath=ancestor::*[@data-testid='stColumn'][last()]")
        assert 0 < chart.bounding_box()["width"] <= column.bounding_box()["width"]
        assert page.locator('[data-testid="stVegaLiteChart"]').count() == 0  # no chart library loaded
    finally:
        ctx.close()


#: JavaScript run in a map frame: zoom to the unit ``id`` (a marker of its own at zoom 19), then where it is.
ZOOM_TO_UNIT_JS = """(id) => {
    let map = null, units = null;
    for (const v of Object.values(window)) {
        if (v && window.L && v instanceof window.L.Map) { map = v; }
        if (v && v.qmRows && v.qmMarkers && !units) { units = v; }
    }
    const i = units.qmRows.findIndex(r => r[3] === id);
    const m = units.qmMarkers[i];
    if (!map.qmZoomed) { map.setView(m.getLatLng(), 19, {animate: false}); map.qmZoomed = true; }
    if (!map.hasLayer(m)) { return null; }
    const p = map.latLngToContainerPoint(m.getLatLng()), box = map.getContainer().getBoundingClientRect();
    const x = box.left + p.x, y = box.top + p.y;
    return {x: x, y: y};  // drawn on a canvas: Leaflet finds the marker under the mouse itself
}"""


def _lone_unit(store: Path) -> str:
    """A unit with a place of its own (no other unit within 25 m), so that a click on the map hits it alone."""
    units = open_store(store).read().units
    placed = units.loc[units.geometry.notna()].to_crs(settings.metric_crs)
    near = placed.geometry.apply(lambda g: int((placed.geometry.distance(g) < 25).sum()))
    return str(placed.loc[near == 1, "unit_id"].iloc[0])


def test_a_unit_clicked_on_the_map_tells_its_name_on_hover_and_opens_its_panel(server, store, browser):
    ctx = offline_context(browser, [], viewport=WIDE)
    try:
        page = _open_karte(ctx, server)
        unit = _lone_unit(store)
        frame = map_frames(page)[0]
        iframe = page.locator('iframe[title="streamlit_folium.st_folium"]').first
        deadline, spot = time.monotonic() + 15, None
        while spot is None and time.monotonic() < deadline:
            spot = frame.evaluate(ZOOM_TO_UNIT_JS, unit)
            time.sleep(0.2)
        assert spot, f"unit {unit} not drawn on its own at zoom 19"
        origin = iframe.bounding_box()
        # the map runs out of the window at the bottom: a press used to scroll the page (focus), and the click missed
        assert origin["y"] + origin["height"] > page.viewport_size["height"]
        x, y = origin["x"] + spot["x"], origin["y"] + spot["y"]
        page.mouse.move(x, y)
        tip = frame.locator(".leaflet-tooltip").filter(has_text=unit)
        tip.wait_for()
        assert tip.inner_text().startswith(unit)  # "<id> · <address>" and the status: the unit's own tooltip
        page.mouse.click(x, y)
        search = page.get_by_role("textbox", name="Einheit suchen (Kennung, Straße oder Betrieb)")
        deadline = time.monotonic() + 15
        while search.input_value() != unit and time.monotonic() < deadline:
            time.sleep(0.2)
        assert search.input_value() == unit
        page.get_by_text("Verlauf", exact=True).wait_for()
    finally:
        ctx.close()


@pytest.mark.parametrize("viewport", [WIDE, PHONE], ids=["wide", "phone"])
@pytest.mark.parametrize("path", ["/", "/karte", "/karte?quartier=Leipziger%20Osten"])
def test_maps_carry_place_names_and_the_legend_covers_nothing_they_show(server, browser, viewport, path):
    ctx = offline_context(browser, [], viewport=viewport)
    try:
        page = ctx.new_page()
        page.goto(server.url + path)
        wait_idle(page)
        sign_in_if_asked(page, NAMES[Role.ADMIN], PASSWORD)  # Karte: behind a role
        wait_maps(page, count=1)
        time.sleep(1.0)  # labels are placed after the last zoom and re-clustering
        layout = map_frames(page)[0].evaluate(MAP_LAYOUT_JS)
    finally:
        ctx.close()
    names = [label["text"] for label in layout["labels"]]
    width, height = layout["size"]
    inside = [n for n, label in zip(names, layout["labels"], strict=True)
              if label["rect"][0] >= 0 and label["rect"][2] <= width and label["rect"][1] >= 0 and label["rect"][3] <= height]
    if "quartier" in path:
        assert "Leipziger Osten" in inside and len(inside) >= 3, names  # the quarter and some of its Ortsteile
    else:
        assert {"Grünau", "Leipziger Osten"} <= set(inside), names
    rects = [label["rect"] for label in layout["labels"]]
    for i, a in enumerate(rects):
        for b in rects[i + 1 :]:
            assert not _overlap(a, b), f"names overlap: {names}"
        assert not _overlap(a, layout["legend"]), f"a name under the legend: {names}"
    assert layout["fit"] is not None
    assert not _overlap(layout["fit"], layout["legend"]), f"the legend covers the fitted area: {layout}"
    legend_area = (layout["legend"][2] - layout["legend"][0]) * (layout["legend"][3] - layout["legend"][1])
    if layout["legendOpen"]:
        assert legend_area <= 0.2 * width * height + 1, layout
    else:  # collapsed to its title on a small map
        assert layout["legend"][3] - layout["legend"][1] < 40, layout
