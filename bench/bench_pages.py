"""Benchmark: how long every page of the app takes to open in a real browser, and its controls to answer.

Starts the app as ``./dev app`` does (``python -m pages._serve``, headless, on a free local port; see
``tests/browser_util.AppServer``) on a copy of the demo register and on a synthetic register of
50,000 units (``bench/bench_app.build_store``), drives Debian's Chromium with Playwright
(``tests/browser_util.launch_browser``, the browser kept offline) and measures:

0. **the floor** (``--floor N``, before the registers): two reference pages without the app
   (``bench/floor/``: a heading; a heading and one map of the app's kind with one unit), each opened
   in N fresh browsers on a server that showed it once -- what Streamlit's frontend and the map frame
   take before anything of the app; compare with *neuer Tab*.

1. **opening each page**, from the navigation to *page ready*:

   - the page's main heading is shown (and no sign-in form),
   - Streamlit is idle: script state ``notRunning``, connected, no status widget
     (``[data-testid="stStatusWidget"]``, „Running …“), no spinner, no skeleton,
   - every visible map has drawn (the streamlit-folium frame holds a Leaflet container and the
     legend, and clustered unit layers have placed every unit), every visible Vega chart has drawn
     (a canvas or SVG of non-zero size; the app's own charts are inline SVG and stand with the page),
     every visible dataframe has its canvas, every visible image has loaded,

   all of it continuously for 300 ms; the time reported is when that state began.

   - *kalt* (cold): the server started anew, a fresh browser context (empty cache), the page's
     address opened. A page behind a role shows the sign-in there first: the time is address →
     form shown plus „Anmelden“ clicked → page ready (typing excluded: the click comes ``--typing``
     seconds, default 1.5, after the form is shown, as a person's would; meanwhile the browser loads
     the code of the page's elements, ``pages/_preload.py``);
   - *neuer Tab*: a server in use (every page shown once since its start, so the figures, maps and
     charts of the default views are made), a fresh browser context, the same way;
   - *Tab im eigenen Browser* (again): the same server, a browser context that has opened every page once
     before (its cache holds the app's code, as a user's everyday browser does), the page's address
     opened in a new tab of it -- a new Streamlit session, so signed in anew;
   - *warm*: signed in, the page chosen in the menu from another page (median of ``--rounds``).

2. **controls that do not change the map** (≥ 20 repetitions each, p50/p95, from the click or Enter
   to ready after the run it started): on Karte the unit search, a search hit, a row of the unit
   list and the timeline toggle (the map is checked to be untouched afterwards); the resolution
   of the vacancy-rate chart on Entwicklung; a tab on Gebäudebestand.

3. **„Bericht erstellen“**: click → the PDF download button is shown, and → page ready (preview and
   figures drawn), against the time the page itself reports („erstellt in … s“); three periods,
   the first after a server start.

Sign-in: when the app has a sign-in page (``pages/anmelden.py``), an account ``bench`` with the
role admin is put into the benchmark's copy of the store (``python -m geo users add bench --role
admin --store S``, password on stdin) and every browser context signs in once through the form.

Targets (issue 13, on a 2-core machine): every page under 2 s on the demo register and under 4 s
at 50,000 units; controls that do not change the map under 300 ms at the 95th percentile.

Run: ``.venv/bin/python bench/bench_pages.py [--registers demo,large] [--units 50000]
[--large-store PATH] [--repeat 20] [--rounds 3] [--pages karte,bericht] [--no-cold] [--floor 5]``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from tests.browser_util import (  # noqa: E402
    AppServer,
    launch_browser,
    map_frames,
    map_marked,
    mark_map,
    offline_context,
    skip_reason,
)

TARGET_DEMO_S = 2.0
TARGET_LARGE_S = 4.0
TARGET_CONTROL_P95_MS = 300.0
#: The tracker's state while a click has not started a run yet.
NO_RUN = "no run yet"
#: Ready must hold this long (ms) before a page counts as ready.
SETTLE_MS = 300
#: Seconds from the sign-in form shown until „Anmelden“ is clicked (``--typing``): a person types name
#: and password in no less, and the page behind loads the code of its elements meanwhile (pages._preload).
TYPING_S = 1.5
ACCOUNT = "bench"
PASSWORD = "Bench-Passwort-2026!"
VIEWPORT = {"width": 1440, "height": 900}
#: Heading of a page where it is not the page's menu title.
HEADINGS = {"pages/praesentation.py": "Gewerbeleerstand und Neuansiedlungen"}

#: Installed in every document: tracks, every 20 ms and on every script-state change, whether the
#: page is ready (see the module docstring), and when the last click/Enter happened.
TRACKER_JS = """(() => {
  const S = 'input[type="password"]';
  const q = window.__qm = {input: 0, heading: null, needRun: false, sawRun: false, readySince: null,
                           last: 'init', formSince: null, runs: [], observed: false};
  const visible = el => el.checkVisibility ? el.checkVisibility() : el.offsetParent !== null;
  const frameReady = f => {
    try {
      const d = f.contentDocument, w = f.contentWindow;
      if (!(d && d.readyState === 'complete' && d.querySelector('.leaflet-container')
            && d.querySelector('.qm-legend'))) { return false; }
      // clustered unit layers place their units in chunks: ready when every unit is placed
      return !Object.values(w).some(v => v && v.qmLoaded === false && v._map);
    } catch (e) { return false; }
  };
  const state = () => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app) { return 'loading'; }
    if (!q.observed) {
      q.observed = true;
      new MutationObserver(() => {
        const s = app.getAttribute('data-test-script-state');
        q.runs.push([performance.now(), s]);
        if (s === 'running') { q.sawRun = true; }
        q.readySince = null;
      }).observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
    }
    const main = document.querySelector('[data-testid="stMain"]');
    const form = main && [...main.querySelectorAll('[data-testid="stFormSubmitButton"] button')]
      .some(b => b.innerText.trim() === 'Anmelden' && visible(b));
    if (form && q.formSince === null && main.querySelector(S)) { q.formSince = performance.now(); }
    if (app.getAttribute('data-test-script-state') !== 'notRunning') { return 'running'; }
    if (app.getAttribute('data-test-connection-state') !== 'CONNECTED') { return 'connecting'; }
    if (document.querySelector('[data-testid="stStatusWidget"]')) { return 'status'; }
    if (q.needRun && !q.sawRun) { return 'no run yet'; }  // NO_RUN
    if (!main) { return 'no main'; }
    if (q.heading && ![...main.querySelectorAll('h1')].some(h => h.innerText.trim().startsWith(q.heading))) {
      return 'heading';
    }
    if (form) { return 'sign-in form'; }
    if ([...main.querySelectorAll('[data-testid="stSpinner"], [data-testid="stSkeleton"]')].some(visible)) {
      return 'spinner';
    }
    for (const f of main.querySelectorAll('iframe[title="streamlit_folium.st_folium"]')) {
      if (visible(f) && !frameReady(f)) { return 'map'; }
    }
    for (const c of main.querySelectorAll('[data-testid="stVegaLiteChart"]')) {
      if (!visible(c)) { continue; }
      const g = c.querySelector('canvas, svg');
      if (!g || !g.getBoundingClientRect().width) { return 'chart'; }
    }
    for (const t of main.querySelectorAll('[data-testid="stDataFrame"]')) {
      if (visible(t) && !t.querySelector('canvas')) { return 'dataframe'; }
    }
    for (const img of main.querySelectorAll('img')) {
      if (visible(img) && !(img.complete && img.naturalWidth)) { return 'image'; }
    }
    return 'ready';
  };
  const mark = () => { q.input = performance.now(); q.readySince = null; q.sawRun = false; q.runs = []; };
  document.addEventListener('click', mark, true);
  document.addEventListener('keydown', e => { if (e.key === 'Enter') { mark(); } }, true);
  setInterval(() => {
    const s = state();
    q.last = s;
    if (s !== 'ready') { q.readySince = null; } else if (q.readySince === null) { q.readySince = performance.now(); }
  }, 20);
})();"""


def pct(values: list[float], p: float) -> float:
    """The ``p``-th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))]


