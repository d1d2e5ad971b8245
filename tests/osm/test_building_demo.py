"""The fictional building series of the demo (geo.osm.demo_buildings, data/demo-buildings/) and the
page Gebäudebestand showing it on the demo register, with the mapping caveat once."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from streamlit.testing.v1 import AppTest

from geo import settings
from geo.osm.buildings import CAVEAT
from geo.osm.demo_buildings import AREAS, DEMO_LABEL, FIRST_ID, YEARS, demo_buildings_dir, demo_file_names
from geo.osm.demo_buildings import write_demo_buildings as write
from geo.outputs import building_maps as bm
from geo.places.areas import load_boundaries
from geo.register.store import open_store
from geo.text import slug
from tests.signin import signed_in
from tests.synthetic import synthetic_store

ROOT = Path(__file__).resolve().parents[2]
ORTSTEILE = {"Volkmarsdorf", "Neustadt-Neuschönefeld", "Grünau-Mitte"}


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("gebaeude-demo") / "demo.gpkg"
    if not settings.demo_store_path.exists():
        pytest.skip("data/demo.gpkg missing")
    shutil.copyfile(settings.demo_store_path, target)
    return target


def test_committed_series_is_what_the_function_makes(tmp_path):
    a, b = write(tmp_path / "a"), write(tmp_path / "b")
    assert [p.name for p in a] == demo_file_names() == [p.name for p in b]
    assert all(x.read_bytes() == y.read_bytes() for x, y in zip(a, b, strict=True))  # deterministic
    committed = demo_buildings_dir()
    assert sorted(p.name for p in committed.glob("*.geojson")) == sorted(demo_file_names())
    for made in a:
        assert (committed / made.name).read_bytes() == made.read_bytes(), made.name
    assert sum(p.stat().st_size for p in committed.iterdir()) < 300_000
    assert [p.name for p in write(tmp_path / "c", seed=7)] == demo_file_names()
    assert (tmp_path / "c" / a[-1].name).read_bytes() != a[-1].read_bytes()  # the seed matters


def test_files_are_snapshots_labelled_fictional():
    for name in demo_file_names():
        data = json.loads((demo_buildings_dir() / name).read_text(encoding="utf-8"))
        assert "fiktiv" in name and DEMO_LABEL in data["name"]
        ids = [int(f["properties"]["id"]) for f in data["features"]]
        assert ids and min(ids) >= FIRST_ID and len(set(ids)) == len(ids)
        assert all({"version", "timestamp", "building"} <= set(f["properties"]) for f in data["features"])


def test_every_block_lies_well_inside_its_official_ortsteil():
    path = Path(getattr(settings, "boundaries_path", settings.data_dir / "ortsteile.geojson"))
    if not path.exists():
        pytest.skip(f"{path} missing")
    frame = load_boundaries(path).frame.to_crs(settings.metric_crs)
    by_key = {slug(n): g for n, g in zip(frame["name"], frame.geometry, strict=True)}
    for key, (lon, lat), _ in AREAS:
        centre = gpd.GeoSeries([shapely.Point(lon, lat)], crs=4326).to_crs(settings.metric_crs).iloc[0]
        assert by_key[key].contains(centre.buffer(200)), key  # its buildings lie within 150 m of the centre


def test_series_shows_growth_removals_and_use_changes(demo_store):
    register = open_store(demo_store).read()
    analysis = bm.analyse_snapshots(sorted(demo_buildings_dir().glob("*.geojson")), register.boundaries)
    stats = analysis.stats
    assert set(stats["group"]) == ORTSTEILE  # nothing outside the three Ortsteile
    assert {slug(g) for g in ORTSTEILE} == {key for key, _, _ in AREAS}
    assert analysis.years == list(YEARS)
    assert stats["added"].sum() > 10 and stats["removed"].sum() >= 3 and stats["use_changed"].sum() >= 3
    assert stats.groupby("group")["commercial"].agg(lambda s: s.iloc[-1] > s.iloc[0]).all()
    assert stats.loc[stats["group"] == "Grünau-Mitte", "added"].max() >= 7  # the garages mapped in one year: mapping activity, not construction


def page(store: Path) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / "gebaeude.py"), default_timeout=90)
    at.session_state["qm_store_path"] = str(store)
    signed_in(at)
    return at.run()


def shown(at: AppTest) -> str:
    kinds = ("markdown", "caption", "title", "subheader", "info", "warning", "error")
    return "\n".join(str(e.value) for kind in kinds for e in getattr(at, kind))


def test_page_shows_the_demo_series_on_the_demo_register(demo_store, monkeypatch):
    monkeypatch.delenv("QM_OSM_BUILDINGS", raising=False)
    at = page(demo_store)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert at.radio(key="g_source").value == "demo"
    table = at.dataframe[0].value
    assert set(table["Ortsteil"]) == ORTSTEILE and table["Stichtag"].nunique() == len(YEARS)
    text = shown(at)
    assert text.count(CAVEAT) == 1  # the mapping-activity caveat once, not with every chart
    assert all(DEMO_LABEL in s.value for s in at.subheader)  # every heading says "fiktiv"
    assert "keine OpenStreetMap-Daten" in text and "Gebäudedaten ©" not in text
    at.selectbox(key="g_area").set_value("o:Volkmarsdorf").run()
    assert not at.exception, [e.value for e in at.exception]
    assert set(at.dataframe[0].value["Ortsteil"]) == {"Volkmarsdorf"}


def test_demo_map_legend_names_the_fictional_source(demo_store):
    register = open_store(demo_store).read()
    analysis = bm.analyse_snapshots(sorted(demo_buildings_dir().glob("*.geojson")), register.boundaries)
    data = bm.prepare_building_map(analysis.changes, since=2021, boundaries=register.boundaries)
    legend = bm.building_legend_html(data)
    assert bm.ATTRIBUTION in legend  # real snapshots: OpenStreetMap
    from dataclasses import replace

    fictional = bm.building_legend_html(replace(data, attribution=f"{DEMO_LABEL}, keine OpenStreetMap-Daten"))
    assert DEMO_LABEL in fictional and bm.ATTRIBUTION not in fictional


def test_page_without_demo_offers_no_fictional_series(tmp_path, monkeypatch):
    monkeypatch.delenv("QM_OSM_BUILDINGS", raising=False)
    at = page(synthetic_store(tmp_path / "real.gpkg", n=60, demo=False))
    assert not at.exception, [e.value for e in at.exception]
    assert not any(DEMO_LABEL in option for option in at.radio(key="g_source").options)
    text = shown(at)
    assert "Geofabrik" in text and not at.dataframe and DEMO_LABEL not in text
