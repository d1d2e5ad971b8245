"""Settings are read when used and documented in one place (issue "Restructure").

Every policy knob lives in :mod:`geo.settings` with a ``#:`` comment, is listed in the
README, and takes effect on assignment: functions read ``settings.NAME`` at call
time instead of binding it as a default value or a module constant at import.
"""

from __future__ import annotations

import ast
import re
from datetime import date
from pathlib import Path

import matplotlib.text
import numpy as np
import pandas as pd
import pytest

from geo import settings
from geo.errors import InputError
from geo.osm import matching
from geo.osm._synthetic import write_grid_osm
from geo.outputs import staticmaps as SM
from geo.outputs.report import report_tables
from geo.register import stats
from geo.register.history import Register
from geo.register.store import open_store
from geo.walks.network import distance_matrix, load_walk_graph
from geo.walks.tour import plan_walk
from tests.conftest import make_register
from tests.osm.test_matching import business, osm_frame, pairs, unit

ROOT = Path(__file__).resolve().parents[1]
END = date(2025, 12, 31)


def _settings_names() -> dict[str, bool]:
    """Public module-level variables of geo/settings.py -> whether a ``#:`` comment documents them."""
    source = (ROOT / "geo" / "settings.py").read_text(encoding="utf-8")
    lines = source.splitlines()
    out: dict[str, bool] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            name = node.target.id
        elif isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
        else:
            continue
        if not name.startswith("_"):
            out[name] = lines[node.lineno - 2].lstrip().startswith("#:")
    return out


def test_every_setting_is_documented_in_the_module_and_the_readme():
    names = _settings_names()
    assert {"public_min_units", "segment_length_m", "osm_match_distance_m", "osm_name_threshold"} <= set(
        names
    )
    assert [n for n, documented in names.items() if not documented] == []
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Settings", 1)[1].split("\n## ", 1)[0]
    assert [n for n in names if f"`{n}`" not in section] == []


@pytest.fixture(scope="module")
def osten(tmp_path_factory: pytest.TempPathFactory) -> Register:
    if settings.demo_store_path.exists():
        register = open_store(settings.demo_store_path).read()
    else:
        from geo.register.io import build_demo_store

        register = open_store(build_demo_store(tmp_path_factory.mktemp("s") / "demo.gpkg")).read()
    return register.subset((register.units["quarter"] == "Leipziger Osten").fillna(False).to_numpy())


def test_street_sections_follow_the_settings_at_call_time(osten, monkeypatch):
    current = stats.status_at(osten, END)
    registered = current.loc[current["status"].notna()]
    _, default = SM.street_segments(registered)
    monkeypatch.setattr(settings, "public_min_units", 8)
    _, larger = SM.street_segments(registered)
    assert len(larger) < len(default)
    per_street = registered.groupby("street").size()
    assert all(row.n_units >= 8 for row in larger.itertuples() if per_street[row.street] >= 8)
    monkeypatch.setattr(settings, "public_min_units", 3)
    monkeypatch.setattr(settings, "segment_length_m", 100.0)
    _, shorter = SM.street_segments(registered)
    assert len(shorter) > len(default)


def test_public_report_tables_hide_groups_below_the_setting(osten, monkeypatch):
    def tables() -> dict:
        return report_tables(osten, quarter="Leipziger Osten", start=date(2025, 1, 1), end=END)

    streets = tables()["Straßen"]
    assert streets["Einheiten"].min() < 10
    monkeypatch.setattr(settings, "public_min_units", 10)
    changed = tables()
    assert len(changed["Straßen"]) and changed["Straßen"]["Einheiten"].min() >= 10
    ortsteile = changed["Ortsteile"]
    small = ortsteile["Einheiten"] < 10
    assert ortsteile.loc[small, "Leerstandsquote"].isna().all()
    info = "\n".join(changed["Info"].astype(str).to_numpy().ravel())
    assert "ab 10 Einheiten" in info