def table(title: str, header: list[str], rows: list[list[Any]]) -> None:
    cells = [[str(c) for c in r] for r in [header, *rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    print(f"\n{title}")
    for k, r in enumerate(cells):
        print("  " + "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                               for i, (c, w) in enumerate(zip(r, widths, strict=True))))
        if k == 0:
            print("  " + "  ".join("-" * w for w in widths))


def load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


# -- the pages -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    path: str  # "pages/karte.py"
    title: str  # menu title
    section: str
    heading: str

    @property
    def address(self) -> str:
        return Path(self.path).stem


def app_pages() -> list[Page]:
    """The app's pages in menu order (from ``pages/_router.py``)."""
    from pages import _router

    return [Page(path, title, section, HEADINGS.get(path, title))
            for section, pages in _router.SECTIONS.items() for path, title, _ in pages]


def public_pages() -> set[str]:
    """Page files the public role may open (no sign-in needed)."""
    from pages import _router

    try:
        from geo.access.roles import Role, allowed
    except ImportError:  # an app without roles: every page is public
        return {p for p, _, _ in _router.PAGES}
    return {p for p, right in _router.RIGHTS.items() if allowed(Role.PUBLIC, right)}


def has_sign_in() -> bool:
    return (ROOT / "pages" / "anmelden.py").is_file()


# -- stores ----------------------------------------------------------------------------------------


def prepare_store(source: Path, target: Path) -> Path:
    """Copy ``source`` to ``target`` and put the benchmark's admin account into it (when the app has sign-in)."""
    shutil.copyfile(source, target)
    if has_sign_in():
        subprocess.run(
            [sys.executable, "-m", "geo", "users", "add", ACCOUNT, "--role", "admin", "--store", str(target)],
            input=PASSWORD + "\n", text=True, check=True, cwd=ROOT, capture_output=True,
        )
    return target


def large_store(path: Path | None, units: int, tmp: Path) -> Path:
    """The synthetic register of ``units`` units (kept at ``path`` when given, made once)."""
    from bench_app import build_store

    path = path or tmp / f"large-{units}.gpkg"
    if not path.exists():
        t0 = time.perf_counter()
        path.parent.mkdir(parents=True, exist_ok=True)
        build_store(path, units)
        print(f"Register mit {units:,} Einheiten erzeugt in {time.perf_counter() - t0:.0f} s: {path}"
              .replace(",", "."))
    return path


# -- the browser -----------------------------------------------------------------------------------


@dataclass
class Session:
    """One browser context with one tab on the app, tracked by :data:`TRACKER_JS`."""

    browser: Any
    server: AppServer
    ctx: Any = None
    page: Any = None
    received: dict[str, int] = field(default_factory=lambda: {"bytes": 0})
    own_ctx: bool = True

    def __post_init__(self) -> None:
        if self.ctx is None:
            self.ctx = offline_context(self.browser, [], viewport=VIEWPORT)
            self.ctx.add_init_script(TRACKER_JS)
        else:
            self.own_ctx = False
        self.page = self.ctx.new_page()
        self.page.on("websocket", lambda ws: ws.on(
            "framereceived", lambda p: self.received.__setitem__("bytes", self.received["bytes"] + len(p))))

    def close(self) -> None:
        if self.own_ctx:
            self.ctx.close()
        else:
            self.page.close()

    def new_tab(self) -> Session:
        """Another tab in this browser context (its cache, not its Streamlit session or sign-in)."""
        return Session(self.browser, self.server, ctx=self.ctx)

    def expect(self, heading: str | None, *, need_run: bool = False) -> None:
        self.page.evaluate("([h, n]) => { window.__qm.heading = h; window.__qm.needRun = n; }", [heading, need_run])

    def wait_ready(self, *, timeout: float = 300.0, since_input: bool = True) -> float:
        """Milliseconds from the last click/Enter (or the navigation) until ready held :data:`SETTLE_MS`."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            q = self.page.evaluate("() => { const q = window.__qm; return [q.readySince, performance.now(), "
                                   "q.input, q.last]; }")
            since, now, t_input, last = q
            if since is not None and now - since >= SETTLE_MS:
                return float(since - (t_input if since_input else 0.0))
            time.sleep(0.03)
        if last == NO_RUN:
            raise TimeoutError(f"page not ready after {timeout:.0f} s: {NO_RUN}")
        raise TimeoutError(f"page not ready after {timeout:.0f} s (last state: {last})")

    def wait_form(self, timeout: float = 120.0) -> float:
        """Milliseconds from the navigation until the sign-in form was shown."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            since = self.page.evaluate("() => window.__qm.formSince")
            if since is not None:
                self.page.get_by_label("Passwort", exact=True).wait_for(timeout=timeout * 1000)
                return float(since)
            time.sleep(0.03)
        raise TimeoutError("no sign-in form")

    def sign_in(self) -> None:
        self.page.get_by_label("Name", exact=True).fill(ACCOUNT)
        self.page.get_by_label("Passwort", exact=True).fill(PASSWORD)
        shown_ms = self.page.evaluate("() => performance.now() - (window.__qm.formSince ?? performance.now())")
        time.sleep(max(0.0, TYPING_S - shown_ms / 1000))
        self.page.get_by_role("button", name="Anmelden", exact=True).click()

    def open(self, p: Page, *, signed: bool) -> dict[str, float]:
        """Open the page's address in this (fresh) context; sign in when the page asks. Times in ms."""
        self.received["bytes"] = 0
        self.page.goto(f"{self.server.url}/{p.address}")
        self.expect(p.heading)
        out: dict[str, float] = {}
        if signed:
            out["form"] = self.wait_form()
            self.sign_in()
            out["after_sign_in"] = self.wait_ready()
            out["total"] = out["form"] + out["after_sign_in"]
        else:
            out["total"] = self.wait_ready(since_input=False)
        out["bytes"] = self.received["bytes"]
        return out

    def sign_in_here(self) -> None:
        """Sign in on page *Anmelden* (then the app shows Übersicht)."""
        self.page.goto(f"{self.server.url}/anmelden")
        self.expect("Anmelden")
        self.wait_form()
        self.expect("Übersicht")
        self.sign_in()
        self.wait_ready()

    def navigate(self, p: Page) -> float:
        """Choose the page in the menu; ms from the click on its entry until ready."""
        page = self.page
        self.expect(p.heading, need_run=True)
        section = page.locator('[data-testid="stTopNavSection"]').filter(has_text=p.section).first
        link = page.locator('[data-testid="stTopNavDropdownLink"]').filter(
            has=page.get_by_text(p.title, exact=True)).first
        for _ in range(5):
            section.click()
            try:
                link.wait_for(state="visible", timeout=2000)
                break
            except Exception:  # noqa: BLE001 - the dropdown closed again
                page.keyboard.press("Escape")
        self.received["bytes"] = 0
        page.evaluate("() => { window.__qm.runs = []; }")
        link.click()
        try:
            return self.wait_ready(timeout=20)
        except TimeoutError as exc:  # the menu closed before the click reached its entry: choose it again
            if NO_RUN not in str(exc):
                return self.wait_ready()  # a long run: keep waiting (timed from the click all the same)
            print(f"  Achtung: Menüklick auf {p.title} ohne Lauf, noch einmal")
            self.expect(p.heading, need_run=True)
            section.click()
            link.click()
            return self.wait_ready()


@contextlib.contextmanager
def app_server(store: Path, logdir: Path) -> Iterator[AppServer]:
    log = logdir / f"streamlit-{time.time_ns()}.log"
    with AppServer(store=store, log=log) as server:
        yield server


# -- measurements ----------------------------------------------------------------------------------


def measure_pages(store: Path, pages: list[Page], *, cold: bool, rounds: int, logdir: Path) -> dict[str, dict]:
    """Cold, new-tab and warm opening times (s) of every page, and the websocket bytes of a warm visit."""
    signed = has_sign_in()
    public = public_pages()
    out: dict[str, dict] = {p.path: {} for p in pages}
    server: AppServer | None = None

    def fresh_open(p: Page) -> dict[str, float]:
        """Open ``p`` in a fresh browser context on the current server, signing in when it asks."""
        s = Session(browser, server)
        try:
            return s.open(p, signed=signed and p.path not in public)
        finally:
            s.close()

    with launch_browser() as browser:
        if cold:
            for p in pages:
                with app_server(store, logdir) as server:
                    r = fresh_open(p)
                out[p.path]["cold"] = r["total"] / 1000
                out[p.path]["cold_form"] = r.get("form", 0.0) / 1000
                print(f"  kalt {p.title}: {r['total'] / 1000:.2f} s (Last {load()})", flush=True)
        with app_server(store, logdir) as server:
            # a server in use: every page shown once before (its figures, maps and charts made and cached),
            # here by the user's everyday browser, whose cache then holds the app's code
            own = Session(browser, server)
            try:
                for p in pages:
                    own.open(p, signed=signed and p.path not in public)
                for p in pages:  # a fresh browser
                    r = fresh_open(p)
                    out[p.path]["tab"] = r["total"] / 1000
                    out[p.path]["tab_form"] = r.get("form", 0.0) / 1000
                    out[p.path]["bytes_tab"] = r["bytes"]
                # the everyday browser: each page's address in a new tab -- a new Streamlit session, signed in anew
                for p in pages:
                    tab = own.new_tab()
                    try:
                        out[p.path]["again"] = tab.open(p, signed=signed and p.path not in public)["total"] / 1000
                    finally:
                        tab.close()
            finally:
                own.close()
            s = Session(browser, server)
            try:
                if signed:
                    s.sign_in_here()
                else:
                    s.open(pages[0], signed=False)
                current = pages[0]
                warm: dict[str, list[float]] = {p.path: [] for p in pages}
                for _ in range(rounds):
                    for p in pages:
                        if p == current:  # from another page
                            other = next(x for x in pages if x != p)
                            s.navigate(other)
                        warm[p.path].append(s.navigate(p) / 1000)
                        out[p.path]["bytes_warm"] = s.received["bytes"]
                        out[p.path].setdefault("script_warm", []).append(script_ms(s.page.evaluate(
                            "() => window.__qm.runs")) / 1000)
                        current = p
                for path, values in warm.items():
                    out[path]["warm"] = statistics.median(values)
                    out[path]["warm_max"] = max(values)
                    out[path]["script_warm"] = statistics.median(out[path]["script_warm"])
            finally:
                s.close()
    return out


#: The reference pages (``bench/floor/``): what a fresh browser needs without the app, the floor under its pages.
FLOOR = (
    ("Streamlit allein: eine Überschrift", "heading.py"),
    ("dazu eine Karte der App mit einer Einheit", "one_map.py"),
)


def measure_floor(store: Path, *, n: int, logdir: Path) -> dict[str, list[float]]:
    """Seconds a fresh browser needs for each reference page (``n`` times) on a server that showed it once.

    Served as the app is (same options, ``static/`` for Leaflet: the scripts run from a folder of
    ``logdir`` beside a link to the app's ``static/``), so the figures compare with the column
    *neuer Tab* of the app's pages.
    """
    folder = logdir / "floor"
    folder.mkdir(exist_ok=True)
    (ROOT / "static").mkdir(exist_ok=True)
    if not (folder / "static").exists():
        (folder / "static").symlink_to(ROOT / "static", target_is_directory=True)
    out: dict[str, list[float]] = {}
    with launch_browser() as browser:
        for label, name in FLOOR:
            script = folder / name
            shutil.copyfile(ROOT / "bench" / "floor" / name, script)
            log = logdir / f"streamlit-floor-{time.time_ns()}.log"
            with AppServer(store=store, log=log, script=script) as server:
                times = []
                for k in range(n + 1):  # the first visit makes the server's first run: not counted
                    s = Session(browser, server)
                    try:
                        s.page.goto(f"{server.url}/")
                        s.expect("Boden")
                        ready = s.wait_ready(since_input=False) / 1000
                    finally:
                        s.close()
                    if k:
                        times.append(ready)
            out[label] = times
            print(f"  {label}: {statistics.median(times):.2f} s (Last {load()})", flush=True)
    return out


def _select_option(page: Any, label: str, index: int) -> None:
    """Open the select box called ``label`` and choose the ``index``-th of the options not chosen now."""
    box = page.get_by_role("combobox", name=label, exact=False)
    choices = page.locator('[role="option"]:not([aria-selected="true"])')
    for _ in range(5):
        box.scroll_into_view_if_needed()
        box.click()
        try:
            choices.first.wait_for(timeout=2000)
            break
        except Exception:  # noqa: BLE001 - the list closed again; open it once more
            page.keyboard.press("Escape")
    choices.nth(index % max(choices.count(), 1)).click()


def script_ms(runs: list[list[Any]]) -> float:
    """Milliseconds the app's script ran, from the tracker's ``[time, state]`` changes."""
    total, start = 0.0, None
    for t, state in runs:
        if state == "running" and start is None:
            start = t
        elif state != "running" and start is not None:
            total, start = total + t - start, None
    return total


def measure_controls(store: Path, pages: list[Page], *, repeat: int, logdir: Path) -> dict[str, list[float]]:
    """Click-to-ready (ms) of controls that do not change the map, ``repeat`` times each.

    Also ``"<name> KB"``: what the server sent for each click (websocket, kB), and ``"<name> run"``: how
    long the script ran (ms, from the browser's script-state changes) -- the rest is the browser's.
    """
    by_path = {p.path: p for p in pages}
    out: dict[str, list[float]] = {}
    untouched: list[bool] = []
    lost: dict[str, int] = {}
    with launch_browser() as browser, app_server(store, logdir) as server:
        s = Session(browser, server)
        page = s.page

        def timed(name: str, heading: str, act: Any, *, need_run: bool = True) -> None:
            s.expect(heading, need_run=need_run)
            s.received["bytes"] = 0
            page.evaluate("() => { window.__qm.runs = []; }")
            act()
            try:
                ms = s.wait_ready(timeout=15)
            except TimeoutError as exc:  # no run started: the click was lost (counted), click again
                if NO_RUN in str(exc):
                    lost[name] = lost.get(name, 0) + 1
                    s.expect(heading, need_run=need_run)
                    act()
                ms = s.wait_ready(timeout=120)
            out.setdefault(name, []).append(ms)
            out.setdefault(f"{name} KB", []).append(s.received["bytes"] / 1e3)
            out.setdefault(f"{name} run", []).append(script_ms(page.evaluate("() => window.__qm.runs")))

        try:
            if has_sign_in():
                s.sign_in_here()
            else:
                s.open(by_path["pages/uebersicht.py"], signed=False)
            if "pages/karte.py" in by_path:
                karte = by_path["pages/karte.py"]
                s.navigate(karte)
                mark_map(map_frames(page)[0])
                search = page.get_by_role("textbox", name="Einheit suchen (Kennung, Straße oder Betrieb)")
                for uid in _visible_unit_ids(s, repeat):
                    search.fill(uid)
                    timed("Karte: Einheit suchen (Enter)", karte.heading, lambda: search.press("Enter"))
                search.fill("straße 1")
                s.expect(karte.heading, need_run=True)
                search.press("Enter")
                s.wait_ready()
                for i in range(repeat):
                    timed("Karte: Treffer wählen", karte.heading, lambda i=i: _select_option(page, "Treffer", i + 1))
                picked = set()
                grid = page.locator('[data-testid="stDataFrame"]').first
                for i in range(repeat):
                    # the row-selection column is the first; rows of 35 px below a 35 px header
                    timed("Karte: Zeile der Liste wählen", karte.heading, lambda i=i: grid.click(
                        position={"x": 18, "y": 35 + 35 * (i % 8) + 17}, force=True))
                    picked.add(search.input_value())
                if len(picked) < min(repeat, 8):
                    print(f"  Achtung: Zeilenklicks wählten nur {len(picked)} verschiedene Einheiten")
                toggle = page.get_by_text("Zeitleiste zeigen", exact=True)
                for _ in range(repeat):
                    timed("Karte: Zeitleiste ein/aus", karte.heading, toggle.click)
                untouched.append(map_marked(map_frames(page)[0]))
            if "pages/entwicklung.py" in by_path:
                ent = by_path["pages/entwicklung.py"]
                s.navigate(ent)
                radios = page.locator('[data-testid="stRadio"]').filter(has_text="Auflösung").first
                for i in range(repeat):
                    timed("Entwicklung: Auflösung der Quote", ent.heading,
                          radios.get_by_text(["Quartal", "Jahr"][i % 2], exact=True).click)
            if "pages/gebaeude.py" in by_path:
                geb = by_path["pages/gebaeude.py"]
                s.navigate(geb)
                tabs = page.get_by_role("tab")
                if tabs.count() >= 2:
                    for i in range(repeat):  # tabs switch in the browser: no run
                        timed("Gebäudebestand: Reiter wechseln", geb.heading, tabs.nth((i + 1) % tabs.count()).click,
                              need_run=False)
            out["_rss_mb"] = [rss_mb(server)]
        finally:
            s.close()
    out["_untouched"] = [float(all(untouched))] if untouched else []
    for name, n in lost.items():
        print(f"  Achtung: {name}: {n} Klick(s) ohne Lauf, noch einmal geklickt")
    return out


def rss_mb(server: AppServer) -> float:
    """Resident memory of the app server's process (MB), from ``/proc``."""
    with contextlib.suppress(OSError, AttributeError, ValueError):
        for line in Path(f"/proc/{server.proc.pid}/status").read_text().splitlines():  # type: ignore[union-attr]
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _visible_unit_ids(s: Session, n: int) -> list[str]:
    """``n`` unit ids of the Karte view, from the map's drawn rows."""
    frame = map_frames(s.page)[0]
    ids = frame.evaluate("""(n) => {
        const out = [];
        for (const v of Object.values(window)) {
            if (v && v.qmRows) { for (const r of v.qmRows) { out.push(r); if (out.length > 400) break; } }
        }
        return out.map(r => Array.isArray(r) ? r : Object.values(r)).map(r => r.find(
            x => typeof x === 'string' && /^[A-Z]+-?[0-9]/.test(x))).filter(Boolean).slice(0, n * 7);
    }""", n)
    ids = [str(i) for i in ids][::7][:n]
    if len(ids) < n:
        raise RuntimeError(f"only {len(ids)} unit ids found in the map")
    return ids


#: The caption of the report shown (period, version, „erstellt in … s“), or null.
CAPTION_JS = """() => {
    const c = [...document.querySelectorAll('[data-testid="stCaptionContainer"]')]
        .find(e => e.innerText.includes('erstellt in'));
    return c ? c.innerText : null;
}"""


#: Whether the PDF button of a new report is shown (its caption differs from ``before``, the last one's).
NEW_REPORT_JS = (
    "(before) => { const caption = (" + CAPTION_JS + ")();"
    " return caption !== null && caption !== before"
    " && [...document.querySelectorAll('[data-testid=\"stDownloadButton\"] button')]"
    ".some(b => b.innerText.includes('PDF herunterladen') && !b.disabled); }"
)


def measure_report(store: Path, *, logdir: Path) -> list[dict[str, Any]]:
    """„Bericht erstellen“ three times (different periods), the first after a server start."""
    rows = []
    with launch_browser() as browser, app_server(store, logdir) as server:
        s = Session(browser, server)
        page = s.page
        try:
            if has_sign_in():
                s.sign_in_here()
            else:
                s.open(Page("pages/uebersicht.py", "Übersicht", "Lage", "Übersicht"), signed=False)
            bericht = Page("pages/bericht.py", "Bericht", "Berichte", "Bericht")
            s.navigate(bericht)
            for kind in ("Halbjahr", "Jahr", "Quartal"):
                s.expect(bericht.heading)
                page.locator('[data-testid="stRadio"]').filter(has_text="Zeitraum").first.get_by_text(
                    kind, exact=True).click()
                s.wait_ready()
                s.expect(bericht.heading, need_run=True)
                button = page.get_by_role("button", name="Bericht erstellen")
                before = page.evaluate(CAPTION_JS)
                t0 = time.perf_counter()
                button.click()
                # download ready: the PDF button of the new report (its caption differs from the last one)
                page.wait_for_function(NEW_REPORT_JS, arg=before, timeout=600_000, polling=20)
                t_download = time.perf_counter() - t0
                ready = s.wait_ready(timeout=600) / 1000
                reported = page.evaluate(CAPTION_JS).rsplit("erstellt in", 1)[1].strip()
                rows.append({"kind": kind, "download": t_download, "ready": ready, "reported": reported})
        finally:
            s.close()
    return rows


# -- main ------------------------------------------------------------------------------------------


def main() -> None:
    global TYPING_S  # noqa: PLW0603 -- one setting of the whole run
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--registers", default="demo,large", help="demo, large or both (comma-separated)")
    parser.add_argument("--units", type=int, default=50_000)
    parser.add_argument("--large-store", type=Path, help="keep (or reuse) the synthetic register here")
    parser.add_argument("--repeat", type=int, default=20, help="clicks per control")
    parser.add_argument("--rounds", type=int, default=3, help="warm visits per page")
    parser.add_argument("--pages", default="", help="only these pages (address, comma-separated)")
    parser.add_argument("--no-cold", action="store_true", help="skip the cold visits (server restarts)")
    parser.add_argument("--no-pages", action="store_true", help="skip opening the pages")
    parser.add_argument("--no-controls", action="store_true")
    parser.add_argument("--no-report", action="store_true")
    parser.add_argument("--floor", type=int, default=5,
                        help="fresh browsers per reference page (bench/floor/; 0: none)")
    parser.add_argument("--typing", type=float, default=TYPING_S,
                        help="seconds from the sign-in form shown to the click on „Anmelden“")
    args, _ = parser.parse_known_args()  # ./dev bench passes its arguments to every benchmark
    TYPING_S = args.typing

    if reason := skip_reason():
        print(f"bench_pages übersprungen: {reason}")
        return
    pages = app_pages()
    if args.pages:
        wanted = set(args.pages.split(","))
        pages = [p for p in pages if p.address in wanted]
    print(f"Seiten im Browser, {datetime.now():%d.%m.%Y %H:%M}, {os.cpu_count()} Kerne, Last {load()}, "
          f"Anmeldung: {f'ja, Klick {TYPING_S:.1f} s nach dem Formular' if has_sign_in() else 'nein'}")
    with tempfile.TemporaryDirectory(prefix="qm-bench-pages-") as tmp_name:
        tmp = Path(tmp_name)
        registers: dict[str, Path] = {}
        for name in args.registers.split(","):
            if name == "demo":
                registers["Demo"] = prepare_store(ROOT / "data" / "demo.gpkg", tmp / "demo.gpkg")
            elif name == "large":
                source = large_store(args.large_store, args.units, tmp)
                registers[f"{args.units:,}".replace(",", ".")] = prepare_store(source, tmp / "large.gpkg")
        if args.floor and registers:
            print(f"\n== Boden: Referenzseiten ohne die App (bench/floor/), frischer Browser, Last {load()}",
                  flush=True)
            floor = measure_floor(next(iter(registers.values())), n=args.floor, logdir=tmp)
            table(f"Referenzseite öffnen bis bereit, Sekunden (frischer Browser, {args.floor}-mal; Last {load()})",
                  ["Referenzseite", "Median", "min", "max"],
                  [[label, f"{statistics.median(v):.2f}", f"{min(v):.2f}", f"{max(v):.2f}"]
                   for label, v in floor.items()])
        for label, store in registers.items():
            target = TARGET_DEMO_S if label == "Demo" else TARGET_LARGE_S
            print(f"\n== Register {label} ({store.stat().st_size / 1e6:.1f} MB), Last {load()}", flush=True)
            res = {} if args.no_pages else measure_pages(store, pages, cold=not args.no_cold, rounds=args.rounds,
                                                         logdir=tmp)
            rows = []
            for p in pages if res else []:
                r = res[p.path]
                worst = max(r.get("cold", 0.0), r["tab"], r["warm"])  # "again" is not a worst case
                rows.append([
                    p.title,
                    f"{r['cold']:.2f}" if "cold" in r else "–",
                    f"{r['cold_form']:.2f}" if r.get("cold_form") else "–",
                    f"{r['tab']:.2f}",
                    f"{r['tab_form']:.2f}" if r.get("tab_form") else "–",
                    f"{r['again']:.2f}",
                    f"{r['warm']:.2f}", f"{r['script_warm']:.2f}", f"{r['warm_max']:.2f}",
                    f"{r['bytes_warm'] / 1e3:,.0f}".replace(",", "."),
                    f"{'ja' if worst < target else 'nein'}",
                ])
            if rows:
                table(f"Seite öffnen bis bereit, Sekunden (Register {label}; Ziel < {target:.0f} s; Last {load()})",
                      ["Seite", "kalt", "davon bis Anmeldeformular", "neuer Tab", "davon bis Anmeldeformular",
                       "Tab im eigenen Browser", "warm (Median)", "davon Skript", "warm max", "KB warm", "Ziel erreicht"], rows)
            if not args.no_controls:
                ctl = measure_controls(store, pages, repeat=args.repeat, logdir=tmp)
                untouched = ctl.pop("_untouched")
                rss = ctl.pop("_rss_mb")
                rows = [[name, len(v), f"{statistics.median(v):.0f}", f"{pct(v, 95):.0f}", f"{max(v):.0f}",
                         f"{statistics.median(ctl[name + ' run']):.0f}",
                         f"{statistics.median(ctl[name + ' KB']):,.0f}".replace(",", "."),
                         "ja" if pct(v, 95) < TARGET_CONTROL_P95_MS else "nein"]
                        for name, v in ctl.items() if not name.endswith((" KB", " run"))]
                table(f"Bedienelemente ohne Kartenänderung, Klick bis bereit, ms (Register {label}; Ziel p95 < "
                      f"{TARGET_CONTROL_P95_MS:.0f} ms; Last {load()})",
                      ["Bedienelement", "n", "p50", "p95", "max", "davon Skript p50", "KB je Klick",
                       "Ziel erreicht"], rows)
                if untouched:
                    print(f"  Karte danach unverändert (nicht neu gezeichnet): {'ja' if untouched[0] else 'NEIN'}")
                print(f"  Speicher des App-Servers danach: {rss[0]:,.0f} MB".replace(",", "."))
            if not args.no_report and any(p.path == "pages/bericht.py" for p in pages):
                rep = measure_report(store, logdir=tmp)
                rows = [[r["kind"], f"{r['download']:.2f}", f"{r['ready']:.2f}", r["reported"]] for r in rep]
                table(f"„Bericht erstellen“ (Register {label}; erster nach Serverstart; Last {load()})",
                      ["Zeitraum", "Klick bis PDF-Knopf (s)", "Klick bis Seite bereit (s)", "Seite meldet"], rows)
    print(f"\nFertig {date.today():%d.%m.%Y}, Last {load()}")


if __name__ == "__main__":
    main()
