"""Benchmark: the app's map page (Karte) on a synthetic register of 20,000 units.

Builds a fictional register with the project's own demo generator
(``geo.register.demo.make_demo_register(n_units=…)``, written like
``geo.register.io.build_demo_store``) into a temporary GeoPackage, then measures

1. server side, in this process, what the Karte page computes for a view:
   filtering, status on the date + new settlements + compact map data
   (``geo.app.mapdata.view_map_data``), the folium map build (``geo.outputs.maps.render_map``)
   and its rendering into the streamlit-folium component arguments (script,
   HTML, header, script/style links; as ``st_folium`` does it) -- for the
   default view and for filter changes; a rerun with cached map data only
   redoes the last two steps;
2. the bytes streamlit-folium sends to the browser per unit, with the Leaflet
   assets linked from the app's static folder as the app does it
   (``pages._ui.map_assets``; the browser loads them once and caches them),
   and for comparison with the assets inlined as ``data:`` URIs (standalone HTML);
3. the whole Karte script run (``streamlit.testing.v1.AppTest``);
4. in a real browser (headless Chromium, see ``tests/browser_util.py``): the
   time until the map is drawn, the bytes that arrive over the websocket, and
   the click-to-idle time of controls that do not change the map (the unit
   search and its hit list, in an ``st.fragment``): from the Enter key or the
   click until Streamlit reports the run finished.

Targets (issue 3): under 1 s per map rebuild, under 300 ms click-to-idle for
other controls, under 100 bytes per unit sent.

Run: ``./dev bench`` or ``.venv/bin/python bench/bench_app.py [--units N] [--store PATH] [--no-browser]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geo import settings  # noqa: E402
from geo.access.roles import Role  # noqa: E402
from geo.app.filters import Filters, apply_filters, filter_options  # noqa: E402
from geo.app.mapdata import view_map_data  # noqa: E402
from geo.outputs import maps  # noqa: E402
from geo.places.areas import official_boundaries  # noqa: E402
from geo.register.store import ChangeSet, GeoPackageStore, open_store  # noqa: E402
from tests.map_payload import component_args  # noqa: E402
from tests.signin import NAMES, PASSWORD, account, signed_in  # noqa: E402

TARGET_REBUILD_S = 1.0
TARGET_CLICK_MS = 300.0
TARGET_BYTES = 100.0
#: Where the app links the Leaflet assets (``server.baseUrlPath`` empty), see ``pages._ui.map_assets``.
ASSETS: dict[str, Any] = {"assets": "linked", "asset_base": "/app/static/vendor/"}

SCENARIOS: dict[str, Filters] = {
    "Standard": Filters(),
    "Quartier Grünau": Filters(quarter="Grünau"),
    "Status leer": Filters(statuses=("vacant", "probably_vacant")),
}


def ok(value: float, target: float) -> str:
    return "ok" if value < target else "über Ziel"


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    t0 = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - t0


def table(title: str, header: list[str], rows: list[list[Any]]) -> None:
    cells = [[str(c) for c in r] for r in [header, *rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    print(f"\n{title}")
    for k, r in enumerate(cells):
        print(
            "  "
            + "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))
            )
        )
        if k == 0:
            print("  " + "  ".join("-" * w for w in widths))


# -- the store -------------------------------------------------------------------------------


def build_store(path: Path, n_units: int, *, seed: int = 2015) -> Path:
    """A fictional register of ``n_units`` units at ``path`` (as ``geo.register.io.build_demo_store`` writes it)."""
    from geo.register.demo import make_demo_register

    units, observations = make_demo_register(seed=seed, n_units=n_units)
    store = GeoPackageStore.create(path)
    store.write(
        ChangeSet(
            boundaries=official_boundaries(),
            new_units=units,
            observations=observations.drop(columns=["obs_id"]),
            meta={"demo": "true", "label": settings.demo_label, "demo_seed": str(seed)},
        )
    )
    return path


# -- server side -------------------------------------------------------------------------------


def server_side(register: Any, filters: Filters) -> dict[str, Any]:
    """Time the Karte page's map steps for ``filters`` (no caches)."""
    out: dict[str, Any] = {}
    _, out["widgets"] = timed(lambda: [filter_options(register) for _ in range(3)])
    reg, out["filter"] = timed(lambda: apply_filters(register, filters))
    data, out["map_data"] = timed(lambda: view_map_data(reg, filters))
    m, out["folium"] = timed(lambda: maps.render_map(data, basemap=filters.basemap, **ASSETS))
    sizes, out["payload"] = timed(lambda: component_args(m))
    out["rebuild"] = out["filter"] + out["map_data"] + out["folium"] + out["payload"]
    # a rerun with the map data cached (st.cache_data) builds and renders the map again
    reruns = []
    for _ in range(3):
        t0 = time.perf_counter()
        component_args(maps.render_map(data, basemap=filters.basemap, **ASSETS))
        reruns.append(time.perf_counter() - t0)
    out["rerun"] = statistics.median(reruns)
    out["units"] = data.units.n
    out["bytes"] = sizes["total"]
    out["bytes_inline"] = component_args(maps.render_map(data, basemap=filters.basemap))["total"]
    empty = maps.render_map(
        maps.MapData(
            units=maps.point_set(reg.units.iloc[0:0].assign(status=None)),
            legend_title=data.legend_title,
            heat=data.heat,
            settlements="[]" if data.settlements is not None else None,
            settlements_label=data.settlements_label,
            ortsteile=data.ortsteile,
            ortsteil_labels=data.ortsteil_labels,
            quarters=data.quarters,
            demo=data.demo,
        ),
        **ASSETS,
    )
    out["fixed"] = component_args(empty)["total"]
    return out


