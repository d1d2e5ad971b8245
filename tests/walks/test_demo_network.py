"""The fictional demo walking network (geo.register.demo_network.write_demo_walk_network)."""

from __future__ import annotations

import math
from xml.etree import ElementTree as ET

import networkx as nx
import numpy as np
import osmnx as ox
import pytest
import shapely
from pyproj import Transformer

from geo import settings
from geo.osm._synthetic import DEMO_GENERATOR
from geo.places.areas import load_quarters
from geo.register._demo_data import _PATHS, _STREETS
from geo.register.demo_network import DEMO_WALK_NETWORK_NAME, DEMO_WAY_NOTE, write_demo_walk_network
from geo.register.io import build_demo_store
from geo.register.store import open_store
from geo.walks import network as walks
from geo.walks import outreach
from geo.walks.network import DEMO_NETWORK_CREDIT, network_credit
from geo.walks.stops import select_stops

OSTEN = "Leipziger Osten"
TO_METRIC = Transformer.from_crs("EPSG:4326", settings.metric_crs, always_xy=True)


@pytest.fixture(scope="module")
def network_file(tmp_path_factory):
    return write_demo_walk_network(tmp_path_factory.mktemp("net") / DEMO_WALK_NETWORK_NAME)


@pytest.fixture(scope="module")
def G(network_file):
    return walks.load_walk_graph(network_file)


@pytest.fixture(scope="module")
def register(tmp_path_factory):
    return open_store(build_demo_store(tmp_path_factory.mktemp("demo") / "demo.gpkg")).read()


def test_the_file_is_small_labelled_fictional_and_credited_so(network_file):
    assert network_file.stat().st_size < 1_500_000
    head = network_file.read_text(encoding="utf-8")[:2048]
    assert f'generator="{DEMO_GENERATOR}"' in head and "<!--" in head and "fiktiv" in head
    assert network_credit(network_file) == DEMO_NETWORK_CREDIT
    assert network_credit(network_file.read_bytes(), name="x.osm") == DEMO_NETWORK_CREDIT
    root = ET.parse(network_file).getroot()
    highways = {t.get("v") for t in root.iter("tag") if t.get("k") == "highway"}
    assert highways == {"secondary", "tertiary", "residential", "footway"}
    names = {t.get("v") for t in root.iter("tag") if t.get("k") == "name"}
    assert {"Eisenbahnstraße", "Mariannenstraße", "Zugang zum Quartiersbüro (fiktiv)"} <= names
    for way in root.iter("way"):  # every way says it is fictional
        tags = {t.get("k"): t.get("v") for t in way.iter("tag")}
        assert tags["note"] == DEMO_WAY_NOTE and "fiktiv" in tags["note"] and tags["source"] == "Demo (fiktiv)"


def test_the_network_is_the_demo_streets_and_cross_streets(network_file, G):
    """Streets, not a fan of zig-zag connectors: every way is a demo street or cross street along its line."""
    root = ET.parse(network_file).getroot()
    nodes = {int(n.get("id")): TO_METRIC.transform(float(n.get("lon")), float(n.get("lat"))) for n in root.iter("node")}
    drawn: dict[str, list[shapely.LineString]] = {}
    for street in [*_STREETS, *_PATHS]:
        xs, ys = TO_METRIC.transform([c[0] for c in street.line], [c[1] for c in street.line])
        drawn.setdefault(street.name, []).append(shapely.LineString(list(zip(xs, ys, strict=True))))
    footways = []
    for way in root.iter("way"):
        tags = {t.get("k"): t.get("v") for t in way.iter("tag")}
        line = shapely.LineString([nodes[int(nd.get("ref"))] for nd in way.iter("nd")])
        if tags["highway"] == "footway":
            footways.append(tags["name"])
            continue
        # along its hand-drawn line (ends joined to a street within 30 m)
        assert min(line.hausdorff_distance(d) for d in drawn[tags["name"]]) < 31.0, tags["name"]
    assert sorted(footways) == sorted(
        ["Zugang zum Quartiersbüro (fiktiv)"] * 2 + ["Verbindung der Demo-Quartiere (fiktiv)"]
    )
    assert {s.name for s in _STREETS} <= set(drawn)
    # every street of the units is walkable and named in the loaded graph
    names = {n for _, _, v in G.edges(data="name") for n in ([v] if isinstance(v, str) else v or [])}
    assert {s.name for s in _STREETS} <= names


def test_each_quarter_is_connected_and_the_loaded_network_keeps_both(network_file, G):
    root = ET.parse(network_file).getroot()
    raw = nx.Graph()
    for way in root.iter("way"):
        tags = {t.get("k"): t.get("v") for t in way.iter("tag")}
        if tags.get("name") != "Verbindung der Demo-Quartiere (fiktiv)":
            nx.add_path(raw, [int(nd.get("ref")) for nd in way.iter("nd")])
    assert nx.number_connected_components(raw) == 2  # one per quarter
    assert nx.is_weakly_connected(G)
    xs = np.array([d["x"] for _, d in G.nodes(data=True)])
    for office in load_quarters().values():  # both offices are on the loaded network
        x, y = TO_METRIC.transform(office.office_lon, office.office_lat)
        assert np.min(np.hypot(xs - x, np.array([d["y"] for _, d in G.nodes(data=True)]) - y)) < 1.0


def test_all_osten_units_snap_and_a_walk_to_ten_vacant_units_is_plausible(G, register, network_file):
    units = register.units
    osten = units.loc[units["quarter"] == OSTEN]
    edges = ox.graph_to_gdfs(G, nodes=False)
    _, dist = edges.sindex.nearest(osten.to_crs(settings.metric_crs).geometry, return_distance=True)
    assert len(osten) > 100 and dist.max() <= settings.walk_max_snap_m
    selected = select_stops(register, rules="vacant>0m", area=OSTEN).frame
    assert len(selected) >= 10
    ten = sorted(selected["unit_id"])[:10]
    walk = outreach.plan_outreach(register, G, picked=ten, area=OSTEN,
                                  network_credit=network_credit(network_file))
    plan = walk.plan
    assert sorted(plan.stops["unit_id"]) == ten and not plan.dropped
    assert plan.stops["snap_m"].max() <= settings.walk_max_snap_m
    office = load_quarters()[OSTEN]
    pts = [TO_METRIC.transform(office.office_lon, office.office_lat)]
    pts += [TO_METRIC.transform(lon, lat) for lon, lat in zip(plan.stops["lon"], plan.stops["lat"], strict=True)]
    straight = sum(math.dist(a, b) for a, b in zip(pts, pts[1:] + pts[:1], strict=True))
    assert straight < plan.total_m < 3 * straight


def test_the_file_is_deterministic_and_the_committed_copy_is_current(network_file, tmp_path):
    again = write_demo_walk_network(tmp_path / "again.osm")
    assert again.read_bytes() == network_file.read_bytes()
    committed = settings.data_dir / DEMO_WALK_NETWORK_NAME
    assert committed.is_file(), "data/demo-walk-network.osm fehlt: mit geo.register.demo_network.write_demo_walk_network schreiben"
    assert committed.read_bytes() == network_file.read_bytes()
