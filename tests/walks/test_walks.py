"""Walk planning on synthetic OSM networks (no network access, no real map data)."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path
from xml.etree import ElementTree as ET

import geopandas as gpd
import networkx as nx
import numpy as np
import osmnx as ox
import pandas as pd
import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import LineString, Point

from geo import settings
from geo.errors import InputError
from geo.osm._synthetic import write_grid_osm, write_osm
from geo.walks import _tsp
from geo.walks import network as walks
from geo.walks.plan import WalkPlan, WalkPoint
from geo.walks.tour import plan_walk

TO_METRIC = Transformer.from_crs("EPSG:4326", settings.metric_crs, always_xy=True)
TO_LONLAT = Transformer.from_crs(settings.metric_crs, "EPSG:4326", always_xy=True)
GPX_NS = {"g": "http://www.topografix.com/GPX/1/1"}


@pytest.fixture(scope="module")
def grid(tmp_path_factory):
    """A 24 × 24 synthetic grid (about 1.15 km square) with a separate island."""
    path = tmp_path_factory.mktemp("osm") / "grid.osm"
    return write_grid_osm(path, nx=24, ny=24, spacing_m=50, seed=1, island=True)


@pytest.fixture(scope="module")
def G(grid):
    return walks.load_walk_graph(grid.path)


def node_lonlat(G, node) -> tuple[float, float]:
    lon, lat = TO_LONLAT.transform(G.nodes[node]["x"], G.nodes[node]["y"])
    return float(lon), float(lat)


def central_node(G):
    xs = np.array([G.nodes[n]["x"] for n in G.nodes])
    ys = np.array([G.nodes[n]["y"] for n in G.nodes])
    nodes = list(G.nodes)
    return nodes[int(np.argmin(np.hypot(xs - xs.mean(), ys - ys.mean())))]


def random_stops(grid, n: int, seed: int, *, priority=None) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    lon0, lat0, lon1, lat1 = grid.bounds
    pad_lon, pad_lat = (lon1 - lon0) * 0.05, (lat1 - lat0) * 0.05
    frame = pd.DataFrame(
        {
            "unit_id": [f"E{i:03d}" for i in range(n)],
            "street": "Eisenbahnstraße",
            "housenumber": [str(2 * i + 1) for i in range(n)],
            "lon": rng.uniform(lon0 + pad_lon, lon1 - pad_lon, n),
            "lat": rng.uniform(lat0 + pad_lat, lat1 - pad_lat, n),
        }
    )
    if priority is not None:
        frame["priority"] = priority
    return frame


def metric_line(line: LineString) -> LineString:
    xy = np.asarray(line.coords)
    x, y = TO_METRIC.transform(xy[:, 0], xy[:, 1])
    return LineString(np.column_stack([x, y]))


def edge_lines(G) -> np.ndarray:
    lines = []
    for u, v, data in G.edges(data=True):
        geom = data.get("geometry")
        if geom is None:
            geom = LineString([(G.nodes[u]["x"], G.nodes[u]["y"]), (G.nodes[v]["x"], G.nodes[v]["y"])])
        lines.append(geom)
    return np.array(lines, dtype=object)


def straight_tour_m(plan: WalkPlan) -> float:
    pts = [(plan.start.lon, plan.start.lat), *zip(plan.stops["lon"], plan.stops["lat"], strict=True)]
    if plan.end is not None:
        pts.append((plan.end.lon, plan.end.lat))
    x, y = TO_METRIC.transform(*np.array(pts).T)
    return float(np.hypot(np.diff(x), np.diff(y)).sum())


# -- loading -------------------------------------------------------------------------


def test_graph_loads_projected_and_walkable_both_ways(G, grid):
    assert G.graph["crs"] == settings.metric_crs or str(G.graph["crs"]).upper() == settings.metric_crs
    assert len(G) > 300
    assert all(data["length"] > 0 for *_, data in G.edges(data=True))
    for u, v in G.edges():
        assert G.has_edge(v, u), "walking network must be bidirectional"
    # the island is not connected, so only the main grid is kept from OSM XML
    assert not set(grid.island) & set(G.nodes)
    assert nx.is_weakly_connected(G)
    assert grid.oneway_ways, "the synthetic grid should contain one-way streets"


def test_oneway_streets_are_walked_against_their_direction(tmp_path):
    # square A-B-C-D; the short side A->B is a one-way street, the way round is long
    m = [(0, 0), (100, 0), (100, 600), (0, 600)]
    x0, y0 = TO_METRIC.transform(12.41, 51.345)
    lonlat = [TO_LONLAT.transform(x0 + dx, y0 + dy) for dx, dy in m]
    nodes = {i + 1: (float(lon), float(lat)) for i, (lon, lat) in enumerate(lonlat)}
    ways = [
        ([1, 2], {"highway": "residential", "oneway": "yes", "name": "Einbahnstraße"}),
        ([2, 3, 4, 1], {"highway": "residential", "name": "Umweg"}),
    ]
    path = write_osm(tmp_path / "oneway.osm", nodes, ways)
    G = walks.load_walk_graph(path)
    b_to_a = walks.distance_matrix(G, [nodes[2], nodes[1]])
    assert b_to_a[0, 1] == pytest.approx(100, abs=1.0)
    plan = plan_walk(
        G,
        pd.DataFrame({"unit_id": ["A"], "lon": [nodes[1][0]], "lat": [nodes[1][1]]}),
        start=nodes[2],
        round_trip=False,
    )
    assert plan.total_m == pytest.approx(100, abs=1.0)
    # a driving graph of the same file would have to go round
    drive = ox.project_graph(ox.graph_from_xml(path, bidirectional=False), to_crs=settings.metric_crs)
    b, a = ox.distance.nearest_nodes(drive, *TO_METRIC.transform(*np.array([nodes[2], nodes[1]]).T))
    assert nx.shortest_path_length(drive, b, a, weight="length") > 700


def test_unwalkable_ways_are_left_out(tmp_path):
    x0, y0 = TO_METRIC.transform(12.41, 51.345)
    pts = {i + 1: TO_LONLAT.transform(x0 + 100 * i, y0) for i in range(4)}
    far = {i + 11: TO_LONLAT.transform(x0 + 100 * i, y0 + 300) for i in range(4)}
    nodes = {k: (float(a), float(b)) for k, (a, b) in {**pts, **far}.items()}
    ways = [
        ([1, 2, 3, 4], {"highway": "residential"}),
        ([1, 11], {"highway": "footway"}),
        ([4, 14], {"highway": "path"}),
        ([11, 12, 13, 14], {"highway": "motorway"}),
        ([2, 12], {"highway": "cycleway"}),
        ([3, 13], {"highway": "footway", "foot": "no"}),
        ([12, 13], {"building": "yes"}),
    ]
    G = walks.load_walk_graph(write_osm(tmp_path / "mixed.osm", nodes, ways))
    highways = {h for *_, data in G.edges(data=True) for h in np.atleast_1d(data["highway"])}
    assert highways <= {"residential", "footway", "path"}
    # from 11 to 14 one has to walk round over the residential street, not along the motorway
    d = walks.distance_matrix(G, [nodes[11], nodes[14]])
    assert d[0, 1] == pytest.approx(300 + 300 + 300, rel=0.01)


def test_graphml_is_read_and_projected(tmp_path, grid):
    raw = ox.graph_from_xml(grid.path, bidirectional=True, retain_all=True)
    ox.save_graphml(raw, tmp_path / "net.graphml")
    G = walks.load_walk_graph(tmp_path / "net.graphml")
    assert str(G.graph["crs"]).upper() == settings.metric_crs
    assert grid.island[4] in G  # GraphML is taken as it is, separate parts included


def test_bad_files_are_refused_clearly(tmp_path):
    with pytest.raises(InputError, match="nicht gefunden"):
        walks.load_walk_graph(tmp_path / "fehlt.osm")
    bad = tmp_path / "kaputt.osm"
    bad.write_text("<osm><node id='1' lat='51.3'", encoding="utf-8")
    with pytest.raises(InputError, match="keine lesbare OSM-XML"):
        walks.load_walk_graph(bad)
    empty = tmp_path / "leer.osm"
    write_osm(empty, {1: (12.41, 51.34), 2: (12.42, 51.34)}, [([1, 2], {"building": "yes"})])
    with pytest.raises(InputError, match="keine begehbaren Wege"):
        walks.load_walk_graph(empty)
    for name in ("netz.osm.pbf", "netz.shp"):
        (tmp_path / name).write_bytes(b"\x00")
        with pytest.raises(InputError, match="PBF|Dateiformat"):
            walks.load_walk_graph(tmp_path / name)
    broken = tmp_path / "kaputt.graphml"
    broken.write_text("<graphml><graph", encoding="utf-8")
    with pytest.raises(InputError, match="GraphML"):
        walks.load_walk_graph(broken)


# -- distances -------------------------------------------------------------------------


def test_distance_matrix_equals_network_shortest_paths_at_nodes(G):
    nodes = list(G.nodes)[::37][:12]
    points = [node_lonlat(G, n) for n in nodes]
    mat = walks.distance_matrix(G, points)
    assert mat.shape == (12, 12)
    assert np.allclose(mat, mat.T) and np.all(np.diag(mat) == 0)
    for i, j in [(0, 5), (3, 11), (7, 2), (10, 1)]:
        expected = nx.shortest_path_length(G, nodes[i], nodes[j], weight="length")
        assert mat[i, j] == pytest.approx(expected, abs=0.05)


def test_distance_matrix_is_at_least_the_straight_line(G, grid):
    stops = random_stops(grid, 20, 3)
    mat = walks.distance_matrix(G, stops[["lon", "lat"]].to_numpy())
    x, y = TO_METRIC.transform(stops["lon"].to_numpy(), stops["lat"].to_numpy())
    straight = np.hypot(x[:, None] - x[None], y[:, None] - y[None])
    assert np.all(mat >= straight - 0.5)
    # triangle inequality holds for shortest walking distances
    assert np.all(mat[:, None, :] <= mat[:, :, None] + mat[None, :, :] + 1e-6)
    # points given as a GeoSeries in another CRS give the same matrix
    series = gpd.GeoSeries(gpd.points_from_xy(x, y), crs=settings.metric_crs)
    assert np.allclose(walks.distance_matrix(G, series), mat, atol=1e-3)


def test_stops_on_one_street_segment_are_joined_along_it(tmp_path):
    x0, y0 = TO_METRIC.transform(12.41, 51.345)
    corners = [(0, 0), (400, 0), (400, 400), (0, 400)]
    nodes = {
        i + 1: tuple(float(v) for v in TO_LONLAT.transform(x0 + dx, y0 + dy))
        for i, (dx, dy) in enumerate(corners)
    }
    G = walks.load_walk_graph(
        write_osm(tmp_path / "ring.osm", nodes, [([1, 2, 3, 4, 1], {"highway": "residential"})])
    )
    # two doors 10 m off the street, 100 m and 250 m along the first side
    a = TO_LONLAT.transform(x0 + 100, y0 - 10)
    b = TO_LONLAT.transform(x0 + 250, y0 - 10)
    assert walks.distance_matrix(G, [a, b])[0, 1] == pytest.approx(10 + 150 + 10, abs=0.5)
    # units of one building (closer to each other than to the street) are not walked via the street
    same, next_door, across = (TO_LONLAT.transform(x0 + dx, y0 - 10) for dx in (100, 101, 130))
    mat = walks.distance_matrix(G, [a, same, next_door, across])
    assert mat[0, 1] == pytest.approx(0, abs=1e-6)
    assert mat[0, 2] == pytest.approx(1, abs=1e-3)
    assert mat[0, 3] == pytest.approx(10 + 30 + 10, abs=0.5)


def test_unprojected_graph_is_accepted(grid, G):
    raw = ox.graph_from_xml(grid.path, bidirectional=True)
    points = [node_lonlat(G, n) for n in list(G.nodes)[::97][:6]]
    assert np.allclose(walks.distance_matrix(raw, points), walks.distance_matrix(G, points), atol=0.5)


# -- planning --------------------------------------------------------------------------


def test_round_trip_follows_the_street_network(G, grid):
    start = node_lonlat(G, central_node(G))
    stops = random_stops(grid, 15, 4)
    plan = plan_walk(G, stops, start=start)
    assert plan.stops["order"].tolist() == list(range(1, 16))
    assert sorted(plan.stops["unit_id"]) == sorted(stops["unit_id"])
    assert plan.end == plan.start and plan.round_trip

    route = metric_line(plan.route)
    on_street_m = plan.total_m - 2 * plan.stops["snap_m"].sum()  # start sits on a node
    assert route.length == pytest.approx(on_street_m, rel=0.005)
    assert route.length > straight_tour_m(plan)
    # every vertex of the route lies on a street of the graph
    tree = shapely.STRtree(edge_lines(G))
    vertices = shapely.points(np.asarray(route.coords))
    _, gap = tree.query_nearest(vertices, return_distance=True, all_matches=False)
    assert gap.max() < 0.05
    # and it starts and ends at the start
    sx, sy = TO_METRIC.transform(*start)
    assert Point(route.coords[0]).distance(Point(sx, sy)) < 0.05
    assert Point(route.coords[-1]).distance(Point(sx, sy)) < 0.05
    # each stop is next to the route
    sx, sy = TO_METRIC.transform(plan.stops["lon"].to_numpy(), plan.stops["lat"].to_numpy())
    assert np.all(shapely.distance(shapely.points(sx, sy), route) <= plan.stops["snap_m"].to_numpy() + 0.05)


def test_legs_times_and_totals_add_up(G, grid):
    plan = plan_walk(
        G,
        random_stops(grid, 10, 5),
        start=node_lonlat(G, central_node(G)),
        speed_kmh=6.0,
        minutes_per_visit=5,
    )
    s = plan.stops
    assert np.allclose(np.cumsum(s["leg_m"]), s["cumulative_m"])
    assert plan.total_m == pytest.approx(s["cumulative_m"].iloc[-1] + plan.final_leg_m)
    m_per_min = 6000 / 60
    assert np.allclose(s["eta_min"], s["cumulative_m"] / m_per_min + 5 * np.arange(10))
    assert plan.walk_min == pytest.approx(plan.total_m / m_per_min)
    assert plan.visit_min == 50 and plan.total_min == pytest.approx(plan.walk_min + 50)
    assert "Rundgang mit 10 Stopps" in plan.summary


def test_order_is_optimal_for_a_few_stops(G, grid):
    stops = random_stops(grid, 7, 6)
    start = node_lonlat(G, central_node(G))
    plan = plan_walk(G, stops, start=start)
    assert plan.exact
    mat = walks.distance_matrix(G, [start, *zip(stops["lon"], stops["lat"], strict=True)])
    best = min(
        _tsp.walk_cost(mat, [0, *perm], round_trip=True) for perm in itertools.permutations(range(1, 8))
    )
    assert plan.total_m == pytest.approx(best, abs=1e-6)


def test_one_way_with_fixed_end(G, grid):
    nodes = list(G.nodes)
    start, end = node_lonlat(G, nodes[0]), node_lonlat(G, nodes[-1])
    stops = random_stops(grid, 12, 7)
    plan = plan_walk(G, stops, start=start, end=end, round_trip=False)
    assert not plan.round_trip and plan.end.lon == end[0]
    mat = walks.distance_matrix(G, [start, *zip(plan.stops["lon"], plan.stops["lat"], strict=True), end])
    assert plan.stops["leg_m"].iloc[0] == pytest.approx(mat[0, 1])  # first stop is reached from the start
    assert plan.final_leg_m == pytest.approx(mat[-2, -1])  # the walk ends at the end
    route = metric_line(plan.route)
    ex, ey = TO_METRIC.transform(*end)
    sx, sy = TO_METRIC.transform(*start)
    assert Point(route.coords[0]).distance(Point(sx, sy)) < 0.05
    assert Point(route.coords[-1]).distance(Point(ex, ey)) < 0.05
    assert plan.total_m == pytest.approx(_tsp.walk_cost(mat, list(range(14)), round_trip=False))


def test_one_way_with_open_end(G, grid):
    start = node_lonlat(G, central_node(G))
    stops = random_stops(grid, 12, 8)
    plan = plan_walk(G, stops, start=start, round_trip=False)
    assert plan.end is None and plan.final_leg_m == 0
    assert plan.total_m == pytest.approx(plan.stops["cumulative_m"].iloc[-1])
    closed = plan_walk(G, stops, start=start)
    assert plan.total_m <= closed.total_m
    last = plan.stops.iloc[-1]
    lx, ly = TO_METRIC.transform(last["lon"], last["lat"])
    route = metric_line(plan.route)
    assert Point(route.coords[-1]).distance(Point(lx, ly)) == pytest.approx(last["snap_m"], abs=0.05)


def test_geodataframe_input_in_any_crs(G, grid):
    stops = random_stops(grid, 8, 9)
    start = node_lonlat(G, central_node(G))
    x, y = TO_METRIC.transform(stops["lon"].to_numpy(), stops["lat"].to_numpy())
    gdf = gpd.GeoDataFrame(
        stops.drop(columns=["lon", "lat"]), geometry=gpd.points_from_xy(x, y), crs=settings.metric_crs
    )
    a = plan_walk(G, stops, start=start)
    b = plan_walk(G, gdf, start=start)
    assert a.stops["unit_id"].tolist() == b.stops["unit_id"].tolist()
    assert a.total_m == pytest.approx(b.total_m, abs=0.01)


def test_default_start_is_the_quarter_office(G, grid):
    stops = random_stops(grid, 5, 10)
    stops["quarter"] = "Leipziger Osten"
    plan = plan_walk(G, stops)
    assert plan.start.name.startswith("Arbeitsladen")
    by_name = plan_walk(G, stops.drop(columns="quarter"), start="leipziger-osten")
    assert by_name.start == plan.start
    nearest = plan_walk(G, stops.drop(columns="quarter"))  # office nearest to the stops
    assert nearest.start == plan.start


# -- time budget -------------------------------------------------------------------------


def test_time_budget_drops_lowest_priority_first(G, grid):
    prio = np.tile([3, 1, 2], 8)[:20]
    stops = random_stops(grid, 20, 11, priority=prio)
    start = node_lonlat(G, central_node(G))
    full = plan_walk(G, stops, start=start)
    assert not full.dropped
    budget = 0.5 * full.total_min
    plan = plan_walk(G, stops, start=start, time_budget_min=budget)
    assert plan.total_min <= budget
    assert plan.dropped
    kept_prio = plan.stops["priority"]
    dropped_prio = [d.priority for d in plan.dropped]
    assert max(dropped_prio) <= kept_prio.min()
    assert 1 in dropped_prio and 3 not in dropped_prio
    assert len(plan.stops) + len(plan.dropped) == 20
    assert {d.unit_id for d in plan.dropped}.isdisjoint(plan.stops["unit_id"])
    assert all("Zeitbudget" in d.reason for d in plan.dropped)
    assert any("niedriger als die aller eingeplanten" in d.reason for d in plan.dropped)
    assert plan.notes and "Zeitbudget" in plan.notes[0]
    assert "weggelassen" in plan.summary


@pytest.mark.parametrize("mode", ["open_end", "fixed_end"])
def test_time_budget_in_one_way_walks_keeps_the_ends(G, grid, mode):
    nodes = list(G.nodes)
    start = node_lonlat(G, nodes[0])
    end = node_lonlat(G, nodes[-1]) if mode == "fixed_end" else None
    stops = random_stops(grid, 16, 22, priority=np.arange(16) % 4)
    full = plan_walk(G, stops, start=start, end=end, round_trip=False)
    plan = plan_walk(
        G, stops, start=start, end=end, round_trip=False, time_budget_min=full.total_min * 0.6
    )
    assert plan.dropped and plan.total_min <= full.total_min * 0.6
    assert max(d.priority for d in plan.dropped) <= plan.stops["priority"].min()
    route = metric_line(plan.route)
    sx, sy = TO_METRIC.transform(*start)
    assert Point(route.coords[0]).distance(Point(sx, sy)) < 0.05
    if end is not None:
        ex, ey = TO_METRIC.transform(*end)
        assert Point(route.coords[-1]).distance(Point(ex, ey)) < 0.05
        assert plan.total_m == pytest.approx(plan.stops["cumulative_m"].iloc[-1] + plan.final_leg_m)


def test_time_budget_priorities_argument_overrides_column(G, grid):
    stops = random_stops(grid, 10, 12, priority=0)
    start = node_lonlat(G, central_node(G))
    full = plan_walk(G, stops, start=start)
    important = {"E000": 5, "E001": 5}
    plan = plan_walk(G, stops, start=start, time_budget_min=full.total_min * 0.4, priorities=important)
    assert {"E000", "E001"} <= set(plan.stops["unit_id"])
    assert plan.total_min <= full.total_min * 0.4


def test_time_budget_that_fits_drops_nothing(G, grid):
    stops = random_stops(grid, 6, 13)
    plan = plan_walk(G, stops, start=node_lonlat(G, central_node(G)), time_budget_min=10_000)
    assert not plan.dropped and len(plan.stops) == 6


def test_time_budget_too_small_for_start_to_end(G):
    nodes = list(G.nodes)
    start, end = node_lonlat(G, nodes[0]), node_lonlat(G, nodes[-1])
    stops = pd.DataFrame({"unit_id": ["X"], "lon": [start[0]], "lat": [start[1]]})
    with pytest.raises(InputError, match="Zeitbudget"):
        plan_walk(G, stops, start=start, end=end, round_trip=False, time_budget_min=1)


def test_time_budget_too_small_for_any_stop(G, grid):
    plan = plan_walk(
        G, random_stops(grid, 4, 14), start=node_lonlat(G, central_node(G)), time_budget_min=5
    )
    assert len(plan.stops) == 0 and len(plan.dropped) == 4 and plan.total_m == 0
    assert plan.route.is_empty


# -- unreachable and invalid stops ---------------------------------------------------------


def test_stop_on_a_separate_network_part_is_refused(tmp_path, grid):
    raw = ox.graph_from_xml(grid.path, bidirectional=True, retain_all=True)
    ox.save_graphml(raw, tmp_path / "islands.graphml")
    G = walks.load_walk_graph(tmp_path / "islands.graphml")
    island_stop = node_lonlat(G, grid.island[4])
    stops = random_stops(grid, 3, 15)
    stops.loc[len(stops)] = {"unit_id": "INSEL", "lon": island_stop[0], "lat": island_stop[1]}
    with pytest.raises(InputError, match="nicht erreichbar") as err:
        plan_walk(G, stops, start=node_lonlat(G, central_node(G)))
    assert "INSEL" in str(err.value) and "E000" not in str(err.value)


def test_stop_off_the_loaded_network_is_refused(G, grid):
    x, y = TO_METRIC.transform(grid.bounds[2], grid.bounds[3])
    far = TO_LONLAT.transform(x + 600, y + 600)
    stops = random_stops(grid, 3, 16)
    stops.loc[len(stops)] = {"unit_id": "WEIT", "lon": far[0], "lat": far[1]}
    with pytest.raises(InputError, match="Nicht am Wegenetz: WEIT"):
        plan_walk(G, stops, start=node_lonlat(G, central_node(G)))


def test_off_network_distances_are_written_the_german_way(G, grid):
    """The refusal writes distances with geo.formats: thousands point for the distance and the limit alike."""
    x, y = TO_METRIC.transform(grid.bounds[2], grid.bounds[3])
    far = TO_LONLAT.transform(x + 3000, y)
    with pytest.raises(InputError) as err:
        walks.distance_matrix(G, [far], labels=["WEIT"], max_snap_m=1500)
    message = str(err.value)
    assert re.search(r"Nicht am Wegenetz: WEIT \(\d\.\d{3} m\)", message), message
    assert "weiter als 1.500 m vom nächsten Weg entfernt" in message


def test_summary_rounds_like_every_other_figure():
    """Halves round up as everywhere in the app (geo.formats), not to the even neighbour: 2,25 km -> 2,3 km."""
    plan = WalkPlan(
        stops=gpd.GeoDataFrame(geometry=[], crs=settings.storage_crs), start=WalkPoint("Start", 12.4, 51.3),
        end=None, round_trip=False, final_leg_m=0.0, total_m=2250.0, walk_min=2.5, visit_min=10.0,
        total_min=12.5, route=LineString(),
    )  # fmt: skip
    assert plan.summary == "Weg mit 0 Stopps: 2,3 km, etwa 3 min zu Fuß und 10 min vor Ort (zusammen 13 min)."


def test_invalid_stops_and_options_are_refused(G, grid):
    start = node_lonlat(G, central_node(G))
    stops = random_stops(grid, 3, 17)
    with pytest.raises(InputError, match="unit_id"):
        plan_walk(G, stops.drop(columns="unit_id"), start=start)
    with pytest.raises(InputError, match="mehrfach"):
        plan_walk(G, pd.concat([stops, stops.iloc[:1]]), start=start)
    missing = stops.copy()
    missing.loc[1, "lon"] = np.nan
    with pytest.raises(InputError, match="ohne Lage.*E001"):
        plan_walk(G, missing, start=start)
    with pytest.raises(InputError, match="Rundgang"):
        plan_walk(G, stops, start=start, end=start)
    with pytest.raises(InputError, match="Gehgeschwindigkeit"):
        plan_walk(G, stops, start=start, speed_kmh=0)
    with pytest.raises(InputError, match="Start nicht verstanden"):
        plan_walk(G, stops, start=object())
    with pytest.raises(InputError, match="unbekannte Stopps"):
        plan_walk(G, stops, start=start, priorities={"NIX": 1})


# -- export ---------------------------------------------------------------------------------


def test_json_output(G, grid):
    plan = plan_walk(
        G, random_stops(grid, 9, 18), start=node_lonlat(G, central_node(G)), time_budget_min=60
    )
    data = json.loads(json.dumps(plan.to_json()))
    assert [s["order"] for s in data["stops"]] == list(range(1, len(plan.stops) + 1))
    assert [s["unit_id"] for s in data["stops"]] == plan.stops["unit_id"].tolist()
    cumulative = [s["cumulative_m"] for s in data["stops"]]
    assert cumulative == sorted(cumulative)
    assert data["total_m"] == pytest.approx(plan.total_m, abs=0.1)
    assert data["total_m"] >= cumulative[-1]
    assert data["route"]["type"] == "LineString" and len(data["route"]["coordinates"]) > 2
    assert {d["unit_id"] for d in data["dropped"]} == {d.unit_id for d in plan.dropped}


def test_gpx_output(G, grid):
    stops = random_stops(grid, 6, 19)
    plan = plan_walk(G, stops, start=node_lonlat(G, central_node(G)))
    root = ET.fromstring(plan.to_gpx().encode("utf-8"))
    assert root.get("version") == "1.1"
    wpts = root.findall("g:wpt", GPX_NS)
    assert len(wpts) == 6
    names = [w.findtext("g:name", namespaces=GPX_NS) for w in wpts]
    first = plan.stops.iloc[0]
    assert names[0] == f"1 Eisenbahnstraße {first['housenumber']}"
    assert [n.split(" ", 1)[0] for n in names] == [str(i) for i in range(1, 7)]
    assert float(wpts[0].get("lat")) == pytest.approx(first["lat"])
    trkpts = root.findall("g:trk/g:trkseg/g:trkpt", GPX_NS)
    assert len(trkpts) == len(plan.route.coords)


def test_labels_fall_back_to_unit_id(G, grid):
    stops = random_stops(grid, 3, 20).drop(columns=["street", "housenumber"])
    plan = plan_walk(G, stops, start=node_lonlat(G, central_node(G)))
    assert set(plan.stops["label"]) == set(stops["unit_id"])


def test_no_stops_gives_an_empty_walk(G):
    start = node_lonlat(G, central_node(G))
    plan = plan_walk(G, pd.DataFrame({"unit_id": [], "lon": [], "lat": []}), start=start)
    assert len(plan.stops) == 0 and plan.total_m == 0 and plan.route.is_empty
    assert plan.to_json()["stops"] == []


def test_synthetic_grid_is_deterministic(tmp_path):
    a = write_grid_osm(tmp_path / "a.osm", nx=10, ny=10, seed=4)
    b = write_grid_osm(tmp_path / "b.osm", nx=10, ny=10, seed=4)
    c = write_grid_osm(tmp_path / "c.osm", nx=10, ny=10, seed=5)
    assert Path(a.path).read_bytes() == Path(b.path).read_bytes()
    assert Path(a.path).read_bytes() != Path(c.path).read_bytes()