def app_test(store: Path, unit_id: str) -> dict[str, float]:
    """Whole script runs of the Karte page in AppTest (no browser, no websocket)."""
    from streamlit.testing.v1 import AppTest

    out: dict[str, float] = {}
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=600)
    at.session_state["qm_store_path"] = str(store)
    signed_in(at)
    _, out["Übersicht, erster Lauf (Register lesen)"] = timed(at.run)
    _, out["Karte, erster Lauf"] = timed(lambda: at.switch_page("pages/karte.py").run())
    _, out["Karte, Neulauf ohne Änderung"] = timed(at.run)
    _, out["Karte, Filter Quartier Grünau"] = timed(
        lambda: at.selectbox(key="f_quarter").set_value("Grünau").run()
    )
    _, out["Karte, Filter Status leer"] = timed(
        lambda: at.multiselect(key="f_statuses").set_value(["vacant"]).run()
    )
    _, out["Karte, Filter zurück (Cache)"] = timed(
        lambda: at.multiselect(key="f_statuses").set_value([]).run()
    )
    _, out["Karte, Einheitensuche"] = timed(
        lambda: at.text_input(key="qm_unit_query").set_value(unit_id).run()
    )
    assert not at.exception, [e.value for e in at.exception]
    return out


# -- in the browser ----------------------------------------------------------------------------

#: Records, in the page, the time of the last click/Enter and of every script-state change.
TIMING_JS = """() => {
    if (window.qmT) { return; }
    window.qmT = {input: 0, states: []};
    const rec = () => { window.qmT.input = performance.now(); window.qmT.states = []; };
    document.addEventListener('click', rec, true);
    document.addEventListener('keydown', e => { if (e.key === 'Enter') { rec(); } }, true);
    const app = document.querySelector('[data-testid="stApp"]');
    new MutationObserver(() => {
        window.qmT.states.push([performance.now(), app.getAttribute('data-test-script-state')]);
    }).observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
}"""

#: Milliseconds from the last click/Enter until the run it started had finished (null: not yet).
IDLE_AFTER_INPUT_JS = """() => {
    const t = window.qmT, s = t.states;
    const started = s.findIndex(x => x[1] === 'running');
    if (started < 0) { return null; }
    const done = s.slice(started).find(x => x[1] === 'notRunning');
    return done ? done[0] - t.input : null;
}"""