def test_segment_map_names_the_current_threshold(osten, monkeypatch):
    current = stats.status_at(osten, END)
    _, segments = SM.street_segments(current.loc[current["status"].notna()])
    segments["rate"] = np.linspace(0, 0.4, len(segments))
    segments["units"] = segments["n_units"]
    shown = np.ones(len(segments), bool)
    shown[0] = False
    monkeypatch.setattr(settings, "public_min_units", 7)
    fig = SM.segment_map(
        segments, column="rate", classes=[(0, np.inf, "alle", "#800026")], shown=shown, at=END
    )
    texts = [t.get_text() for t in fig.findobj(matplotlib.text.Text)]
    assert "weniger als 7 Einheiten (nicht ausgewiesen)" in texts


def test_osm_matching_reads_its_tolerances_at_call_time(monkeypatch):
    register = make_register([unit("A1", 0)], [("A1", "2024-01-01", "occupied", "Bäckerei Sonne")])
    features = osm_frame([business(1, 35, shop="bakery", name="Bäckerei Sonne")])
    far = matching.compare_with_osm(register, features, at="2025-01-01")
    assert far.tolerance_m == 30 and pairs(far.matches) == []
    monkeypatch.setattr(settings, "osm_match_distance_m", 40.0)
    near = matching.compare_with_osm(register, features, at="2025-01-01")
    assert near.tolerance_m == 40 and pairs(near.matches) == [("A1", "node/1")]
    monkeypatch.setattr(settings, "osm_name_threshold", 100.0)
    other = osm_frame([business(1, 5, shop="bakery", name="Bäckerei Sonnenschein")])
    assert pairs(matching.compare_with_osm(register, other, at="2025-01-01").matches) == []
    monkeypatch.setattr(settings, "osm_name_threshold", 50.0)
    assert pairs(matching.compare_with_osm(register, other, at="2025-01-01").matches) == [("A1", "node/1")]


def test_walk_planning_reads_speed_and_snap_distance_at_call_time(tmp_path, monkeypatch):
    grid = write_grid_osm(tmp_path / "grid.osm", nx=6, ny=6, spacing_m=50, seed=1)
    G = load_walk_graph(grid.path)
    lon0, lat0, lon1, lat1 = grid.bounds
    stops = pd.DataFrame(
        {"unit_id": ["A", "B"], "lon": [lon0 + 0.0004, lon1 - 0.0004], "lat": [lat0 + 0.0004, lat1 - 0.0004]}
    )
    start = (lon0 + 0.0004, lat1 - 0.0004)
    base = plan_walk(G, stops, start=start)
    assert base.speed_kmh == 4.5
    monkeypatch.setattr(settings, "walk_speed_kmh", 3.0)
    slow = plan_walk(G, stops, start=start)
    assert slow.speed_kmh == 3.0 and slow.walk_min == pytest.approx(base.walk_min * 1.5)
    off = [start, (lon1 + 0.0015, lat1 - 0.0004)]  # about 100 m east of the grid
    assert distance_matrix(G, off).shape == (2, 2)
    monkeypatch.setattr(settings, "walk_max_snap_m", 50.0)
    with pytest.raises(InputError, match="Nicht am Wegenetz"):
        distance_matrix(G, off)


def test_no_policy_constant_is_bound_at_import():
    """The knobs moved to settings are gone from their old modules (one home, read when used)."""
    source = {
        p: p.read_text(encoding="utf-8") for p in (ROOT / "geo").rglob("*.py") if p.name != "settings.py"
    }
    old = re.compile(
        r"\b(MIN_UNITS|SEGMENT_LENGTH_M|DEFAULT_TOLERANCE_M|DEFAULT_NAME_THRESHOLD|DEFAULT_MAX_SNAP_M)\b"
    )
    assert [str(p.relative_to(ROOT)) for p, text in source.items() if old.search(text)] == []
    assert not hasattr(matching, "DEFAULT_TOLERANCE_M")
