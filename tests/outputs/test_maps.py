"""The folium maps: units by status with a legend, escaping, offline assets, bytes per unit."""

from __future__ import annotations

import json
import pickle
from datetime import date

import geopandas as gpd
import pytest
from shapely.geometry import Polygon

import geo.outputs._assets as assets
from geo.errors import QuartiersmonitorError
from geo.outputs import maps
from geo.register import stats
from geo.register.model import STATUS_COLORS, STATUS_LABELS, STATUSES
from tests.conftest import make_register
from tests.map_payload import component_args
from tests.synthetic import synthetic_register

AT = date(2024, 1, 1)
NASTY = '<script>alert("x")</script>'


@pytest.fixture(scope="module")
def reg():
    return synthetic_register(300)


@pytest.fixture(scope="module")
def data(reg):
    frame = stats.status_at(reg, AT)
    settled = stats.events(reg, kind="settlement", start="2023-01-01", end=AT)
    return maps.prepare_map(frame, boundaries=reg.boundaries, settlements=settled, settlements_since=date(2023, 1, 1), demo=True)


@pytest.fixture
def nasty_register():
    reg = make_register(
        [
            {"unit_id": "A&1", "street": "Straße <b>", "housenumber": "1<2"},
            {"unit_id": "B", "street": "Eisenbahnstraße", "housenumber": "3"},
            {"unit_id": "<i>C</i>", "street": None},
        ],
        [
            ("A&1", "2023-01-01", "occupied", 'Café & Bar "Zur <Ecke>"'),
            ("B", "2022-01-01", "vacant"),
            ("B", "2023-06-01", "occupied", NASTY + " Imbiss"),
            ("<i>C</i>", "2023-02-01", "vacant"),
        ],
    )
    reg.boundaries = gpd.GeoDataFrame(
        {"name": ["<img src=x onerror=alert(1)>"], "quarter": ["Q <x>"], "source": ["t"], "approximate": [True]},
        geometry=[Polygon([(12.39, 51.34), (12.41, 51.34), (12.41, 51.35), (12.39, 51.35)])],
        crs="EPSG:4326",
    )
    return reg


def rows(data: maps.MapData) -> list[list]:
    return json.loads(data.units.rows)


def test_units_are_coloured_by_status(reg, data):
    frame = stats.status_at(reg, AT)
    assert data.units.n == len(frame) == len(rows(data))
    codes = [c.code for c in data.units.categories]
    by_id = {r[3]: codes[r[2]] for r in rows(data)}
    expected = frame.set_index("unit_id")["status"].fillna(maps.NO_STATUS)
    assert by_id == expected.to_dict()
    html = maps.render_map(data).get_root().render()
    colors = json.dumps([c.color for c in data.units.categories], separators=(",", ":"))
    assert colors in html
    assert [c.color for c in data.units.categories][: len(STATUSES)] == [STATUS_COLORS[s] for s in STATUSES]


def test_legend_lists_statuses_with_counts_and_demo_mark(reg, data):
    legend = maps.legend_html(data)
    counts = stats.status_at(reg, AT)["status"].value_counts()
    for status, n in counts.items():
        assert f"{STATUS_LABELS[status]} ({n})" in legend
    assert "Neuansiedlung seit 01.01.2023" in legend
    assert "Demo-Daten (fiktiv)" in legend
    html = maps.render_map(data).get_root().render()
    assert "qm-legend" in html and "Hintergrundkarte nicht erreichbar" in html


def test_settlements_refer_to_unit_rows(reg, data):
    settled = stats.events(reg, kind="settlement", start="2023-01-01", end=AT)
    marks = json.loads(data.settlements)
    assert data.settlements_count == len(marks) == settled["unit_id"].nunique()
    ids = [rows(data)[i][3] for i, _ in marks]
    assert set(ids) == set(settled["unit_id"])


def test_every_text_is_escaped(nasty_register):
    frame = stats.status_at(nasty_register, AT)
    data = maps.prepare_map(
        frame, boundaries=nasty_register.boundaries, legend_title="<b>Titel",
        settlements=stats.events(nasty_register, kind="settlement", start="2022-01-01", end=AT),
    )
    html = maps.render_map(data).get_root().render()
    for raw in (NASTY, "<script>alert", "Zur <Ecke>", "<img src=x", "Straße <b>", "<i>C</i>", "<b>Titel", "1<2"):
        assert raw not in html, raw
    texts = [t for r in rows(data) for t in r if isinstance(t, str)]
    assert "&lt;script&gt;alert(\"x\")&lt;/script&gt; Imbiss" in texts
    assert 'Café &amp; Bar "Zur &lt;Ecke&gt;"' in texts
    assert "A&amp;1" in texts and "&lt;i&gt;C&lt;/i&gt;" in texts
    assert "&lt;img src=x onerror=alert(1)&gt;" in data.ortsteil_labels


