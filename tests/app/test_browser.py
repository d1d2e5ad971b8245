"""The app in a real browser: headless Chromium (Debian's ``chromium``) driven by Playwright.

Starts ``streamlit run streamlit_app.py`` on a free local port on a fresh copy
of the demo store, keeps the browser offline (every request to another host is
recorded and aborted, base-map tiles included) and checks that the map draws
its units and legend without any CDN, that a filter changes map, figures and
URL, and that every page renders without an exception. Full-page screenshots
of every page go to ``artifacts/screenshots/`` -- what the Beirat will see.

Skipped where Chromium or the ``playwright`` package is missing.
"""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from geo import settings
from geo.access.roles import Role
from geo.app.figures import key_figures
from geo.app.filters import Filters, apply_filters
from geo.register.store import open_store
from pages import _preload, _router
from tests.browser_util import (
    ROOT,
    AppServer,
    disallowed_requests,
    full_page_screenshot,
    launch_browser,
    map_frames,
    map_marked,
    map_state,
    mark_map,
    offline_context,
    sign_in,
    sign_in_if_asked,
    skip_reason,
    slug,
    wait_idle,
    wait_maps,
)
from tests.signin import NAMES, PASSWORD, account
from tests.synthetic import synthetic_store

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(skip_reason() is not None, reason=skip_reason() or ""),
]

SCREENSHOTS = ROOT / "artifacts" / "screenshots"
EXPECTED_PAGES = {"Übersicht", "Karte", "Entwicklung", "Daten", "Präsentation"}
VIEWPORT = {"width": 1440, "height": 900}


def _copy_demo(target: Path) -> Path:
    if settings.demo_store_path.exists():
        shutil.copyfile(settings.demo_store_path, target)
        return target
    return synthetic_store(target, n=300)


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    """A fresh copy of the demo store: the app may write to it, never to the repository's files."""
    path = _copy_demo(tmp_path_factory.mktemp("browser") / "demo.gpkg")
    account(Role.ADMIN, store=path)  # every page: signed in as admin
    return path


@pytest.fixture(scope="module")
def server(store, tmp_path_factory):
    app = AppServer(store=store, log=tmp_path_factory.mktemp("browser-log") / "streamlit.log")
    app.start()
    yield app
    app.stop()


@pytest.fixture(scope="module")
def browser():
    with launch_browser() as b:
        yield b


@pytest.fixture
def session(browser):
    """A new browser session (its own Streamlit session) that records every request URL."""
    requests: list[str] = []
    errors: list[str] = []
    ctx = offline_context(browser, requests, viewport=VIEWPORT)
    page = ctx.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.set_default_timeout(30_000)
    yield page, requests, errors
    ctx.close()


def nav_sections(page) -> list[str]:
    """Section names shown in the top navigation bar."""
    return [t.strip() for t in page.locator("header").first.inner_text().splitlines() if t.strip()]


#: url path -> title of every page the router knows (the default page lives at "/")
PAGE_URLS = {("" if i == 0 else Path(path).stem): title for i, (path, title, _) in enumerate(_router.PAGES)}


def open_app(page, server: AppServer) -> None:
    """Open the app, sign in as admin (the start page follows) and wait until it is idle."""
    page.goto(server.url + "/anmelden")
    wait_idle(page)
    # the code of the pages' elements is loaded below the form, unseen (pages._preload)
    hidden = page.locator(f".st-key-{_preload.KEY}")
    for kind in ("stDataFrame", "stSelectbox", "stMultiSelect", "stDateInput", "stRadio", "stCheckbox", "stSlider",
                 "stButton", "stDownloadButton"):
        hidden.get_by_test_id(kind).wait_for(state="attached")
    assert not hidden.is_visible() and not page.get_by_test_id("stDataFrame").filter(visible=True).count()
    assert not page.get_by_text(_preload.LABEL).filter(visible=True).count()
    sign_in(page, NAMES[Role.ADMIN], PASSWORD)
    wait_idle(page)  # the start page drawn: its figures are read next (a CI run read them half drawn)


