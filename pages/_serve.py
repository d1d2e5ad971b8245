"""Start the app's Streamlit server with the app's modules already imported.

``streamlit run streamlit_app.py`` imports nothing of the app until the first browser
connects: that visitor waited for pandas, geopandas, folium, Altair, matplotlib, the
route solver … to be imported (1–2 s on a 2-core machine) before the first page could
even show its sign-in form. ``python -m pages._serve [streamlit options]`` (what
``./dev app`` and the browser tests run) imports every module the pages and the ``geo``
library import -- found by reading their ``import`` statements, so the list never goes
stale; :data:`NOT_BEFORE_RUNTIME` excepted -- and only then hands over to
``streamlit run streamlit_app.py`` in the same process (after one chart drawn, which
starts the chart renderer's JavaScript engine: :func:`warm_up`, and the server's register
read: :func:`read_register`, handed to the first run by :mod:`pages._warm`). The server answers its health
check once it is ready to serve a page at full speed; Streamlit's script runner finds
the modules in ``sys.modules`` and only runs the pages. The imported objects are then
frozen out of the garbage collector's full passes (:func:`gc.freeze`).

A module that cannot be imported (an optional driver that is not installed) is skipped
and named at debug level; the page that needs it reports the problem as before.
"""

from __future__ import annotations

import ast
import gc
import importlib
import importlib.util
import logging
import sys
import time
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: The folders whose imports are preloaded: the pages and the library they call.
SOURCES = (ROOT / "pages", ROOT / "geo")
#: Not imported before the server runs: the pages' own modules declare Streamlit caches, and a custom
#: component (streamlit-folium) registers its files with the runtime only when imported inside a script
#: run -- imported here, its map would answer 404. Both are light; what they import is preloaded.
NOT_BEFORE_RUNTIME = ("pages", "streamlit_folium")

log = logging.getLogger("quartiersmonitor.serve")


def imported_names(files: Iterable[Path]) -> list[str]:
    """The module names imported anywhere in ``files`` (also inside functions), in first-seen order.

    ``from pkg import name`` yields ``pkg`` and ``pkg.name`` (the latter is imported only
    when it is a submodule); relative imports and ``__future__`` are left out.
    """
    seen: dict[str, None] = {}
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Import):
                seen.update(dict.fromkeys(alias.name for alias in node.names))
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                if node.module != "__future__":
                    seen[node.module] = None
                    seen.update(dict.fromkeys(f"{node.module}.{alias.name}" for alias in node.names))
    return list(seen)


def _is_module(name: str) -> bool:
    """Whether ``name`` is a module (``from pkg import x``: ``pkg.x`` may be a function); imports its package."""
    parent, _, _ = name.rpartition(".")
    if parent:
        try:
            package = importlib.import_module(parent)
        except ImportError:
            return False
        if not hasattr(package, "__path__"):
            return False  # ``from module import function``
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def preload(sources: Iterable[Path] = SOURCES) -> tuple[int, list[str]]:
    """Import every module the ``*.py`` files under ``sources`` import; the number imported and those skipped."""
    files = sorted(f for folder in sources for f in folder.rglob("*.py"))
    done, skipped = 0, []
    for name in imported_names(files):
        if name in sys.modules or name.split(".")[0] in NOT_BEFORE_RUNTIME or not _is_module(name):
            continue
        try:
            importlib.import_module(name)
            done += 1
        except ImportError as exc:  # an optional dependency that is not installed
            skipped.append(name)
            log.debug("not preloaded: %s (%s)", name, exc)
    return done, skipped


def warm_up() -> None:
    """Start the chart renderer's JavaScript engine (vl-convert), which the first chart would wait for (0.5 s)."""
    import altair as alt
    import pandas as pd

    from geo.outputs.charts import to_svg

    to_svg(alt.Chart(pd.DataFrame({"x": [0]})).mark_point().encode(x="x:Q"), width=100)


def read_register() -> str:
    """Read the server's register (``QM_STORE``, else the demo working copy) for the first run (:mod:`pages._warm`).

    Returns a line for the log: what was read, or why not (the page that opens it then reports
    the problem as before).
    """
    from geo.errors import QuartiersmonitorError
    from geo.formats import fmt_int
    from geo.register.store import open_store
    from pages import _warm

    try:
        store = open_store()
        stamp = store.version()
        register = store.read()
    except (QuartiersmonitorError, OSError) as exc:
        return f"Register nicht vorab gelesen ({type(exc).__name__}); die erste Seite liest es"
    _warm.keep(store.target, stamp, register)
    return f"Register vorab gelesen: {fmt_int(len(register.units))} Einheiten"


def main(argv: list[str] | None = None) -> None:
    """Preload, then ``streamlit run streamlit_app.py`` with the options in ``argv`` (default: the command line)."""
    t0 = time.perf_counter()
    done, skipped = preload()
    warm_up()
    read = read_register()
    # what was imported lives as long as the server: out of the garbage collector's full passes, which
    # otherwise walk all of it again now and then in the middle of a click (measured 60-170 ms each)
    gc.collect()
    gc.freeze()
    from geo.formats import fmt_number

    extra = f", {len(skipped)} optionale nicht installiert" if skipped else ""
    took = fmt_number(time.perf_counter() - t0, digits=1)
    print(f"Quartiersmonitor: {done} Module vorab geladen, {read}, in {took} s{extra}", file=sys.stderr)
    from streamlit.web import cli

    args = sys.argv[1:] if argv is None else argv
    cli.main(["run", str(ROOT / "streamlit_app.py"), *args], prog_name="streamlit")


if __name__ == "__main__":
    main()