def test_no_cdn_urls_remain(data):
    m = maps.render_map(data)
    html = m.get_root().render()
    assert assets.disallowed_urls(html) == []
    js, css = assets.asset_links(m)
    assert len(js) == 3 and len(css) == 3  # leaflet, markercluster, heat; leaflet + 2 cluster styles
    assert all(u.startswith("data:text/javascript;base64,") for u in js)
    assert all(u.startswith("data:text/css;base64,") for u in css)
    names = {n for node in assets.walk(m) if hasattr(node, "default_js") for n, _ in [*node.default_js, *node.default_css]}
    assert not names & assets.DROPPED_ASSETS
    # what streamlit-folium sends besides the links
    import streamlit_folium as sf

    m2 = maps.render_map(data)
    m2.get_root().render()
    assert assets.disallowed_urls(sf._get_header(m2) + sf._get_map_string(m2)) == []


def test_unknown_asset_is_refused():
    with pytest.raises(QuartiersmonitorError, match="nicht offline"):
        assets.data_uri("https://cdn.example.org/unknown.js", "js")


BASE = "/qm/app/static/vendor/"


def test_linked_assets_point_only_at_the_static_folder(data, tmp_path):
    m = maps.render_map(data, assets="linked", asset_base=BASE)
    html = m.get_root().render()
    assert "data:text/" not in html and assets.disallowed_urls(html) == []
    js, css = assets.asset_links(m)
    # Leaflet, markercluster and heat as one script (the map frame loads scripts one after the other)
    assert js == [BASE + assets.bundle_name()] and len(css) == 3
    for url in [*js, *css]:
        assert url.startswith(BASE) and "//" not in url and not url.startswith(("data:", "http:", "https:"))
    assert all(u.endswith(".js") for u in js) and all(u.endswith(".css") for u in css)
    names = {n for node in assets.walk(m) if hasattr(node, "default_js") for n, _ in [*node.default_js, *node.default_css]}
    assert not names & assets.DROPPED_ASSETS
    # every linked file is written, with the shipped content; writing again changes nothing
    folder = tmp_path / "static" / "vendor"
    assets.write_static_assets(folder)
    from offlinefolium.elements import _res

    by_name = {assets.static_name(url): text for url, text in _res.items()}
    for url in css:
        name = url.removeprefix(BASE)
        assert (folder / name).read_text(encoding="utf-8") == by_name[name]
    bundle = (folder / assets.bundle_name()).read_text(encoding="utf-8")
    parts = [_res[url] for url in assets.BUNDLED_JS]
    assert bundle == "\n;\n".join(parts) and "L.markerClusterGroup" in parts[1] and "L.heatLayer" in parts[2]
    before = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    assets.write_static_assets(folder)
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == before
    assert not [p for p in folder.iterdir() if p.name.startswith(".tmp-")]
    # linking twice (route maps link again after adding markers) keeps the links
    assert assets.asset_links(assets.link_assets(m, base_url=BASE)) == (js, css)
    # streamlit-folium's script and header carry no asset at all
    import streamlit_folium as sf

    assert "data:text/" not in sf._get_header(m) + sf._get_map_string(m)


def test_linked_assets_send_far_fewer_bytes(data):
    inline = component_args(maps.render_map(data))
    linked = component_args(maps.render_map(data, assets="linked", asset_base=BASE))
    assert linked["links"] < 1_000 < 200_000 < inline["links"]
    assert linked["script"] == inline["script"] and linked["hash"] == inline["hash"]


def test_linked_assets_need_a_base():
    with pytest.raises(ValueError, match="asset_base"):
        maps.render_map(maps.prepare_map(stats.status_at(synthetic_register(5), AT)), assets="linked")


def test_app_links_assets_below_base_url_path(monkeypatch):
    from pages import _ui

    options = {"server.enableStaticServing": True, "server.baseUrlPath": "/qm/"}
    monkeypatch.setattr(_ui.st, "get_option", options.get)
    monkeypatch.setattr(_ui, "_vendor_written", lambda: True)
    assert _ui.map_assets() == {"assets": "linked", "asset_base": "/qm/app/static/vendor/"}
    options["server.baseUrlPath"] = ""
    assert _ui.map_assets()["asset_base"] == "/app/static/vendor/"
    monkeypatch.setattr(_ui, "_vendor_written", lambda: False)  # folder not writable
    assert _ui.map_assets() == {"assets": "inline"}
    monkeypatch.setattr(_ui, "_vendor_written", lambda: True)
    options["server.enableStaticServing"] = False
    assert _ui.map_assets() == {"assets": "inline"}


