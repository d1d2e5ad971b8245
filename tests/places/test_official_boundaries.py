"""The official Ortsteil boundaries as default (data/ortsteile.geojson), their attribution, and the demo in them."""

from __future__ import annotations

import io
import json
import math
import re
from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pypdf import PdfReader
from pyproj import Transformer

from geo import settings
from geo.outputs import maps, report
from geo.outputs import staticmaps as SM
from geo.places import areas
from geo.places.attribution import (
    BOUNDARY_ATTRIBUTION,
    BOUNDARY_LICENCE_URL,
    OFFICIAL_SOURCE,
    boundary_credit,
    credit_markdown,
)
from geo.register.demo import MAX_STREET_OFFSET_M, make_demo_register
from geo.register.history import Register
from geo.text import place_key
from tests.signin import signed_in

ROOT = Path(__file__).resolve().parents[2]
DATA_FILE = ROOT / "data" / "ortsteile.geojson"

#: The 12 Ortsteile with the city's Ortsteil number (``OT``) and their quarter.
ORTSTEILE = {
    "Neustadt-Neuschönefeld": ("20", "Leipziger Osten"),
    "Volkmarsdorf": ("21", "Leipziger Osten"),
    "Anger-Crottendorf": ("22", "Leipziger Osten"),
    "Sellerhausen-Stünz": ("23", "Leipziger Osten"),
    "Reudnitz-Thonberg": ("30", "Leipziger Osten"),
    "Schönefeld-Abtnaundorf": ("10", "Leipziger Osten"),
    "Grünau-Ost": ("61", "Grünau"),
    "Grünau-Mitte": ("62", "Grünau"),
    "Grünau-Nord": ("65", "Grünau"),
    "Grünau-Siedlung": ("63", "Grünau"),
    "Lausen-Grünau": ("64", "Grünau"),
    "Schönau": ("60", "Grünau"),
}

#: Area in hectares, measured in EPSG:25833 (the city's statistics give the same to about 1 %:
#: Volkmarsdorf 1.04 km², Lausen-Grünau 3.77 km², ...).
AREA_HA = {
    "Neustadt-Neuschönefeld": 85.0,
    "Volkmarsdorf": 104.4,
    "Anger-Crottendorf": 189.6,
    "Sellerhausen-Stünz": 300.3,
    "Reudnitz-Thonberg": 203.0,
    "Schönefeld-Abtnaundorf": 292.0,
    "Grünau-Ost": 105.0,
    "Grünau-Mitte": 123.7,
    "Grünau-Nord": 94.9,
    "Grünau-Siedlung": 157.8,
    "Lausen-Grünau": 376.5,
    "Schönau": 307.3,
}

#: Fewest demo units any Ortsteil has.
MIN_UNITS_PER_ORTSTEIL = 8


@pytest.fixture(scope="module")
def official() -> gpd.GeoDataFrame:
    return areas.official_boundaries()


@pytest.fixture(scope="module")
def demo_units() -> gpd.GeoDataFrame:
    return make_demo_register()[0]


# -- the file and the default boundaries -----------------------------------------------


def test_twelve_valid_polygons_with_names_numbers_and_quarters(official):
    assert list(official.columns) == list(areas.BOUNDARY_COLUMNS)
    assert official.crs.equals("EPSG:4326")
    assert len(official) == 12 and official["name"].is_unique
    assert set(official["name"]) == set(ORTSTEILE)
    assert official.is_valid.all() and (official.geom_type == "Polygon").all()
    for name, quarter in zip(official["name"], official["quarter"], strict=True):
        assert quarter == ORTSTEILE[name][1], name
        assert areas.quarter_of(name) == quarter
    assert not official["approximate"].any()
    assert (official["source"] == OFFICIAL_SOURCE).all()
    assert OFFICIAL_SOURCE == "Stadt Leipzig, Datenlizenz Deutschland – Namensnennung 2.0"


def test_the_file_holds_name_number_and_quarter_only():
    raw = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    assert raw["type"] == "FeatureCollection" and "crs" not in raw  # RFC 7946: EPSG:4326
    assert "Datenlizenz Deutschland – Namensnennung 2.0" in raw["attribution"]
    got = {f["properties"]["name"]: f["properties"] for f in raw["features"]}
    assert set(got) == set(ORTSTEILE)
    for name, props in got.items():
        assert props == {"name": name, "OT": ORTSTEILE[name][0], "quarter": ORTSTEILE[name][1]}
    assert Path(settings.boundaries_path) == settings.data_dir / "ortsteile.geojson"