def goto_page(page, title: str) -> None:
    """Open the page ``title`` by its address (the menu groups pages in drop-downs)."""
    path = next(p for p, t in PAGE_URLS.items() if t == title)
    base = urlsplit(page.url)
    page.goto(f"{base.scheme}://{base.netloc}/{path}")
    page.wait_for_url(lambda url: urlsplit(url).path == f"/{path}")
    wait_idle(page)
    sign_in_if_asked(page, NAMES[Role.ADMIN], PASSWORD)  # a new page load is a new session: signed out
    notice = page.locator('[role="dialog"]').filter(has_text="Page not found")
    assert notice.count() == 0, f"/{path}: Streamlit says the page does not exist"


def _open_combobox(page, label: str) -> None:
    sidebar = page.locator('[data-testid="stSidebar"]')
    box = page.get_by_role("combobox", name=label, exact=True)  # relative to the widget in filter(has=)
    widget = sidebar.locator('[data-testid="stSelectbox"], [data-testid="stMultiSelect"]').filter(has=box)
    widget.get_by_role("button", name="Open").click()


def choose(page, label: str, option: str) -> None:
    """Pick ``option`` in the sidebar selectbox labelled ``label``."""
    _open_combobox(page, label)
    page.get_by_role("option", name=option, exact=True).click()


def add_choice(page, label: str, option: str) -> None:
    """Add ``option`` to the sidebar multiselect labelled ``label``."""
    _open_combobox(page, label)
    page.get_by_role("option", name=option, exact=True).click()
    page.keyboard.press("Escape")


