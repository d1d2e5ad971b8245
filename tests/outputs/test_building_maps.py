"""Tests of geo.outputs.building_maps (map, charts, tables of building changes) and the page „Gebäudebestand“."""

from __future__ import annotations

import io
import json
import shutil
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import mapping

from geo import settings
from geo.osm.buildings import CAVEAT
from geo.osm.snapshots import load_snapshots
from geo.outputs import _assets as assets
from geo.outputs import building_figures as bf
from geo.outputs import building_maps as bm
from geo.places.areas import load_boundaries
from tests.signin import signed_in
from tests.synthetic import synthetic_store

ROOT = Path(__file__).resolve().parents[2]
PAGE = "pages/gebaeude.py"
REAL = Path(__file__).resolve().parents[3] / "shared" / "data" / "leipzig" / "osm-buildings"
NASTY_TAG = "<script>alert(1)</script>"
NASTY_ID = "<b>7</b>"

TO_METRIC = Transformer.from_crs("EPSG:4326", "EPSG:25833", always_xy=True)
TO_LONLAT = Transformer.from_crs("EPSG:25833", "EPSG:4326", always_xy=True)
X0, Y0 = TO_METRIC.transform(12.41, 51.345)  # border between the two synthetic Ortsteile


def _lonlat(geom: shapely.Geometry) -> shapely.Geometry:
    return shapely.transform(geom, lambda xy: np.column_stack(TO_LONLAT.transform(xy[:, 0], xy[:, 1])))


def rect(x: float, y: float, w: float = 10, h: float = 10) -> shapely.Geometry:
    """A w x h metre rectangle (x, y) metres from the border point, in lon/lat."""
    return _lonlat(shapely.box(X0 + x, Y0 + y, X0 + x + w, Y0 + y + h))


def write(path: Path, features: list[tuple[str, shapely.Geometry, dict]]) -> Path:
    feats = [
        {"type": "Feature", "properties": {"id": i, "version": "1", "timestamp": "1420070400000", **tags},
         "geometry": mapping(g)}
        for i, g, tags in features
    ]  # fmt: skip
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}), encoding="utf-8")
    return path