def test_areas_in_etrs89_utm_are_the_real_ones(official):
    hectares = official.to_crs(settings.metric_crs).set_index("name").area / 10_000
    for name, expected in AREA_HA.items():
        assert hectares[name] == pytest.approx(expected, abs=0.5), name
    assert hectares["Volkmarsdorf"] == pytest.approx(104, abs=1)
    by_quarter = official.to_crs(settings.metric_crs).dissolve(by="quarter").area / 1e6
    assert by_quarter["Leipziger Osten"] == pytest.approx(11.74, abs=0.05)
    assert by_quarter["Grünau"] == pytest.approx(11.65, abs=0.05)


def test_neighbours_tile_without_overlaps_or_gaps(official):
    metric = official.to_crs(settings.metric_crs)
    for quarter, group in metric.groupby("quarter"):
        geoms = group.geometry.to_numpy()
        for i in range(len(geoms)):
            for j in range(i + 1, len(geoms)):
                assert geoms[i].intersection(geoms[j]).area < 1.0, quarter
        union = shapely.union_all(geoms)
        assert union.geom_type == "Polygon" and not union.interiors, quarter


@pytest.mark.shared_data
def test_the_geometry_is_the_citys_unchanged(shared_data, official):
    city = json.loads((shared_data / "ortsteile.geojson").read_text(encoding="utf-8"))
    by_name = {place_key(f["properties"]["Name"]): f for f in city["features"]}
    ours = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    for feature in ours["features"]:
        theirs = by_name[place_key(feature["properties"]["name"])]
        assert feature["geometry"] == theirs["geometry"]
        assert feature["properties"]["OT"] == theirs["properties"]["OT"]
    for name, geom in zip(official["name"], official.geometry, strict=True):
        assert geom.equals(shapely.geometry.shape(by_name[place_key(name)]["geometry"])), name


def test_the_setting_chooses_the_file(tmp_path, monkeypatch):
    other = gpd.GeoDataFrame(
        {"Name": ["Volkmarsdorf"]}, geometry=[shapely.box(12.405, 51.342, 12.42, 51.35)], crs="EPSG:4326"
    )
    path = tmp_path / "eigene.geojson"
    other.to_file(path)
    monkeypatch.setattr(settings, "boundaries_path", path)
    loaded = areas.official_boundaries()
    assert loaded["name"].tolist() == ["Volkmarsdorf"] and loaded["quarter"].tolist() == ["Leipziger Osten"]


def test_packaging_ships_the_file_and_its_readme():
    import tomllib

    globs = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"][
        "package-data"
    ]["geo.data"]
    assert "*.geojson" in globs and "README.md" in globs
    readme = (ROOT / "data" / "README.md").read_text(encoding="utf-8")
    for text in (
        "ortsteile.geojson",
        "Datenlizenz Deutschland – Namensnennung 2.0",
        BOUNDARY_LICENCE_URL,
        "Code for Leipzig",
        "fiktiv",
        "python -m geo demo",
        "demo-walk-network.osm",
    ):
        assert text in readme, text
    assert not (ROOT / "data" / "boundaries-approx.geojson").exists()


# -- the demo in the official boundaries --------------------------------------------------


def test_every_demo_unit_lies_in_the_polygon_of_its_ortsteil(demo_units, official):
    polygons = official.set_index("name").geometry
    assert demo_units["ortsteil"].notna().all() and demo_units["quarter"].notna().all()
    inside = [
        polygons[o].contains(p) for o, p in zip(demo_units["ortsteil"], demo_units.geometry, strict=True)
    ]
    assert all(inside)
    quarters = official.set_index("name")["quarter"]
    assert (demo_units["quarter"].to_numpy() == quarters[demo_units["ortsteil"]].to_numpy()).all()


def test_every_ortsteil_has_demo_units(demo_units):
    counts = demo_units["ortsteil"].value_counts()
    assert set(counts.index) == set(ORTSTEILE)
    assert counts.min() >= MIN_UNITS_PER_ORTSTEIL, counts.to_dict()
    assert len(demo_units) == 360


def test_demo_units_lie_on_their_street_on_the_side_of_their_number(demo_units):
    from geo.register._demo_data import _STREETS

    to_metric = Transformer.from_crs("EPSG:4326", settings.metric_crs, always_xy=True)
    lines = {}
    for s in _STREETS:
        xs, ys = to_metric.transform([c[0] for c in s.line], [c[1] for c in s.line])
        lines[s.name] = (shapely.LineString(list(zip(xs, ys, strict=True))), s.numbers)
    metric = demo_units.to_crs(settings.metric_crs)
    for street, number, point in zip(metric["street"], metric["housenumber"], metric.geometry, strict=True):
        line, _ = lines[street]
        assert line.distance(point) <= MAX_STREET_OFFSET_M + 1.0, (street, number)
        # odd numbers on the left in drawing direction, even ones on the right
        d = line.project(point)
        a, b = line.interpolate(max(d - 1.0, 0.0)), line.interpolate(min(d + 1.0, line.length))
        cross = (b.x - a.x) * (point.y - a.y) - (b.y - a.y) * (point.x - a.x)
        odd = int(re.match(r"\d+", number).group()) % 2 == 1
        assert (cross > 0) == odd, (street, number)