def query(page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


#: JavaScript: label and value of every metric, read from each metric's own box in one go.
METRICS_JS = """() => [...document.querySelectorAll('[data-testid="stMetric"]')].map(m => [
    m.querySelector('[data-testid="stMetricLabel"]')?.innerText ?? '',
    m.querySelector('[data-testid="stMetricValue"]')?.innerText ?? ''])"""


def metrics(page, *, timeout: float = 30.0) -> dict[str, str]:
    """Label -> value of every metric once the figures stand: two reads 0.3 s apart agree (on a busy machine
    a page counted as idle before its run had begun, and its figures were read half drawn)."""
    deadline, last = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        now = page.evaluate(METRICS_JS)
        if now and now == last:
            return {label.strip(): value.strip() for label, value in now}
        last = now
        time.sleep(0.3)
    raise TimeoutError(f"figures not drawn after {timeout:.0f} s: {last}")


def expected_metrics(store: Path, filters: Filters) -> dict[str, str]:
    register = apply_filters(open_store(store).read(), filters, by_status=False)
    return {f.label: f.value for f in key_figures(register, at=filters.date_at())}


def legend_total(legend: str) -> int:
    """Sum of the status counts in the legend text (``genutzt (298)`` …, not the highlights)."""
    total = 0
    for line in legend.splitlines():
        match = re.fullmatch(r"(.+) \(([\d.]+)\)", line.strip())
        if match and not match.group(1).startswith("Neuansiedlung"):
            total += int(match.group(2).replace(".", ""))
    return total


def wait_map_change(page, before: int, *, timeout: float = 30.0) -> dict:
    """Wait until the (first) map shows a different number of units than ``before``."""
    deadline = time.monotonic() + timeout
    state: dict = {}
    while time.monotonic() < deadline:
        frames = map_frames(page)
        if frames:
            try:
                state = map_state(frames[0])
            except Exception:  # noqa: BLE001 - frame still navigating
                state = {}
            if state.get("units") is not None and state["units"] != before and state.get("legend"):
                return state
        time.sleep(0.1)
    raise AssertionError(f"map did not change from {before} units: {state}")


def _unit_with_history(register) -> str:
    """A unit in Grünau with several observations (so its panel shows a timeline)."""
    counts = register.observations["unit_id"].value_counts()
    in_gruenau = set(register.units.loc[register.units["quarter"] == "Grünau", "unit_id"])
    return next(u for u in counts.index if u in in_gruenau)


def _in_map_frame(request) -> bool:
    try:
        return "/component/streamlit_folium" in request.frame.url
    except Exception:  # noqa: BLE001 - requests of workers have no frame
        return False


def no_exceptions(page, errors: list[str], where: str) -> None:
    boxes = page.locator('[data-testid="stException"]')
    assert boxes.count() == 0, f"{where}: exception shown: {boxes.first.inner_text()[:800]}"
    assert "Traceback (most recent call last)" not in page.locator('[data-testid="stMain"]').inner_text(), (
        where
    )
    assert not errors, f"{where}: JavaScript errors: {errors}"


def test_bookmark_opens_the_full_app_on_a_fresh_server(store, browser, tmp_path):
    """A bookmarked view (``/karte?quartier=…``) opened first after a server start runs through
    ``streamlit_app.py``: top navigation, wide layout, the bookmarked filter."""
    with AppServer(store=store, log=tmp_path / "streamlit.log") as fresh:
        requests: list[str] = []
        ctx = offline_context(browser, requests, viewport=VIEWPORT)
        try:
            page = ctx.new_page()
            page.goto(fresh.url + "/karte?quartier=Gr%C3%BCnau")
            wait_idle(page)
            assert sign_in_if_asked(page, NAMES[Role.ADMIN], PASSWORD)  # Karte: behind a role
            wait_maps(page, count=1)
            nav = nav_sections(page)
            width = page.evaluate(
                "() => getComputedStyle(document.querySelector('[data-testid=\"stMainBlockContainer\"]')).maxWidth"
            )
            assert nav == list(_router.SECTIONS) and width == "none", (
                f"deep link on a fresh server ran the page without streamlit_app.py (navigation {nav}, "
                f"max-width {width}): Streamlit treats the folder 'pages/' next to the entry script as a "
                "v1 multipage folder until some session has called st.navigation"
            )
            quarter = page.locator('[data-testid="stSidebar"]').get_by_role(
                "combobox", name="Quartier", exact=True
            )
            assert quarter.input_value() == "Grünau"
        finally:
            ctx.close()


def test_map_shows_units_and_legend_offline_and_follows_a_filter(server, store, session):
    page, requests, errors = session
    map_requests: list[str] = []
    page.on("request", lambda r: map_requests.append(r.url) if _in_map_frame(r) else None)
    open_app(page, server)
    goto_page(page, "Karte")
    (state,) = wait_maps(page, count=1)
    no_exceptions(page, errors, "Karte")

    assert state["leaflet"]
    assert state["units"] and state["units"] > 0, state
    assert state["placed"] == state["units"], f"units not placed in their clusters: {state}"
    assert state["clusters"] + state["interactive"] > 0, f"nothing drawn: {state}"
    legend = state["legend"]
    for word in ("Status am", "genutzt", "leer", "Demo-Daten (fiktiv)"):
        assert word in legend, legend
    assert legend_total(legend) == state["units"], legend
    register = open_store(store).read()
    assert state["units"] == int(register.units.geometry.notna().sum())
    # tiles are blocked here: the map says so and still shows boundaries and units
    assert state["offlineNote"] and "Hintergrundkarte nicht erreichbar" in state["offlineNote"], state
    assert page.frame_locator('iframe[title="streamlit_folium.st_folium"]').locator(".qm-label").count() > 0

    # a control outside the map (unit search, in a fragment) leaves the map frame alone
    mark_map(map_frames(page)[0])
    unit = _unit_with_history(register)
    search = page.get_by_role("textbox", name="Einheit suchen (Kennung, Straße oder Betrieb)")
    search.fill(unit)
    search.press("Enter")
    page.get_by_text("Verlauf", exact=True).wait_for()
    wait_idle(page)
    assert map_marked(map_frames(page)[0]), "the unit search redrew the map"
    assert page.get_by_role("button", name="Beobachtung speichern").count() == 1
    no_exceptions(page, errors, "Karte mit Einheit")
    full_page_screenshot(page, SCREENSHOTS / "karte-einheit.png")

    choose(page, "Quartier", "Grünau")
    gruenau = wait_map_change(page, state["units"])
    wait_idle(page)
    assert query(page).get("quartier") == ["Grünau"]
    assert not map_marked(map_frames(page)[0])  # the probe itself works: a filter redraws the map
    n_gruenau = int((register.units["quarter"] == "Grünau").sum())
    assert gruenau["units"] == n_gruenau < state["units"]
    assert legend_total(gruenau["legend"]) == n_gruenau

    add_choice(page, "Status", "leer")
    vacant = wait_map_change(page, gruenau["units"])
    wait_idle(page)
    assert query(page).get("status") == ["vacant"]
    assert 0 < vacant["units"] < gruenau["units"]
    assert legend_total(vacant["legend"]) == vacant["units"] and "genutzt" not in vacant["legend"], vacant[
        "legend"
    ]
    no_exceptions(page, errors, "Karte nach Filter")

    assert map_requests, "map component not loaded"
    assert disallowed_requests(map_requests) == [], "the map frame asked hosts other than the app and tiles"
    # Leaflet comes from the app's static folder (loaded once, cached), not inline with every map
    vendor = [u for u in map_requests if urlsplit(u).path.startswith("/app/static/vendor/")]
    assert any(u.endswith("-leaflet-bundle.js") for u in vendor), map_requests  # with its plugins, one file
    assert not any(u.startswith("data:text/javascript") for u in map_requests), "Leaflet inlined again"


def test_overview_figures_follow_a_filter(server, store, session):
    page, requests, errors = session
    open_app(page, server)
    shown = metrics(page)
    assert shown == expected_metrics(store, Filters())
    choose(page, "Quartier", "Grünau")
    page.wait_for_function("() => location.search.includes('quartier=')")
    wait_idle(page)
    after = metrics(page)
    assert after != shown
    assert after == expected_metrics(store, Filters(quarter="Grünau"))
    assert query(page).get("quartier") == ["Grünau"]
    no_exceptions(page, errors, "Übersicht")


def test_every_page_renders_and_is_screenshotted(server, session):
    page, requests, errors = session
    open_app(page, server)
    assert nav_sections(page) == list(_router.SECTIONS), nav_sections(page)
    titles = list(PAGE_URLS.values())
    assert EXPECTED_PAGES <= set(titles), titles
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for title in titles:
        goto_page(page, title)
        states = wait_maps(page)
        no_exceptions(page, errors, title)
        for state in states:
            if title == "Gebäudebestand":  # footprints of the demo building series, no unit layer
                drawn = state["interactive"] > 0 or state["canvases"] > 0
                assert drawn and state["legend"], f"{title}: empty map {state}"
            else:
                assert state["units"] and state["legend"], f"{title}: empty map {state}"
        path = SCREENSHOTS / f"{slug(title)}.png"
        full_page_screenshot(page, path)
        assert path.stat().st_size > 10_000
    outside = sorted(set(disallowed_requests(requests)))
    assert outside == [], f"the app asked hosts other than itself and the tile servers: {outside}"


def test_three_sessions_at_once_see_the_same_map_and_figures(server, store, browser):
    """Several people use the app at once: the second and third session show the same map as the first.

    (A folium.Map kept in st.cache_resource lost its markers in every session after the first.)
    """
    register = open_store(store).read()
    expected_units = int(register.units.geometry.notna().sum())
    contexts, pages = [], []
    try:
        for _ in range(3):
            ctx = offline_context(browser, [], viewport=VIEWPORT)
            contexts.append(ctx)
            page = ctx.new_page()
            page.goto(server.url + "/")
            pages.append(page)
        figures = []
        for page in pages:
            wait_idle(page)
            figures.append(metrics(page))
        expected = expected_metrics(store, Filters())
        assert figures == [expected] * 3, figures
        for page in pages:
            page.goto(server.url + "/karte")
        states = []
        for page in pages:
            wait_idle(page)
            sign_in_if_asked(page, NAMES[Role.ADMIN], PASSWORD)
            (state,) = wait_maps(page, count=1)
            states.append((state["units"], legend_total(state["legend"])))
        assert states == [(expected_units, expected_units)] * 3, states
    finally:
        for ctx in contexts:
            ctx.close()