@pytest.fixture
def boundaries(tmp_path: Path) -> gpd.GeoDataFrame:
    west = _lonlat(shapely.box(X0 - 500, Y0 - 500, X0, Y0 + 500))
    east = _lonlat(shapely.box(X0, Y0 - 500, X0 + 500, Y0 + 500))
    feats = [{"type": "Feature", "properties": {"Name": n}, "geometry": mapping(g)}
             for n, g in (("Neustadt-Neuschönefeld", west), ("Volkmarsdorf", east))]  # fmt: skip
    path = tmp_path / "ot.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}), encoding="utf-8")
    return load_boundaries(path).frame


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Snapshots 2014-2016 of two areas with known changes.

    1 west, unchanged · 2 west, yes -> retail in 2016 · 3 east, yes -> apartments in 2016
    4 east, removed in 2016 · 5 east, added 2015 (building tag with a script) ·
    6 west, added 2016 · "<b>7</b>" east, added 2016 (odd id).
    """
    out = tmp_path / "osm-buildings"
    out.mkdir()
    b = {i: rect(x, 20) for i, x in (("1", -100), ("2", -60), ("3", 20), ("4", 40), ("5", 80), ("6", -30))}
    b[NASTY_ID] = rect(120, 20, 12, 8)
    yes = {"building": "yes"}
    for year, west, east in (
        (2014, [("1", yes), ("2", yes)], [("3", yes), ("4", yes)]),
        (2015, [("1", yes), ("2", yes)], [("3", yes), ("4", yes), ("5", {"building": NASTY_TAG})]),
        (2016, [("1", yes), ("2", {"building": "retail"}), ("6", yes)],
         [("3", {"building": "apartments"}), ("5", {"building": NASTY_TAG}), (NASTY_ID, yes)]),
    ):  # fmt: skip
        write(out / f"West-{year}-buildings.geojson", [(i, b[i], t) for i, t in west])
        write(out / f"East-{year}-buildings.geojson", [(i, b[i], t) for i, t in east])
    (out / "README.md").write_text("not a snapshot")
    return out


@pytest.fixture
def analysis(folder: Path, boundaries: gpd.GeoDataFrame) -> bm.BuildingAnalysis:
    return bm.analyse_snapshots(bm.snapshot_files(folder), boundaries)


def decode(rows: str) -> list[list]:
    return json.loads(rows)


def ring_lonlat(flat: list[int]) -> np.ndarray:
    pairs = np.cumsum(np.asarray(flat, dtype=np.int64).reshape(-1, 2), axis=0) / 1e6
    return pairs[:, ::-1]


# -- analysis ------------------------------------------------------------------------------


def test_analysis_of_a_folder(analysis, folder):
    assert analysis.files == 6  # README.md is not a snapshot
    assert analysis.years == [2014, 2015, 2016]
    assert set(analysis.stats["group"]) == {"Neustadt-Neuschönefeld", "Volkmarsdorf"}
    last = analysis.stats.set_index(["group", "date"]).xs(pd.Timestamp(2016, 1, 1), level="date")
    assert last.loc["Volkmarsdorf", "buildings"] == 3 and last.loc["Volkmarsdorf", "removed"] == 1
    assert last.loc["Neustadt-Neuschönefeld", "commercial"] == 1
    only = analysis.subset(ortsteil="Volkmarsdorf")
    assert set(only.stats["group"]) == {"Volkmarsdorf"} and set(only.changes["ortsteil"]) == {"Volkmarsdorf"}
    assert len(analysis.subset(quarter="Leipziger Osten").stats) == len(analysis.stats)


def test_missing_folder_is_a_german_error(tmp_path):
    from geo.errors import InputError

    with pytest.raises(InputError, match="nicht gefunden"):
        bm.snapshot_files(tmp_path / "fehlt")
    with pytest.raises(InputError, match="keine Gebäude-Schnappschüsse"):
        bm.snapshot_files(tmp_path)


# -- map -----------------------------------------------------------------------------------


def test_added_buildings_are_coloured_by_year(analysis, boundaries):
    data = bm.prepare_building_map(analysis.changes, since=2015, boundaries=boundaries)
    rows = decode(data.added)
    dates = json.loads(data.dates)
    by_year = {r[1]: dates[r[0]] for r in rows}
    assert by_year == {"5": "01.01.2015", "6": "01.01.2016", "&lt;b&gt;7&lt;/b&gt;": "01.01.2016"}
    assert data.legend_years == ("2015", "2016") and data.added_counts == (1, 2)
    assert len(set(data.colors)) == 2
    html = bm.render_building_map(data).get_root().render()
    for color in data.colors:
        assert color in html
    legend = bm.building_legend_html(data)
    assert "2015 (1)" in legend and "2016 (2)" in legend and bm.ATTRIBUTION in legend
    later = bm.prepare_building_map(analysis.changes, since=2016, boundaries=boundaries)
    assert later.added_count == 2 and later.legend_years == ("2016",)


def test_use_changes_and_removed_buildings_are_own_layers(analysis, boundaries):
    data = bm.prepare_building_map(analysis.changes, since=2015, boundaries=boundaries)
    tags = json.loads(data.tags)
    use = decode(data.use)
    assert [(r[1], tags[r[2]], tags[r[3]], r[6]) for r in use] == [("2", "yes", "retail", 1)]
    every = bm.prepare_building_map(analysis.changes, since=2015, boundaries=boundaries, use_scope="all")
    assert sorted((r[1], tags[r[3]]) for r in decode(every.use)) == [("2", "retail"), ("3", "apartments")]
    assert [r[1] for r in decode(data.removed)] == ["4"]
    m = bm.render_building_map(data)
    layers = [c for c in m._children.values() if isinstance(c, bm.BuildingLayer)]
    assert [layer.layer_name for layer in layers] == ["entfernt (1)", "neu erfasst seit 2015 (3)", "Nutzung geändert (1)"]
    assert all(layer.control for layer in layers)  # each one switchable in the layer control
    assert "Ortsteile" in m.get_root().render()


def test_tag_text_is_escaped(analysis, boundaries):
    data = bm.prepare_building_map(analysis.changes, since=2015, boundaries=boundaries)
    html = bm.render_building_map(data).get_root().render()
    assert NASTY_TAG not in html and "<script>alert" not in html and NASTY_ID not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in json.loads(data.tags)
    assert "&lt;b&gt;7&lt;/b&gt;" in [r[1] for r in decode(data.added)]


def test_no_cdn_urls(analysis, boundaries):
    import streamlit_folium as sf

    data = bm.prepare_building_map(analysis.changes, since=2015, boundaries=boundaries)
    m = bm.render_building_map(data)
    assert assets.disallowed_urls(m.get_root().render()) == []
    js, css = assets.asset_links(m)
    assert js and all(u.startswith("data:text/javascript;base64,") for u in js)
    assert css and all(u.startswith("data:text/css;base64,") for u in css)
    m2 = bm.render_building_map(data)
    m2.get_root().render()
    assert assets.disallowed_urls(sf._get_header(m2) + sf._get_map_string(m2)) == []


def test_footprints_are_simplified_rounded_and_become_points_when_many(analysis, boundaries):
    data = bm.prepare_building_map(analysis.changes, since=2015, boundaries=boundaries)
    assert not data.points
    row = next(r for r in decode(data.added) if r[1] == "6")
    (exterior,) = row[7][0]
    drawn = shapely.Polygon(ring_lonlat(exterior))
    original = rect(-30, 20)
    assert len(exterior) == 8  # four corners, closing point left out
    assert shapely.hausdorff_distance(drawn, original) < 1e-5  # about 1 m
    assert row[4] == 100  # footprint m²
    points = bm.prepare_building_map(analysis.changes, since=2015, boundaries=boundaries, polygon_limit=2)
    assert points.points
    lat, lon = next(r for r in decode(points.added) if r[1] == "6")[7]
    assert original.contains(shapely.Point(lon / 1e6, lat / 1e6))
    assert "Mittelpunkte" in bm.building_legend_html(points)


# -- charts and tables -----------------------------------------------------------------------


def test_stock_chart_has_one_point_per_ortsteil_and_year(analysis):
    spec = bf.stock_chart(analysis.stats, measure="buildings").to_dict()
    values = pd.DataFrame(next(iter(spec["datasets"].values())))
    assert len(values) == 6 and set(values["Jahr"]) == {2014, 2015, 2016}
    got = values.set_index(["Ortsteil", "Jahr"])["Gebäude"]
    assert got[("Volkmarsdorf", 2015)] == 3 and got[("Neustadt-Neuschönefeld", 2016)] == 3
    assert spec["config"]["locale"]["number"]["decimal"] == ","
    area = pd.DataFrame(next(iter(bf.stock_chart(analysis.stats, measure="footprint_m2").to_dict()["datasets"].values())))
    area = area.set_index(["Ortsteil", "Jahr"])["Grundfläche (m²)"]
    assert area[("Volkmarsdorf", 2016)] == pytest.approx(296, abs=1)  # 2 x 100 m² + 96 m² (12 x 8)


def test_change_chart_counts_additions_and_removals_per_year(analysis):
    frame = bf.change_frame(analysis.stats).set_index(["Jahr", "Art"])["Gebäude"]
    assert frame.to_dict() == {
        (2015, "neu erfasst"): 1, (2016, "neu erfasst"): 2, (2015, "entfernt"): 0, (2016, "entfernt"): 1,
    }  # fmt: skip
    spec = bf.change_chart(analysis.stats).to_dict()
    assert spec["mark"]["type"] == "bar" and len(next(iter(spec["datasets"].values()))) == 4


def test_figures_table_and_downloads_use_german_labels_and_numbers(analysis):
    table = bf.figures_table(analysis.stats)
    assert list(table.columns[:4]) == ["Ortsteil", "Stichtag", "Gebäude", "Grundfläche (m²)"]
    big = analysis.stats.assign(footprint_m2=1234567.0, buildings=1000)
    styler, columns = bf.styled(bf.figures_table(big))
    html = styler.to_html()
    assert "1.234.567" in html and "1.234,6" in html and "01.01.2014" in html
    assert "–" in html and "None" not in html and "nan" not in html  # no events at the first snapshot
    assert columns["neu erfasst"]["alignment"] == "right"
    csv = bf.figures_csv(big).decode("utf-8-sig")
    assert csv.splitlines()[0].startswith("Ortsteil;Stichtag;Gebäude;")
    assert ";1234567;1234,6;" in csv
    book = pd.read_excel(io.BytesIO(bf.figures_xlsx(analysis.stats, notes=["Notiz"])), sheet_name=None)
    assert list(book) == ["Gebäudebestand", "Hinweis"] and len(book["Gebäudebestand"]) == 6
    assert CAVEAT in book["Hinweis"]["Hinweis"].tolist() and "Notiz" in book["Hinweis"]["Hinweis"].tolist()


def test_analysis_matches_the_snapshot_loader(analysis, folder):
    snaps = load_snapshots(sorted(folder.glob("*.geojson"))).frame
    assert int(analysis.stats["buildings"].sum()) == len(snaps)


# -- the page ----------------------------------------------------------------------------------

WRAPPER = f"""
import streamlit as st
from pages import _router
_router._ROUTED.set(True)
st.navigation([st.Page({str(ROOT / PAGE)!r})]).run()
"""


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("gebaeude") / "demo.gpkg"
    if settings.demo_store_path.exists():
        shutil.copyfile(settings.demo_store_path, target)
        return target
    return synthetic_store(target, n=120)


def page(store: Path, *, timeout: float = 60):
    from streamlit.testing.v1 import AppTest

    from pages import _router

    if any(path == PAGE for path, *_ in _router.PAGES):  # routed by the app: open it as a bookmark would
        at = AppTest.from_file(str(ROOT / PAGE), default_timeout=timeout)
    else:
        at = AppTest.from_string(WRAPPER, default_timeout=timeout)
    at.session_state["qm_store_path"] = str(store)
    signed_in(at)
    return at


def shown(at) -> str:
    kinds = ("markdown", "caption", "title", "subheader", "info", "warning", "error")
    return "\n".join(str(e.value) for kind in kinds for e in getattr(at, kind))


def test_page_without_data_explains_what_to_provide(store, monkeypatch):
    monkeypatch.delenv("QM_OSM_BUILDINGS", raising=False)
    at = page(store).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Gebäudebestand"
    at.radio(key="g_source").set_value("folder").run()  # the demo register starts with its fictional series
    text = shown(at)
    assert "Geofabrik" in text and "Overpass" in text and "-buildings.geojson" in text
    assert not at.dataframe
    monkeypatch.setenv("QM_OSM_BUILDINGS", "/nicht/vorhanden")  # a folder set up wrongly on the server
    at = page(store).run()
    assert not at.exception
    assert "nicht gefunden" in shown(at) and not at.dataframe


def test_page_shows_figures_of_a_folder(store, folder, monkeypatch):
    monkeypatch.setenv("QM_OSM_BUILDINGS", str(folder))
    at = page(store).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    table = at.dataframe[0].value
    assert list(table.columns[:3]) == ["Ortsteil", "Stichtag", "Gebäude"]
    assert len(table) == 3 * table["Ortsteil"].nunique()
    assert shown(at).count(CAVEAT) == 1  # once, above every chart, the table and the map
    assert "6 Dateien" in shown(at)
    assert at.selectbox(key="g_area").value == "a:"
    at.selectbox(key="g_area").set_value("o:Volkmarsdorf").run()
    assert not at.exception, [e.value for e in at.exception]
    assert set(at.dataframe[0].value["Ortsteil"]) == {"Volkmarsdorf"}
    at.select_slider(key="g_since").set_value(2016).run()
    at.toggle(key="g_scope").set_value(True).run()
    assert not at.exception, [e.value for e in at.exception]


@pytest.mark.skipif(not REAL.is_dir(), reason=f"real snapshots not available at {REAL}")
def test_page_renders_the_real_snapshots(store, monkeypatch):
    monkeypatch.setenv("QM_OSM_BUILDINGS", str(REAL))
    start = time.monotonic()
    at = page(store, timeout=90).run()
    elapsed = time.monotonic() - start
    assert not at.exception, [e.value for e in at.exception]
    table = at.dataframe[0].value
    assert table["Ortsteil"].nunique() >= 12 and table["Stichtag"].nunique() == 12
    assert elapsed < 30, f"page took {elapsed:.1f} s"
