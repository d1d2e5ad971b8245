"""Helpers for driving the app in a real browser (headless Chromium via Playwright).

Used by ``tests/app/test_browser.py`` and ``bench/bench_app.py``:

* :func:`skip_reason` -- why a browser run is impossible here (no Chromium, no
  playwright), or None;
* :class:`AppServer` -- the app as ``./dev app`` starts it (``python -m pages._serve``, then
  ``streamlit run streamlit_app.py``) on a free local port
  with ``QM_STORE`` pointing at a given store; :meth:`AppServer.stop` always
  ends the server (and only it);
* :func:`launch_browser` -- Debian's ``chromium`` launched by path (Playwright's
  own browser download cannot work without internet);
* :func:`sign_in`, :func:`sign_in_if_asked` -- sign in through the form the page shows
  (page *Anmelden*, or the sign-in at the address of a page behind a role; a new page load
  is a new Streamlit session, signed out);
* :func:`wait_idle`, :func:`wait_maps`, :func:`full_page_screenshot` -- wait
  until Streamlit has finished a run and the maps are drawn, screenshot the
  whole page (Streamlit scrolls inside ``stMain``, not the document).

The browser is kept offline: every request to a host other than the app's is
recorded and aborted (tiles included), as in a locked-down city network.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]

#: Debian's Chromium (``apt install chromium``), the only browser used.
CHROMIUM = "/usr/bin/chromium"

#: Flags for running as root in a container without network access.
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

#: Hosts the browser may ask for besides the app: base-map tiles (and nothing else).
TILE_HOSTS = re.compile(r"^(tile\.openstreetmap\.org|[a-d]\.basemaps\.cartocdn\.com)$")

#: Selector of the streamlit-folium component frame.
MAP_FRAME = 'iframe[title="streamlit_folium.st_folium"]'

#: Streamlit marks its root with the script state; ``notRunning`` is idle.
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'


def chromium_path() -> str | None:
    """Path of the Chromium binary (``/usr/bin/chromium`` or ``chromium`` on PATH), or None."""
    if Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    return shutil.which("chromium")


def skip_reason() -> str | None:
    """Why the browser cannot run here, or None when it can."""
    if chromium_path() is None:
        return f"no Chromium: neither {CHROMIUM} nor 'chromium' on PATH (Debian: apt install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Python package 'playwright' not installed (pip install playwright; no 'playwright install' needed)"
    return None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class AppServer:
    """The Streamlit app as a subprocess on ``127.0.0.1:port`` with ``QM_STORE=store``.

    Use as a context manager, or call :meth:`start` and (always) :meth:`stop`.
    Started as ``./dev app`` starts it (``python -m pages._serve``: the app's libraries imported,
    then ``streamlit run streamlit_app.py``). The server's output goes to ``log``; ``args`` are added
    to ``streamlit run``
    (e.g. ``["--secrets.files", PATH]``). ``script``: another Streamlit script, run plainly with
    ``streamlit run`` and the same options (the benchmark's reference pages, ``bench/floor/``).
    """

    store: Path
    log: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None
    env: dict[str, str] = field(default_factory=dict)
    args: list[str] = field(default_factory=list)
    script: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *, timeout: float = 60.0) -> AppServer:
        env = {**os.environ, "QM_STORE": str(self.store), **self.env}
        env.pop("STREAMLIT_SERVER_PORT", None)
        # as ./dev app: the app's modules imported, then ``streamlit run streamlit_app.py``
        run = ["pages._serve"] if self.script is None else ["streamlit", "run", str(self.script)]
        cmd = [
            sys.executable,
            "-m",
            *run,
            "--server.headless",
            "true",
            "--server.port",
            str(self.port),
            "--server.address",
            "127.0.0.1",
            "--browser.gatherUsageStats",
            "false",
            "--server.fileWatcherType",
            "none",
            *self.args,
        ]
        self._log = open(self.log, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            self.wait_healthy(timeout=timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def wait_healthy(self, *, timeout: float = 60.0) -> None:
        """Wait until ``/_stcore/health`` answers ``ok``; raise with the server log otherwise."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"app server exited with {self.proc.returncode}:\n{self.log_text()}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.status == 200 and r.read().strip() == b"ok":
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            time.sleep(0.2)
        raise TimeoutError(f"app not healthy after {timeout:.0f} s:\n{self.log_text()}")

    def log_text(self, tail: int = 4000) -> str:
        with contextlib.suppress(OSError):
            return self.log.read_text(errors="replace")[-tail:]
        return ""

    def stop(self) -> None:
        """Terminate the server's process group (it was started in a new session)."""
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        if getattr(self, "_log", None) is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> AppServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


@contextlib.contextmanager
def launch_browser() -> Iterator[Any]:
    """Playwright's Chromium API on Debian's ``chromium``: yields a Browser, closes it after."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def is_local(url: str) -> bool:
    """Whether ``url`` points at the app itself (or is inline data)."""
    parts = urlsplit(url)
    return parts.scheme in ("data", "blob", "about") or parts.hostname in ("127.0.0.1", "localhost")


#: A proxy nobody listens on: every request that is not for the app itself fails at once
#: (``net::ERR_PROXY_CONNECTION_FAILED``), inside the browser -- a Playwright route would
#: instead hold every request, the app's own included, until the test's Python thread
#: answers it, which slowed and skewed page timings (``bench/bench_pages.py``).
DEAD_PROXY = {"server": "http://127.0.0.1:9", "bypass": "127.0.0.1,localhost"}


def offline_context(browser: Any, requests: list[str], **options: Any) -> Any:
    """A browser context that records every request URL in ``requests`` and lets only the app's own through."""
    ctx = browser.new_context(locale="de-DE", timezone_id="Europe/Berlin", proxy=DEAD_PROXY, **options)
    ctx.on("request", lambda r: requests.append(r.url))
    return ctx


def disallowed_requests(requests: list[str]) -> list[str]:
    """Requested URLs that are neither the app nor base-map tiles (e.g. a CDN)."""
    return [u for u in requests if not is_local(u) and not TILE_HOSTS.match(urlsplit(u).hostname or "")]


def wait_idle(page: Any, *, timeout: float = 30.0, settle: float = 0.3) -> None:
    """Wait until Streamlit has finished its runs: script state ``notRunning``, no status widget, network idle.

    ``settle`` seconds of continuous idleness are required, so that a rerun
    queued right after a run (query parameters written, a widget re-seeded)
    is waited for too.
    """
    ms = timeout * 1000
    deadline = time.monotonic() + timeout
    page.wait_for_selector(IDLE, timeout=ms, state="attached")
    idle_since = None
    while True:
        running = page.evaluate(
            """() => {
                const app = document.querySelector('[data-testid="stApp"]');
                const state = app && app.getAttribute('data-test-script-state');
                const status = document.querySelector('[data-testid="stStatusWidget"]');
                return !app || state !== 'notRunning' || !!status
                    || app.getAttribute('data-test-connection-state') !== 'CONNECTED';
            }"""
        )
        now = time.monotonic()
        if running:
            idle_since = None
        elif idle_since is None:
            idle_since = now
        elif now - idle_since >= settle:
            break
        if now > deadline:
            raise TimeoutError(f"Streamlit not idle after {timeout:.0f} s")
        time.sleep(0.05)
    with contextlib.suppress(Exception):
        page.wait_for_load_state("networkidle", timeout=min(ms, 10_000))


def sign_in(page: Any, name: str, password: str, *, timeout: float = 60.0) -> None:
    """Sign in through the form the page shows (name and password), then wait until the app is idle."""
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Passwort", exact=True).fill(password)
    page.get_by_role("button", name="Anmelden", exact=True).click()
    page.wait_for_function(  # signed in: the sign-in form's button is gone; refused: a message says why
        # (not "no password field": the page shown after the sign-in may have its own, e.g. Konten)
        """() => ![...document.querySelectorAll('[data-testid="stFormSubmitButton"] button')]
                    .some(b => b.innerText.trim() === 'Anmelden')
                 || document.querySelector('[data-testid="stAlertContentError"]')""",
        timeout=timeout * 1000,
    )
    wait_idle(page, timeout=timeout)


def sign_in_if_asked(page: Any, name: str, password: str, *, timeout: float = 60.0) -> bool:
    """Sign in when the page shows the sign-in form (a page behind a role opened by its address)."""
    if page.get_by_label("Passwort", exact=True).count() == 0:
        return False
    sign_in(page, name, password, timeout=timeout)
    return True


def map_frames(page: Any) -> list[Any]:
    """The Frames of all streamlit-folium maps on the page."""
    frames = []
    for handle in page.query_selector_all(MAP_FRAME):
        frame = handle.content_frame()
        if frame is not None:
            frames.append(frame)
    return frames


#: JavaScript run inside a map frame: what Leaflet drew.
MAP_STATE_JS = """() => {
    const c = document.querySelector('.leaflet-container');
    let units = null, placed = null;
    if (window.L) {
        for (const v of Object.values(window)) {
            if (v && v instanceof window.L.FeatureGroup && v.qmRows) {  // a MarkerClusterGroup is one, too
                units = (units || 0) + v.qmRows.length;
                // markers held by the layer (in a cluster group: placed in its clusters), and those left to
                // a layer of their own (a category drawn apart, unclustered)
                placed = (placed || 0) + v.getLayers().length + v.qmMarkers.filter(m => m === null).length;
            }
        }
    }
    const legend = document.querySelector('.qm-legend');
    const note = document.querySelector('.qm-offline');
    return {
        leaflet: !!c,
        units: units,
        placed: placed,
        // a cluster group still placing its units in chunks
        loading: Object.values(window).some(v => v && v.qmLoaded === false && v._map),
        clusters: document.querySelectorAll('.marker-cluster').length,
        interactive: document.querySelectorAll('.leaflet-interactive').length,
        canvases: document.querySelectorAll('.leaflet-container canvas').length,
        legend: legend ? legend.innerText : null,
        offlineNote: note && getComputedStyle(note).display !== 'none' ? note.innerText : null,
    };
}"""


#: JavaScript run inside a map frame: mark the drawn unit layers (``mark``) or test for the mark.
PROBE_JS = """(mark) => {
    let found = false;
    for (const v of Object.values(window)) {
        if (v && v.qmRows) {
            if (mark) { v.qmProbe = true; }
            found = found || v.qmProbe === true;
        }
    }
    return found;
}"""


def mark_map(frame: Any) -> None:
    """Mark the map's unit layers; :func:`map_marked` tells whether they were drawn anew since."""
    frame.evaluate(PROBE_JS, True)


def map_marked(frame: Any) -> bool:
    """Whether the unit layers marked by :func:`mark_map` are still the ones drawn."""
    return bool(frame.evaluate(PROBE_JS, False))


def map_state(frame: Any) -> dict[str, Any]:
    """What a map frame shows (see :data:`MAP_STATE_JS`)."""
    return frame.evaluate(MAP_STATE_JS)


def wait_maps(page: Any, *, count: int | None = None, timeout: float = 30.0) -> list[dict[str, Any]]:
    """Wait until every map on the page has drawn Leaflet, its legend and every unit; return their states.

    ``count``: the number of maps the page shows -- waited for too (Streamlit adds a map's frame after
    the run has ended once its component code is loaded; without ``count`` a page whose frame is not
    there yet counts as a page without maps).
    """
    deadline = time.monotonic() + timeout
    while True:
        handles = page.query_selector_all(MAP_FRAME)
        frames = map_frames(page)
        states: list[dict[str, Any]] = []
        ready = len(frames) == len(handles) and (count is None or len(handles) == count)
        for frame in frames:
            try:
                state = map_state(frame)
            except Exception:  # noqa: BLE001 - frame still navigating
                ready = False
                break
            states.append(state)
            ready = ready and state["leaflet"] and state["legend"] is not None and not state["loading"]
        if ready:
            return states
        if time.monotonic() > deadline:
            raise TimeoutError(f"maps not drawn after {timeout:.0f} s: {states}")
        time.sleep(0.1)


def full_page_screenshot(page: Any, path: Path, *, settle: float = 0.6) -> None:
    """Screenshot the whole app: grow the viewport to the height of ``stMain``'s content, then restore.

    Streamlit's document does not scroll (``stMain`` does), so Playwright's
    ``full_page`` alone would only capture the first screen.
    """
    size = page.viewport_size
    height = page.evaluate(
        """() => {
            const main = document.querySelector('[data-testid="stMain"]');
            const side = document.querySelector('[data-testid="stSidebarContent"]');
            return Math.max(main ? main.scrollHeight : 0, side ? side.scrollHeight : 0,
                            document.documentElement.clientHeight);
        }"""
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        if height > size["height"]:
            page.set_viewport_size({"width": size["width"], "height": int(min(height, 12_000))})
            time.sleep(settle)
        page.screenshot(path=str(path), full_page=True)
    finally:
        page.set_viewport_size(size)


def slug(text: str) -> str:
    """A file name from a German page title: ``"Übersicht"`` -> ``"uebersicht"``."""
    text = text.strip().lower()
    for a, b in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        text = text.replace(a, b)
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-") or "seite"