def _wait_input_idle(page: Any, timeout: float = 30.0) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ms = page.evaluate(IDLE_AFTER_INPUT_JS)
        if ms is not None:
            return float(ms)
        time.sleep(0.01)
    raise TimeoutError("no finished run after the input")


def browser_side(store: Path, n_units: int, unit_ids: list[str], repeat: int) -> dict[str, Any]:
    from tests.browser_util import (
        AppServer,
        launch_browser,
        map_frames,
        map_marked,
        mark_map,
        offline_context,
        sign_in,
        wait_idle,
        wait_maps,
    )

    out: dict[str, Any] = {}
    account(Role.ADMIN, store=store)
    with (
        tempfile.TemporaryDirectory(prefix="qm-bench-log-") as logdir,
        AppServer(store=store, log=Path(logdir) / "streamlit.log") as server,
        launch_browser() as browser,
    ):
        requests: list[str] = []
        ctx = offline_context(browser, requests, viewport={"width": 1440, "height": 900})
        page = ctx.new_page()
        received = {"bytes": 0}

        def on_ws(ws: Any) -> None:
            ws.on(
                "framereceived",
                lambda payload: received.__setitem__("bytes", received["bytes"] + len(payload)),
            )

        page.on("websocket", on_ws)
        page.goto(server.url + "/anmelden")  # Karte is for signed-in roles; the menu keeps the session
        wait_idle(page, timeout=300)
        sign_in(page, NAMES[Role.ADMIN], PASSWORD, timeout=300)
        page.evaluate(TIMING_JS)

        # Karte: navigate, wait until the map is drawn
        received["bytes"] = 0
        t0 = time.perf_counter()
        # the menu groups pages in sections: open "Lage", then follow "Karte"
        page.locator('[data-testid="stTopNavSection"]').filter(has_text="Lage").first.click()
        page.locator('[data-testid="stTopNavDropdownLink"]').filter(has_text="Karte").first.click()
        page.wait_for_url("**/karte")
        wait_idle(page, timeout=300, settle=0.2)
        (state,) = wait_maps(page, timeout=300)
        out["Karte öffnen bis Karte gezeichnet (s)"] = time.perf_counter() - t0
        out["ws_bytes"] = received["bytes"]
        out["map_units"] = state["units"]

        # a filter that changes the map, for comparison
        mark_map(map_frames(page)[0])
        sidebar = page.locator('[data-testid="stSidebar"]')
        box = page.get_by_role("combobox", name="Quartier", exact=True)
        sidebar.locator('[data-testid="stSelectbox"]').filter(has=box).get_by_role(
            "button", name="Open"
        ).click()
        received["bytes"] = 0
        t0 = time.perf_counter()
        page.get_by_role("option", name="Grünau", exact=True).click()
        out["Filter Quartier: Klick bis Lauf fertig (ms)"] = _wait_input_idle(page, timeout=300)
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            frames = map_frames(page)
            try:
                redrawn = bool(frames) and not map_marked(frames[0])
            except Exception:  # noqa: BLE001 - frame still navigating
                redrawn = False
            if redrawn:
                break
            time.sleep(0.02)
        (new_state,) = wait_maps(page, timeout=300)
        out["Filter Quartier: Klick bis Karte gezeichnet (s)"] = time.perf_counter() - t0
        wait_idle(page, timeout=300)
        out["ws_bytes_filter"] = received["bytes"]
        out["map_units_filter"] = new_state["units"]

        # controls that do not change the map: the unit search and its hit list (fragment)
        mark_map(map_frames(page)[0])
        search = page.get_by_role("textbox", name="Einheit suchen (Kennung, Straße oder Betrieb)")
        search_ms, select_ms = [], []
        for uid in unit_ids[:repeat]:
            search.fill(uid)
            search.press("Enter")
            search_ms.append(_wait_input_idle(page))
            page.get_by_text("Verlauf", exact=True).wait_for()
            wait_idle(page, settle=0.1)
        # a query with several hits, then pick other hits in the select box
        search.fill("straße 1")
        search.press("Enter")
        _wait_input_idle(page)
        wait_idle(page, settle=0.1)
        hits = page.get_by_role("combobox", name="Treffer", exact=False)
        opener = (
            page.locator('[data-testid="stSelectbox"]').filter(has=hits).get_by_role("button", name="Open")
        )
        for i in range(repeat):
            options = page.get_by_role("option")
            for _ in range(5):
                opener.click()
                try:
                    options.first.wait_for(timeout=2000)
                    break
                except Exception:  # noqa: BLE001 - the list closed again; open it once more
                    page.keyboard.press("Escape")
            options.nth((i + 1) % max(options.count(), 1)).click()
            select_ms.append(_wait_input_idle(page))
            wait_idle(page, settle=0.1)
        out["search_ms"] = search_ms
        out["select_ms"] = select_ms
        out["map_untouched"] = map_marked(map_frames(page)[0])
        ctx.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=20_000)
    parser.add_argument(
        "--store", type=Path, help="use (or create and keep) this store instead of a temporary one"
    )
    parser.add_argument("--repeat", type=int, default=10, help="clicks per control in the browser")
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--no-apptest", action="store_true")
    args, _ = parser.parse_known_args()  # ./dev bench passes its arguments to every benchmark

    print(f"Karte mit {args.units:,} Einheiten (Stichtag {date.today():%d.%m.%Y})".replace(",", "."))
    with tempfile.TemporaryDirectory(prefix="qm-bench-app-") as tmp:
        store = args.store or Path(tmp) / "bench.gpkg"
        if store.exists():
            print(f"Register: {store} (vorhanden)")
        else:
            _, t = timed(lambda: build_store(store, args.units))
            print(f"Register erzeugt in {t:.1f} s: {store}")
        register, t_read = timed(lambda: open_store(store).read())
        print(
            f"Register gelesen in {t_read:.2f} s: {len(register.units):,} Einheiten, "
            f"{len(register.observations):,} Beobachtungen".replace(",", ".")
        )

        # the first view after reading the register pays one-off costs (register indexes, templates)
        results = {"Standard, 1. Aufruf": server_side(register, Filters())}
        results.update({name: server_side(register, f) for name, f in SCENARIOS.items()})
        names = list(results)
        rows = [
            ["Filter-Widgets (3× filter_options)"] + [f"{results[n]['widgets']:.3f}" for n in names],
            ["Filtern (apply_filters)"] + [f"{results[n]['filter']:.3f}" for n in names],
            ["Status + Kartendaten (view_map_data)"] + [f"{results[n]['map_data']:.3f}" for n in names],
            ["folium-Karte bauen (render_map)"] + [f"{results[n]['folium']:.3f}" for n in names],
            ["Komponenten-Argumente (st_folium)"] + [f"{results[n]['payload']:.3f}" for n in names],
            ["= Kartenneubau (Ziel < 1 s)"]
            + [f"{results[n]['rebuild']:.3f} {ok(results[n]['rebuild'], TARGET_REBUILD_S)}" for n in names],
            ["Neulauf mit Cache (Karte + Argumente)"] + [f"{results[n]['rerun']:.3f}" for n in names],
        ]
        table("Serverseitig je Ansicht, Sekunden (ohne st.cache_data)", ["Schritt", *names], rows)
        rows = [
            ["Einheiten in der Karte"] + [f"{results[n]['units']:,}".replace(",", ".") for n in names],
            ["an den Browser (Bytes)"] + [f"{results[n]['bytes']:,}".replace(",", ".") for n in names],
            ["davon fest (Leaflet, Grenzen, Legende)"]
            + [f"{results[n]['fixed']:,}".replace(",", ".") for n in names],
            ["Bytes je Einheit (Ziel < 100)"]
            + [
                f"{results[n]['bytes'] / max(results[n]['units'], 1):.1f} {ok(results[n]['bytes'] / max(results[n]['units'], 1), TARGET_BYTES)}"
                for n in names
            ],
            ["Bytes je Einheit ohne festen Teil"]
            + [
                f"{(results[n]['bytes'] - results[n]['fixed']) / max(results[n]['units'], 1):.1f}"
                for n in names
            ],
            ["zum Vergleich eingebettet (data:-URIs): Bytes je Einheit"]
            + [f"{results[n]['bytes_inline'] / max(results[n]['units'], 1):.1f}" for n in names],
        ]
        table(
            "An den Browser gesendet (streamlit-folium-Argumente, unkomprimiert; "
            "Leaflet verlinkt aus /app/static/vendor/, einmal geladen)",
            ["", *names],
            rows,
        )

        if not args.no_apptest:
            runs = app_test(store, str(register.units["unit_id"].iloc[len(register.units) // 2]))
            table(
                "Ganzer Skriptlauf (AppTest, ohne Browser), Sekunden",
                ["Lauf", "s"],
                [[k, f"{v:.2f}"] for k, v in runs.items()],
            )

        if args.no_browser:
            return
        sys.path.insert(0, str(ROOT))
        from tests.browser_util import skip_reason

        reason = skip_reason()
        if reason:
            print(f"\nBrowser-Messung übersprungen: {reason}")
            return
        units = register.units["unit_id"].astype(str).tolist()
        in_gruenau = register.units.loc[register.units["quarter"] == "Grünau", "unit_id"].astype(str).tolist()
        step = max(len(in_gruenau) // max(args.repeat, 1), 1)
        picks = in_gruenau[::step] or units
        b = browser_side(store, len(units), picks, args.repeat)
        s, sel = b["search_ms"], b["select_ms"]
        rows = [
            ["Karte öffnen bis gezeichnet (s)", f"{b['Karte öffnen bis Karte gezeichnet (s)']:.2f}", ""],
            [
                "Filter Quartier: Klick bis Lauf fertig (ms)",
                f"{b['Filter Quartier: Klick bis Lauf fertig (ms)']:.0f}",
                "",
            ],
            [
                "Filter Quartier: Klick bis Karte neu gezeichnet (s)",
                f"{b['Filter Quartier: Klick bis Karte gezeichnet (s)']:.2f}",
                "",
            ],
            [
                f"Einheitensuche (Enter bis fertig), Median / Max aus {len(s)} (ms)",
                f"{statistics.median(s):.0f} / {max(s):.0f}",
                f"{ok(statistics.median(s), TARGET_CLICK_MS)} / {ok(max(s), TARGET_CLICK_MS)}",
            ],
            [
                f"Trefferliste wählen (Klick bis fertig), Median / Max aus {len(sel)} (ms)",
                f"{statistics.median(sel):.0f} / {max(sel):.0f}",
                f"{ok(statistics.median(sel), TARGET_CLICK_MS)} / {ok(max(sel), TARGET_CLICK_MS)}",
            ],
            ["Karte dabei unverändert", str(b["map_untouched"]), ""],
            [
                "Websocket beim Öffnen der Karte: Bytes je Einheit",
                f"{b['ws_bytes'] / max(b['map_units'], 1):.1f} ({b['ws_bytes']:,} B / {b['map_units']:,})".replace(
                    ",", "."
                ),
                ok(b["ws_bytes"] / max(b["map_units"], 1), TARGET_BYTES),
            ],
            [
                "Websocket nach Filter Grünau: Bytes je Einheit",
                f"{b['ws_bytes_filter'] / max(b['map_units_filter'], 1):.1f} ({b['ws_bytes_filter']:,} B / {b['map_units_filter']:,})".replace(
                    ",", "."
                ),
                ok(b["ws_bytes_filter"] / max(b["map_units_filter"], 1), TARGET_BYTES),
            ],
        ]
        table("Im Browser (headless Chromium, Streamlit-Server lokal)", ["", "Wert", "Ziel"], rows)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