def test_base_maps_and_layers_are_offered(data):
    m = maps.render_map(data, basemap="none")
    html = m.get_root().render()
    labels = [*maps.BASEMAPS.values(), "Quartiere", "Ortsteile", "Leerstand (Wärmebild)", "Neuansiedlung seit 01.01.2023"]
    for label in labels:
        assert json.dumps(label) in html, label
    tiles = [c for c in m._children.values() if type(c).__name__ == "TileLayer"]
    assert len(tiles) == 2 and not any(t.show for t in tiles)
    shown = [c.show for c in maps.render_map(data, basemap="osm")._children.values() if type(c).__name__ == "TileLayer"]
    assert shown == [True, False]


def test_compare_map_uses_change_classes(reg):
    compared = stats.compare(reg, before="2020-01-01", after=AT)
    data = maps.prepare_map(compared, column="change", categories=maps.CHANGE_CATEGORIES, heat=False, legend_title="Vergleich")
    assert data.heat is None
    legend = maps.legend_html(data)
    assert "neu leer" in legend and "neu genutzt" in legend
    assert sum(data.units.counts) == len(compared)


def test_empty_view_renders(reg):
    data = maps.prepare_map(stats.status_at(reg, AT).iloc[0:0], boundaries=reg.boundaries)
    assert data.units.n == 0 and data.units.bounds is None
    assert "L.map(" in maps.render_map(data).get_root().render()


def test_map_data_is_small_and_picklable(data):
    restored = pickle.loads(pickle.dumps(data))
    assert restored == data


def test_unit_id_from_tooltip():
    assert maps.unit_id_from_tooltip("S-0001 · Eisenbahnstraße 1leer · Café") == "S-0001"
    assert maps.unit_id_from_tooltip("A&1") == "A&1"
    assert maps.unit_id_from_tooltip(None) is None and maps.unit_id_from_tooltip("") is None


def test_bytes_per_unit_stay_below_100():
    """20,000 units: everything streamlit-folium sends (incl. the inlined Leaflet) per unit."""
    big = synthetic_register(20_000, seed=3)
    frame = stats.status_at(big, AT)
    settled = stats.events(big, kind="settlement", start="2023-01-01", end=AT)
    full = component_args(maps.build_map(frame, boundaries=big.boundaries, settlements=settled))
    empty = component_args(maps.build_map(frame.iloc[0:0], boundaries=big.boundaries, settlements=settled.iloc[0:0]))
    per_unit = full["total"] / len(frame)
    marginal = (full["total"] - empty["total"]) / len(frame)
    print(f"bytes per unit: {per_unit:.1f} total, {marginal:.1f} marginal; fixed {empty['total']} bytes")
    assert per_unit < 100
    assert marginal < 70


def test_same_data_gives_the_same_component_key(reg):
    """st_folium remounts the map (losing pan and zoom) when its script changes; a rerun must not change it."""
    import streamlit_folium as sf

    def key(data: maps.MapData) -> str:
        m = maps.render_map(data)
        m.get_root().render()
        m.render()
        return sf.generate_js_hash(sf._get_map_string(m), "karte", False)

    first = maps.prepare_map(stats.status_at(reg, AT), boundaries=reg.boundaries)
    again = maps.prepare_map(stats.status_at(reg, AT), boundaries=reg.boundaries)
    other = maps.prepare_map(stats.status_at(reg, "2019-01-01"), boundaries=reg.boundaries)
    assert key(first) == key(again)
    assert key(first) != key(other)


# -- the review of the screenshots (issue 3): scale, clusters, rings, labels, legend, fit --------------------


def test_scale_bar_is_metric_only(data):
    html = maps.render_map(data).get_root().render()
    assert "L.control.scale({imperial: false" in html
    assert "control_scale" not in html and "imperial: true" not in html
    # folium's own scale control (miles and feet) is off
    assert html.count("L.control.scale(") == 1


def test_clusters_are_neutral_and_show_the_vacant_share(data):
    html = maps.render_map(data).get_root().render()
    assert "iconCreateFunction" in html and "qm-cluster" in html
    assert maps.CLUSTER_COLOR in html and maps.CLUSTER_VACANT in html
    vacant = [i for i, c in enumerate(data.units.categories) if c.code in ("vacant", "probably_vacant")]
    assert f"V = {json.dumps(vacant, separators=(',', ':'))}" in html
    # markercluster's default green/yellow/orange classes are never used
    assert "marker-cluster-small" not in html
    legend = maps.legend_html(data)
    assert "Gruppe: Zahl der Einheiten, roter Anteil leer" in legend
    assert "Gruppe" not in maps.legend_html(data, cluster=False)