def test_demo_store_holds_the_official_boundaries(tmp_path):
    from geo.register.io import build_demo_store
    from geo.register.store import open_store

    stored = open_store(build_demo_store(tmp_path / "demo.gpkg")).read()
    assert sorted(stored.boundaries["name"]) == sorted(ORTSTEILE)
    assert (stored.boundaries["source"] == OFFICIAL_SOURCE).all() and not stored.boundaries[
        "approximate"
    ].any()
    assert boundary_credit(stored.boundaries) == OFFICIAL_SOURCE
    committed = open_store(settings.demo_store_path).read()
    assert (committed.boundaries["source"] == OFFICIAL_SOURCE).all()


# -- the attribution where the boundaries are shown ----------------------------------------


def test_attribution_text_and_credits(official):
    assert (
        BOUNDARY_ATTRIBUTION == "Ortsteilgrenzen: Stadt Leipzig, Datenlizenz Deutschland – Namensnennung 2.0"
    )
    assert f"Ortsteilgrenzen: {boundary_credit(official)}" == BOUNDARY_ATTRIBUTION
    assert boundary_credit(None) is None
    old = official.assign(approximate=True)
    assert boundary_credit(old) == areas.APPROX_SOURCE
    md = credit_markdown(boundary_credit(official))
    assert md.startswith("Ortsteilgrenzen: Stadt Leipzig, Datenlizenz Deutschland – Namensnennung 2\\.0")
    assert md.endswith(f"([Lizenz]({BOUNDARY_LICENCE_URL}))")


def test_attribution_in_the_web_map(demo_units, official):
    frame = demo_units.assign(status="occupied")
    html = maps.build_map(frame, boundaries=official, basemap="none").get_root().render()
    assert BOUNDARY_ATTRIBUTION in html and BOUNDARY_LICENCE_URL in html
    assert (
        html.count(BOUNDARY_ATTRIBUTION) == 2
    )  # on the Ortsteile and quarter layers, shown while they are on
    bare = maps.build_map(frame, basemap="none").get_root().render()
    assert BOUNDARY_ATTRIBUTION not in bare  # no boundaries drawn, no credit


def test_attribution_under_static_maps(demo_units, official):
    fig = SM.status_map(demo_units.assign(status="vacant"), boundaries=official, title="Leipziger Osten")
    texts = " ".join(t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text")))
    assert BOUNDARY_ATTRIBUTION in re.sub(r"\s+", " ", texts)


def test_attribution_in_the_report(tmp_path):
    from geo.register.io import build_demo_store
    from geo.register.store import open_store

    register: Register = open_store(build_demo_store(tmp_path / "demo.gpkg")).read()
    out = io.BytesIO()
    report.build_report(
        register,
        out=out,
        quarter="Grünau",
        start=date(2025, 1, 1),
        end=date(2025, 12, 31),
        public=True,
        dpi=60,
    )
    text = " ".join(
        re.sub(r"\s+", " ", p.extract_text() or "") for p in PdfReader(io.BytesIO(out.getvalue())).pages
    )
    assert "Stadt Leipzig, Datenlizenz Deutschland – Namensnennung 2.0" in text
    assert re.sub(r"\s+", " ", f"{BOUNDARY_ATTRIBUTION} ({BOUNDARY_LICENCE_URL})") in text
    assert "handgezeichnet" not in text


def test_no_unit_of_another_quarter_is_inside(demo_units, official):
    """Units of one quarter never fall into the other's Ortsteile (the hand-drawn outlines let 28 % move)."""
    joined = areas.assign_areas(demo_units.drop(columns=["ortsteil", "quarter"]), official)
    pd.testing.assert_series_equal(joined["ortsteil"], demo_units["ortsteil"])
    osten = demo_units.loc[demo_units["quarter"] == "Leipziger Osten"]
    assert math.isclose(len(osten) / len(demo_units), 0.6, abs_tol=0.05)
    assert np.isfinite(osten.geometry.x).all()


def test_attribution_caption_under_the_app_map(tmp_path):
    import shutil

    from streamlit.testing.v1 import AppTest

    store = Path(shutil.copyfile(settings.demo_store_path, tmp_path / "demo.gpkg"))
    at = AppTest.from_file(str(ROOT / "pages" / "uebersicht.py"), default_timeout=60)
    at.session_state["qm_store_path"] = str(store)
    signed_in(at)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    captions = [c.value for c in at.caption]
    assert credit_markdown(OFFICIAL_SOURCE) in captions
