"""The benchmark's reference pages (``bench/floor/``) run and show what they stand for."""

from __future__ import annotations

import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]


def test_the_heading_page_shows_only_its_heading():
    at = AppTest.from_file(str(ROOT / "bench" / "floor" / "heading.py")).run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Boden"]
    assert len(at.main.children) == 1


def test_the_map_page_shows_one_map_of_the_apps_kind_with_one_unit():
    at = AppTest.from_file(str(ROOT / "bench" / "floor" / "one_map.py"), default_timeout=60).run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Boden"]
    (component,) = at.get("component_instance")  # streamlit-folium's map, the one element besides the heading
    args = json.loads(component.proto.json_args)
    page = args["header"] + args["script"]
    assert "qm-legend" in page  # the app's legend: the benchmark's readiness check waits for it
    assert page.count('"GE-1"') == 1  # one unit