def test_rings_follow_their_units_and_labels_appear_from_their_zoom(data):
    html = maps.render_map(data).get_root().render()
    # a ring is drawn only while its unit's own marker is on the map (never over a cluster)
    assert "map.hasLayer(rings[i][0])" in html and "qmMarkers" in html
    assert "Ringe erscheinen beim Heranzoomen" in maps.legend_html(data)
    assert "Ringe erscheinen" not in maps.legend_html(data, cluster=False)
    assert f"lo: {maps.LABELS_FROM_ZOOM}," in html and "qmPlaceLabels" in html  # labels: tests/app/test_journeys_karte.py
    assert 'pane: "qmLabels"' in html


def test_offline_note_is_a_bar_at_the_top_and_heat_map_is_marked_optional(data):
    html = maps.render_map(data).get_root().render()
    assert 'L.DomUtil.create("div", "qm-offline", map.getContainer())' in html
    assert ".qm-offline{position:absolute;top:0" in html
    legend = maps.legend_html(data)
    assert "Wärmebild leerer Einheiten: Ebene einschaltbar" in legend
    assert "Wärmebild: Dichte" not in legend


def test_compact_legend_for_small_maps(data):
    full, compact = maps.legend_html(data), maps.legend_html(data, compact=True)
    assert len(compact) < len(full)
    assert "Wärmebild" not in compact and "Demo-Daten (fiktiv)" in compact
    for cat, n in zip(data.units.categories, data.units.counts, strict=False):
        if n:
            assert f"{cat.label} ({n})" in compact
    html = maps.render_map(data, legend="compact").get_root().render()
    assert '"qm-legend compact"' in html
    assert "<details open><summary>" in full  # collapsible
    assert '"qm-legend large"' in maps.render_map(data, legend="large").get_root().render()


def test_fit_to_areas_includes_the_outlines(reg, data):
    (s, w), (n, e) = data.units.bounds
    (as_, aw), (an, ae) = data.area_bounds
    assert as_ <= s and aw <= w and an >= n and ae >= e
    def fitted(m):
        return next(c.bounds for c in m._children.values() if type(c).__name__ in ("FitBounds", "FitView"))

    by_areas = fitted(maps.render_map(data, fit="areas"))
    assert by_areas[0][0] <= as_ and by_areas[1][1] >= ae
    # only the Ortsteile holding units of the view count
    one = stats.status_at(reg, AT)
    one = one.loc[one["ortsteil"] == one["ortsteil"].dropna().iloc[0]]
    small = maps.prepare_map(one, boundaries=reg.boundaries)
    (ss, sw), (sn, se) = small.area_bounds
    assert (sn - ss) * (se - sw) < (an - as_) * (ae - aw)


def test_before_after_map_is_not_clustered_and_hides_unchanged(reg):
    compared = stats.compare(reg, before="2020-01-01", after=AT)
    data = maps.prepare_map(compared, column="change", categories=maps.CHANGE_CATEGORIES, heat=False,
                            cluster=False, hidden=("unchanged",))
    unchanged = [c.code for c in maps.CHANGE_CATEGORIES].index("unchanged")
    assert data.hidden == (unchanged,) and not data.cluster
    m = maps.render_map(data)
    html = m.get_root().render()
    assert "L.markerClusterGroup" not in html
    layers = {type(c).__name__: c for c in m._children.values()}
    assert layers["SubsetPoints"].show is False
    n_unchanged = data.units.counts[unchanged]
    assert json.dumps(f"unverändert ({n_unchanged})") in html
    assert json.dumps(f"Einheiten ({data.units.n - n_unchanged})") in html
    assert "Ebene einschaltbar" in maps.legend_html(data)
    assert "Gruppe" not in maps.legend_html(data)


def test_a_column_is_escaped_once_per_distinct_value_as_each_value_alone():
    import numpy as np
    import pandas as pd

    from geo.outputs._leaflet import esc, esc_values

    values = ["Café & Bar", "<b>x</b>", "Café & Bar", None, float("nan"), pd.NA, " {{ 7*7 }} ", "", "<b>x</b>", 12,
              "\u00a0GE-0001\u2003", " plain ", "a}", "{", "x > y", "&amp;", "'quoted\"", "   ", np.float64("nan")]
    expected = [esc(v) for v in values]
    assert expected[:3] == ["Café &amp; Bar", "&lt;b&gt;x&lt;/b&gt;", "Café &amp; Bar"] and expected[3:6] == ["", "", ""]
    assert esc_values(values) == expected
    assert esc_values(pd.Series(values, dtype=object)) == expected
    assert esc_values(pd.Series(["a<", None, "a<"], dtype="string")) == ["a&lt;", "", "a&lt;"]
    assert esc_values(np.array([], dtype=object)) == []
