"""The server launcher (``pages/_serve.py``): what it imports before Streamlit starts, and what not."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from pages import _serve

ROOT = Path(__file__).resolve().parents[2]


def test_imported_names_reads_every_import_statement(tmp_path):
    (tmp_path / "a.py").write_text(
        "from __future__ import annotations\n"
        "import json, csv\n"
        "from geo.walks import tour\n"
        "from . import sibling\n"
        "def f():\n"
        "    import osmnx as ox  # lazy, inside a function\n",
        encoding="utf-8",
    )
    names = _serve.imported_names([tmp_path / "a.py"])
    assert names == ["json", "csv", "geo.walks", "geo.walks.tour", "osmnx"]


def test_preload_skips_names_that_are_not_modules(tmp_path):
    (tmp_path / "b.py").write_text(
        "from json import dumps\nimport quartiersmonitor_no_such_module\n", encoding="utf-8"
    )
    done, skipped = _serve.preload([tmp_path])
    assert skipped == []  # an unknown name is no module: nothing to import, nothing to report
    assert "json.dumps" not in sys.modules


def test_preload_imports_the_library_but_not_what_needs_a_running_server():
    script = (
        "import json, sys\n"
        "from pages import _serve\n"
        "done, skipped = _serve.preload()\n"
        "print(json.dumps({'done': done, 'skipped': skipped, 'loaded': sorted(sys.modules)}))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    loaded = set(result["loaded"])
    # what the pages need at their first run is there ...
    for name in ("geopandas", "folium", "altair", "geo.outputs.maps", "geo.walks.outreach", "geo.register.io"):
        assert name in loaded, name
    # ... but no page helper (they declare Streamlit caches) and no custom component: streamlit-folium
    # registers its files only when imported inside a script run, else its map answers 404
    assert not any(n == "pages._ui" or n.startswith("streamlit_folium") for n in loaded)
    assert result["done"] > 20
    assert "Thread 'MainThread': missing ScriptRunContext" not in out.stderr


def test_the_register_read_before_serving_goes_to_the_first_run(tmp_path, monkeypatch):
    """The server reads its register before it answers; the first page shows it without reading it again."""
    from streamlit.testing.v1 import AppTest

    from geo.formats import fmt_int
    from geo.register.store import open_store
    from pages import _warm
    from tests.app.test_app import _copy_demo

    store = _copy_demo(tmp_path / "served.gpkg")
    monkeypatch.setenv("QM_STORE", str(store))
    units = len(open_store(store).read().units)
    assert _serve.read_register() == f"Register vorab gelesen: {fmt_int(units)} Einheiten"
    ((_path, _stamp), kept), = _warm._READ.items()
    assert len(kept.units) == units

    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60)
    at.run()  # the public start page of the server's register
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Übersicht" and at.metric
    assert _warm._READ == {}  # handed over to the app's cache, not held twice


def test_a_register_that_cannot_be_read_before_serving_is_left_to_the_first_page(tmp_path, monkeypatch):
    from pages import _warm

    broken = tmp_path / "kaputt.gpkg"
    broken.write_bytes(b"no GeoPackage")
    monkeypatch.setenv("QM_STORE", str(broken))
    line = _serve.read_register()
    assert line.startswith("Register nicht vorab gelesen (") and _warm._READ == {}
