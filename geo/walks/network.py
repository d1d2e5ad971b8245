"""Walk planning: the order in which to visit units on foot, and the way there.

The neighbourhood office walks its streets to visit commercial units. This
module plans such a walk on an OpenStreetMap walking network:

* :func:`load_walk_graph` reads the network from an OSM XML file (or an osmnx
  GraphML file), keeps what pedestrians may use, treats every way as
  walkable in both directions (``oneway=yes`` binds vehicles, not walkers) and
  projects it to :data:`geo.settings.metric_crs`;
* :func:`distance_matrix` gives the walking distances between points;
* :func:`plan_walk` orders the stops (round trip back to the start, or
  one-way to a fixed or open end), fits them into a time budget by leaving
  out the least important stops, and returns a :class:`WalkPlan` with
  distances, arrival times, the route along the streets and GPX/JSON export.

Snapping. Every point is attached to the nearest *street segment* (not merely
the nearest crossing): its walking distance is the perpendicular distance to
the segment plus the distance along the segment to either end. Network
distances between all snapped segment ends come from one run of
:func:`scipy.sparse.csgraph.dijkstra` over the network's sparse adjacency
(edge ``length`` in metres, the shortest of parallel edges). Two stops on the
same segment are connected directly along it; two stops closer to each other
than to any street (units in one building or courtyard) count their straight
distance.

Nothing here goes online: the network comes from a local file. The order is
solved exactly for up to 12 stops and by iterated 2-opt/Or-opt local search
beyond (see :mod:`geo.walks._tsp`).
"""

from __future__ import annotations

import math
import weakref
import xml.sax
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import geopandas as gpd
import networkx as nx
import numpy as np
import osmnx as ox
import pandas as pd
import shapely
from pyproj import CRS, Transformer
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra
from shapely.geometry import LineString, Point

from geo import settings
from geo.errors import InputError
from geo.walks import _tsp

__all__ = [
    "DEFAULT_MAX_SNAP_M",
    "DroppedStop",
    "WalkPlan",
    "WalkPoint",
    "distance_matrix",
    "load_walk_graph",
    "plan_walk",
]

#: A point farther than this from every street segment (metres) is refused as off the network.
DEFAULT_MAX_SNAP_M: float = 250.0

#: OSM tags kept on edges while loading, beyond osmnx's defaults (needed by the walking filter).
_EXTRA_WAY_TAGS: tuple[str, ...] = ("foot", "sidewalk", "sidewalk:both", "sidewalk:left", "sidewalk:right")

#: ``highway`` values pedestrians cannot use (osmnx's "walk" filter; "motor" covers motorway*).
_NOT_WALKABLE = (
    "abandoned",
    "bus_guideway",
    "construction",
    "cycleway",
    "motor",
    "no",
    "planned",
    "platform",
    "proposed",
    "raceway",
    "razed",
    "rest_area",
    "services",
)

_OSM_SUFFIXES = (".osm", ".xml", ".osm.gz", ".osm.bz2", ".xml.gz", ".xml.bz2")


# -- loading the network ---------------------------------------------------------


def load_walk_graph(path: str | Path) -> nx.MultiDiGraph:
    """Read a walking network from a local file.

    OSM XML (``.osm``, ``.xml``, also gzip/bzip2-compressed) is read with
    :func:`osmnx.graph_from_xml` as a bidirectional network (every way can be
    walked both ways, ``oneway=yes`` is ignored). Ways pedestrians cannot use
    are dropped as in osmnx's ``network_type="walk"`` (motorways, cycleways,
    ``foot=no``, private access, areas, streets whose sidewalks are mapped as
    separate ways, ...), then the largest connected part is kept and the
    topology simplified. An osmnx GraphML file (``.graphml``) is read as it
    is. Either way the graph is projected to :data:`geo.settings.metric_crs`.

    Parameters
    ----------
    path
        The file.

    Returns
    -------
    networkx.MultiDiGraph
        The projected walking network; edge ``length`` in metres.

    Raises
    ------
    InputError
        If the file is missing, in an unsupported format, cannot be parsed or
        holds no walkable ways.
    """
    path = Path(path)
    name = path.name.lower()
    if not path.is_file():
        raise InputError(f"Wegenetz-Datei nicht gefunden: {path}")
    if name.endswith(".pbf"):
        raise InputError(
            f"{path.name}: PBF-Dateien werden nicht unterstützt. Bitte als OSM-XML umwandeln, "
            f"z. B. mit „osmium cat {path.name} -o wegenetz.osm“, oder als GraphML speichern."
        )
    if name.endswith(".graphml"):
        G = _read_graphml(path)
    elif name.endswith(_OSM_SUFFIXES):
        G = _read_osm_xml(path)
    else:
        raise InputError(
            f"{path.name}: unbekanntes Dateiformat. Erwartet wird OSM-XML (.osm, .osm.gz, .osm.bz2) "
            "oder eine GraphML-Datei von osmnx (.graphml)."
        )
    if G.number_of_edges() == 0:
        raise InputError(f"{path.name} enthält keine begehbaren Wege.")
    return ox.project_graph(G, to_crs=settings.metric_crs)


def _read_osm_xml(path: Path) -> nx.MultiDiGraph:
    saved_tags = list(ox.settings.useful_tags_way)
    ox.settings.useful_tags_way = saved_tags + [t for t in _EXTRA_WAY_TAGS if t not in saved_tags]
    try:
        G = ox.graph_from_xml(path, bidirectional=True, simplify=False, retain_all=True)
    except (xml.sax.SAXParseException, ET.ParseError, UnicodeDecodeError, EOFError) as exc:
        raise InputError(f"{path.name} ist keine lesbare OSM-XML-Datei: {exc}") from exc
    except OSError as exc:
        raise InputError(f"{path.name} kann nicht gelesen werden: {exc}") from exc
    except ox._errors.InsufficientResponseError as exc:
        raise InputError(f"{path.name} enthält keine Wege (OSM-Wege mit highway=…).") from exc
    finally:
        ox.settings.useful_tags_way = saved_tags
    G.remove_edges_from([(u, v, k) for u, v, k, d in G.edges(keys=True, data=True) if not _walkable(d)])
    G.remove_nodes_from([n for n, deg in G.degree() if deg == 0])
    if G.number_of_edges() == 0:
        return G
    G = ox.truncate.largest_component(G, strongly=False)
    return ox.simplify_graph(G, remove_rings=False)


def _read_graphml(path: Path) -> nx.MultiDiGraph:
    try:
        G = ox.load_graphml(path)
    except (ET.ParseError, nx.NetworkXError, KeyError, ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"{path.name} ist keine lesbare GraphML-Datei von osmnx: {exc}") from exc
    if "crs" not in G.graph:
        raise InputError(f"{path.name}: Im GraphML fehlt das Koordinatensystem (Graph-Attribut „crs“).")
    return G


def _walkable(data: Mapping[str, Any]) -> bool:
    """Whether an (unsimplified) edge passes osmnx's walking filter."""

    def values(key: str) -> list[str]:
        value = data.get(key)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return []
        return [str(v) for v in value] if isinstance(value, list) else [str(value)]

    highway = values("highway")
    if not highway or any(bad in h for h in highway for bad in _NOT_WALKABLE):
        return False
    if "yes" in values("area") or any("private" in v for v in values("access")):
        return False
    if any("no" in v for v in values("foot")) or any("private" in v for v in values("service")):
        return False
    return not any("separate" in v for key in _EXTRA_WAY_TAGS[1:] for v in values(key))


# -- the network as arrays -------------------------------------------------------------


class _Network:
    """Street segments of a projected walking graph, with a spatial index and adjacency.

    Every undirected segment (an edge and its reverse twin count once) is one
    row: end node indices ``a < b`` (or ``a == b`` for a loop), length in
    metres, geometry oriented from ``a`` to ``b``.
    """

    def __init__(self, G: nx.MultiDiGraph) -> None:
        crs = G.graph.get("crs")
        if crs is None:
            raise InputError("Dem Wegenetz fehlt das Koordinatensystem (Graph-Attribut „crs“).")
        if CRS.from_user_input(crs).is_geographic:
            G = ox.project_graph(G, to_crs=settings.metric_crs)
        self.crs = CRS.from_user_input(G.graph["crs"])
        if G.number_of_edges() == 0:
            raise InputError("Das Wegenetz enthält keine Wege.")
        self.node_ids = np.array(list(G.nodes), dtype=object)
        index = {n: i for i, n in enumerate(self.node_ids)}
        self.x = np.array([G.nodes[n]["x"] for n in self.node_ids], dtype=float)
        self.y = np.array([G.nodes[n]["y"] for n in self.node_ids], dtype=float)

        seen: dict[tuple[int, int, float], int] = {}
        a_list: list[int] = []
        b_list: list[int] = []
        lengths: list[float] = []
        coords: list[np.ndarray] = []
        for u, v, data in G.edges(data=True):
            a, b = index[u], index[v]
            geom = data.get("geometry")
            if geom is not None:
                xy = np.asarray(geom.coords, dtype=float)[:, :2]
            else:
                xy = np.array([[self.x[a], self.y[a]], [self.x[b], self.y[b]]])
            length = data.get("length")
            if length is None or not np.isfinite(length):
                length = float(np.hypot(*np.diff(xy, axis=0).T).sum())
            if a > b or (a == b and tuple(xy[0]) > tuple(xy[-1])):
                a, b, xy = b, a, xy[::-1]
            key = (a, b, round(float(length), 2))
            if key in seen:
                continue
            seen[key] = len(a_list)
            a_list.append(a)
            b_list.append(b)
            lengths.append(max(float(length), 0.0))
            coords.append(xy)
        self.edge_a = np.array(a_list, dtype=np.int64)
        self.edge_b = np.array(b_list, dtype=np.int64)
        self.edge_len = np.array(lengths)
        self.edge_xy = coords
        self.edge_cum = [
            np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(xy, axis=0).T))]) for xy in coords
        ]
        self.lines = shapely.linestrings(
            np.concatenate(coords), indices=np.repeat(np.arange(len(coords)), [len(c) for c in coords])
        )
        self.tree = shapely.STRtree(self.lines)

        # sparse adjacency: shortest segment between each node pair; loops are never shortcuts
        n = len(self.node_ids)
        proper = self.edge_a != self.edge_b
        ea, eb, el = self.edge_a[proper], self.edge_b[proper], self.edge_len[proper]
        eid = np.flatnonzero(proper)
        order = np.lexsort((el, eb, ea))
        ea, eb, el, eid = ea[order], eb[order], el[order], eid[order]
        first = np.ones(len(ea), dtype=bool)
        first[1:] = (ea[1:] != ea[:-1]) | (eb[1:] != eb[:-1])
        ea, eb, el, eid = ea[first], eb[first], el[first], eid[first]
        # explicit zeros are no edges for csgraph; a zero-length segment becomes 1 mm
        weight = np.maximum(el, 1e-3)
        self.adj = csr_matrix((weight, (ea, eb)), shape=(n, n))
        self.pair_edge = {(int(p), int(q)): int(e) for p, q, e in zip(ea, eb, eid, strict=True)}
        self.signature = (G.number_of_nodes(), G.number_of_edges())
        self.to_metric = Transformer.from_crs(settings.storage_crs, self.crs, always_xy=True)
        self.to_lonlat = Transformer.from_crs(self.crs, settings.storage_crs, always_xy=True)

    def snap(self, lon: np.ndarray, lat: np.ndarray) -> _Snaps:
        """Attach points (EPSG:4326) to their nearest street segment."""
        x, y = self.to_metric.transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
        pts = shapely.points(x, y)
        (src, edge), dist = self.tree.query_nearest(pts, return_distance=True, all_matches=False)
        e = np.empty(len(pts), dtype=np.int64)
        e[src] = edge
        snap_m = np.empty(len(pts))
        snap_m[src] = dist
        lines = self.lines[e]
        geom_len = shapely.length(lines)
        t = shapely.line_locate_point(lines, pts)
        frac = np.divide(t, geom_len, out=np.zeros_like(t), where=geom_len > 0)
        return _Snaps(edge=e, t=t, along_m=frac * self.edge_len[e], snap_m=snap_m, x=x, y=y)

    def coords_between(self, e: int, t0: float, t1: float) -> np.ndarray:
        """Coordinates of segment ``e`` from position ``t0`` to ``t1`` (geometry units, either way)."""
        xy, cum = self.edge_xy[e], self.edge_cum[e]
        lo, hi = (t0, t1) if t0 <= t1 else (t1, t0)
        inside = (cum > lo) & (cum < hi)
        part = np.vstack(
            [
                [np.interp(lo, cum, xy[:, 0]), np.interp(lo, cum, xy[:, 1])],
                xy[inside],
                [np.interp(hi, cum, xy[:, 0]), np.interp(hi, cum, xy[:, 1])],
            ]
        )
        return part if t0 <= t1 else part[::-1]

    def node_step(self, p: int, q: int) -> np.ndarray:
        """Coordinates of the shortest segment from node ``p`` to node ``q``."""
        e = self.pair_edge[(min(p, q), max(p, q))]
        xy = self.edge_xy[e]
        return xy if p == self.edge_a[e] else xy[::-1]


@dataclass
class _Snaps:
    edge: np.ndarray  # segment index per point
    t: np.ndarray  # position along the segment geometry (geometry units)
    along_m: np.ndarray  # metres along the segment from its end a
    snap_m: np.ndarray  # perpendicular distance to the segment
    x: np.ndarray
    y: np.ndarray


_NETWORKS: weakref.WeakKeyDictionary[nx.MultiDiGraph, _Network] = weakref.WeakKeyDictionary()


def _network(G: nx.MultiDiGraph) -> _Network:
    """The array form of a graph, built once per graph (rebuilt if nodes or edges were added/removed)."""
    net = _NETWORKS.get(G)
    if net is None or net.signature != (G.number_of_nodes(), G.number_of_edges()):
        net = _Network(G)
        _NETWORKS[G] = net
    return net


class _Matrix:
    """Walking distances between snapped points, with what is needed to draw each leg."""

    def __init__(
        self,
        net: _Network,
        lon: np.ndarray,
        lat: np.ndarray,
        labels: Sequence[str],
        max_snap_m: float,
    ) -> None:
        self.net = net
        snaps = net.snap(lon, lat)
        far = np.flatnonzero(snaps.snap_m > max_snap_m)
        if len(far):
            shown = ", ".join(f"{labels[i]} ({snaps.snap_m[i]:,.0f} m)".replace(",", ".") for i in far[:10])
            more = f" und {len(far) - 10} weitere" if len(far) > 10 else ""
            hint = " (lon/lat vertauscht?)" if snaps.snap_m[far].max() > 50_000 else ""
            raise InputError(
                f"Nicht am Wegenetz: {shown}{more} – weiter als {max_snap_m:.0f} m vom nächsten Weg entfernt. "
                f"Liegen die Punkte außerhalb des geladenen Gebiets{hint}? Bitte ein Wegenetz laden, "
                "das alle Stopps abdeckt."
            )
        self.snaps = snaps
        n = len(snaps.edge)
        ends = np.stack([net.edge_a[snaps.edge], net.edge_b[snaps.edge]], axis=1)  # (n, 2)
        offs = np.stack([snaps.along_m, net.edge_len[snaps.edge] - snaps.along_m], axis=1)
        sources, inverse = np.unique(ends, return_inverse=True)
        self.src_row = inverse.reshape(n, 2)
        node_dist, self.pred = dijkstra(net.adj, directed=False, indices=sources, return_predecessors=True)
        via = node_dist[self.src_row[:, :, None, None], ends[None, None, :, :]]  # [i, ci, j, cj]
        total = offs[:, :, None, None] + via + offs[None, None, :, :]
        total = total.transpose(0, 2, 1, 3).reshape(n, n, 4)
        self.combo = np.argmin(total, axis=2)
        best = np.take_along_axis(total, self.combo[:, :, None], axis=2)[:, :, 0]
        direct = np.abs(snaps.along_m[:, None] - snaps.along_m[None, :])
        self.direct = (snaps.edge[:, None] == snaps.edge[None, :]) & (direct <= best)
        best = np.where(self.direct, direct, best)
        dist = best + snaps.snap_m[:, None] + snaps.snap_m[None, :]
        # points closer to each other than to any street (units of one building or
        # courtyard) are walked between directly, not out to the street and back
        straight = np.hypot(snaps.x[:, None] - snaps.x[None, :], snaps.y[:, None] - snaps.y[None, :])
        near = straight <= np.minimum(snaps.snap_m[:, None], snaps.snap_m[None, :])
        dist = np.where(near, np.minimum(dist, straight), dist)
        dist = np.minimum(dist, dist.T)
        np.fill_diagonal(dist, 0.0)
        self.ends = ends
        self.dist = dist
        self._check_connected(labels)

    def _check_connected(self, labels: Sequence[str]) -> None:
        if np.isfinite(self.dist).all():
            return
        apart = [labels[j] for j in np.flatnonzero(~np.isfinite(self.dist[0]))]
        shown = ", ".join(apart[:10]) + (f" und {len(apart) - 10} weitere" if len(apart) > 10 else "")
        raise InputError(
            f"Über das Wegenetz nicht erreichbar von {labels[0]} aus: {shown}. Das Wegenetz zerfällt in "
            "getrennte Teile; bitte ein zusammenhängendes Wegenetz laden (OSM-XML wird dabei auf den "
            "größten zusammenhängenden Teil beschränkt) oder diese Stopps weglassen."
        )

    def leg_coords(self, i: int, j: int) -> np.ndarray:
        """Network coordinates (metric CRS) of the walk from point ``i`` to point ``j``."""
        net, s = self.net, self.snaps
        ei, ej = int(s.edge[i]), int(s.edge[j])
        if i == j:
            return np.empty((0, 2))
        if self.direct[i, j]:
            return net.coords_between(ei, float(s.t[i]), float(s.t[j]))
        ci, cj = divmod(int(self.combo[i, j]), 2)
        len_i = float(net.edge_cum[ei][-1])
        len_j = float(net.edge_cum[ej][-1])
        parts = [net.coords_between(ei, float(s.t[i]), 0.0 if ci == 0 else len_i)]
        source, target = int(self.ends[i, ci]), int(self.ends[j, cj])
        pred = self.pred[self.src_row[i, ci]]
        nodes = [target]
        while nodes[-1] != source:
            nodes.append(int(pred[nodes[-1]]))
        nodes.reverse()
        parts += [net.node_step(p, q) for p, q in zip(nodes[:-1], nodes[1:], strict=True)]
        parts.append(net.coords_between(ej, 0.0 if cj == 0 else len_j, float(s.t[j])))
        return _join(parts)


def _join(parts: Sequence[np.ndarray]) -> np.ndarray:
    """Concatenate coordinate runs, dropping repeated points where they meet."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return np.empty((0, 2))
    xy = np.vstack(parts)
    keep = np.ones(len(xy), dtype=bool)
    keep[1:] = np.any(np.abs(np.diff(xy, axis=0)) > 1e-9, axis=1)
    return xy[keep]


# -- distance matrix --------------------------------------------------------------------


def distance_matrix(
    G: nx.MultiDiGraph,
    points: Any,
    *,
    labels: Sequence[str] | None = None,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
) -> np.ndarray:
    """Walking distances between points along a network.

    Each point is attached to its nearest street segment; the distance
    between two points is the distance from each point to its segment, plus
    the way along the segments and the network between them (see the module
    description). All pairs come from one multi-source Dijkstra run.

    Parameters
    ----------
    G
        Walking network, e.g. from :func:`load_walk_graph` (projected; a graph
        in longitude/latitude is projected to :data:`geo.settings.metric_crs`).
    points
        ``(n, 2)`` longitude/latitude pairs (EPSG:4326), or a GeoSeries /
        sequence of shapely points (a GeoSeries in another CRS is transformed).
    labels
        Names of the points used in error messages; default ``Punkt 1`` ….
    max_snap_m
        Refuse points farther than this from every street segment.

    Returns
    -------
    numpy.ndarray
        Symmetric ``(n, n)`` matrix of walking distances in metres.

    Raises
    ------
    InputError
        If a point is off the network or two points lie in separate parts of it.
    """
    lon, lat = _lonlat_of(points)
    if labels is None:
        labels = [f"Punkt {i + 1}" for i in range(len(lon))]
    if len(labels) != len(lon):
        raise InputError(f"{len(labels)} Namen für {len(lon)} Punkte angegeben.")
    if len(lon) == 0:
        return np.zeros((0, 0))
    return _Matrix(_network(G), lon, lat, list(labels), max_snap_m).dist


def _lonlat_of(points: Any) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(points, gpd.GeoSeries | gpd.GeoDataFrame):
        geoms = points.geometry
        if geoms.crs is not None:
            geoms = geoms.to_crs(settings.storage_crs)
        return _point_xy(np.asarray(geoms.values, dtype=object))
    seq = list(points) if not isinstance(points, np.ndarray) else points
    if len(seq) and isinstance(seq[0], shapely.Geometry):
        return _point_xy(np.asarray(seq, dtype=object))
    arr = np.asarray(seq, dtype=float).reshape(-1, 2) if len(seq) else np.zeros((0, 2))
    return arr[:, 0], arr[:, 1]


def _point_xy(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if missing.any():
        raise InputError(f"{int(missing.sum())} Punkt(e) ohne Lage (leere Geometrie).")
    kinds = shapely.get_type_id(geoms)
    geoms = np.where(kinds == 0, geoms, shapely.point_on_surface(geoms))
    return shapely.get_x(geoms), shapely.get_y(geoms)


# -- the plan ----------------------------------------------------------------------------


@dataclass(frozen=True)
class WalkPoint:
    """A start or end point of a walk.

    Attributes
    ----------
    name
        What to call it, e.g. ``"Arbeitsladen Leipziger Osten"``.
    lon
        Longitude (EPSG:4326).
    lat
        Latitude (EPSG:4326).
    """

    name: str
    lon: float
    lat: float

    def to_dict(self) -> dict[str, Any]:
        """``{"name", "lon", "lat"}``."""
        return {"name": self.name, "lon": self.lon, "lat": self.lat}


@dataclass(frozen=True)
class DroppedStop:
    """A stop left out of the walk.

    Attributes
    ----------
    unit_id
        The unit.
    priority
        Its priority (higher is more important).
    reason
        Why, in German, for the user.
    """

    unit_id: str
    priority: float
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """``{"unit_id", "priority", "reason"}``."""
        return {"unit_id": self.unit_id, "priority": _plain(self.priority), "reason": self.reason}


@dataclass
class WalkPlan:
    """A planned walk: stops in order, distances, times and the route.

    Attributes
    ----------
    stops
        One row per stop in walking order: ``order`` (1 … n), ``unit_id``,
        ``label`` (address or id), ``priority``, ``leg_m`` (walk from the
        previous stop or the start), ``cumulative_m``, ``eta_min`` (arrival,
        minutes after leaving the start, visits on the way included),
        ``snap_m`` (distance from the unit to the street), ``lon``, ``lat``,
        other columns of the input, and point geometry (EPSG:4326).
    start
        Where the walk starts.
    end
        Where it ends: the start for a round trip, None for an open end.
    round_trip
        Whether the walk returns to the start.
    final_leg_m
        Walk from the last stop to ``end`` (0 for an open end).
    total_m
        Whole walking distance in metres.
    walk_min
        Walking time in minutes.
    visit_min
        Time spent at the stops in minutes.
    total_min
        ``walk_min + visit_min``.
    route
        The way along the street network (EPSG:4326), from the start's
        street segment to the end's; the short connections between the
        street and each door are not part of it.
    dropped
        Stops left out to keep the time budget, with the reason.
    time_budget_min
        The budget the plan was made for, or None.
    speed_kmh
        Walking speed used.
    minutes_per_visit
        Time planned per stop.
    exact
        Whether the order is proven shortest (up to 12 stops); otherwise it
        is the best a thorough local search found.
    notes
        Remarks for the user (German), e.g. a summary of dropped stops.
    """

    stops: gpd.GeoDataFrame
    start: WalkPoint
    end: WalkPoint | None
    round_trip: bool
    final_leg_m: float
    total_m: float
    walk_min: float
    visit_min: float
    total_min: float
    route: LineString
    dropped: list[DroppedStop] = field(default_factory=list)
    time_budget_min: float | None = None
    speed_kmh: float = 4.5
    minutes_per_visit: float = 10.0
    exact: bool = True
    notes: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        """One German sentence: stops, distance and time."""
        n = len(self.stops)
        kind = "Rundgang" if self.round_trip else "Weg"
        text = (
            f"{kind} mit {n} {'Stopp' if n == 1 else 'Stopps'}: {_de(self.total_m / 1000, 1)} km, "
            f"etwa {_de(self.walk_min, 0)} min zu Fuß und {_de(self.visit_min, 0)} min vor Ort "
            f"(zusammen {_de(self.total_min, 0)} min)."
        )
        if self.dropped:
            text += f" {len(self.dropped)} Stopp(s) weggelassen."
        return text

    def to_json(self) -> dict[str, Any]:
        """The plan as a JSON-ready dict (plain Python types only).

        Returns
        -------
        dict
            ``stops`` (list of ``{order, unit_id, label, priority, lon, lat,
            leg_m, cumulative_m, eta_min, snap_m}`` in walking order),
            ``total_m``, ``final_leg_m``, ``walk_min``, ``visit_min``,
            ``total_min``, ``round_trip``, ``start``, ``end``, ``dropped``,
            ``time_budget_min``, ``speed_kmh``, ``minutes_per_visit``,
            ``exact``, ``notes`` and ``route`` (a GeoJSON LineString).
        """
        keys = (
            "order",
            "unit_id",
            "label",
            "priority",
            "lon",
            "lat",
            "leg_m",
            "cumulative_m",
            "eta_min",
            "snap_m",
        )
        stops = [{k: _plain(row[k]) for k in keys} for _, row in self.stops.iterrows()]
        for item in stops:
            for k in ("leg_m", "cumulative_m", "snap_m"):
                item[k] = round(item[k], 1)
            item["eta_min"] = round(item["eta_min"], 1)
        return {
            "stops": stops,
            "total_m": round(self.total_m, 1),
            "final_leg_m": round(self.final_leg_m, 1),
            "walk_min": round(self.walk_min, 1),
            "visit_min": round(self.visit_min, 1),
            "total_min": round(self.total_min, 1),
            "round_trip": self.round_trip,
            "start": self.start.to_dict(),
            "end": self.end.to_dict() if self.end is not None else None,
            "dropped": [d.to_dict() for d in self.dropped],
            "time_budget_min": _plain(self.time_budget_min),
            "speed_kmh": float(self.speed_kmh),
            "minutes_per_visit": float(self.minutes_per_visit),
            "exact": self.exact,
            "notes": list(self.notes),
            "route": {
                "type": "LineString",
                "coordinates": [[round(x, 7), round(y, 7)] for x, y in self.route.coords],
            },
        }

    def to_gpx(self, *, name: str | None = None) -> str:
        """The plan as GPX 1.1: the route as a track, each stop as a waypoint.

        Waypoints are named by order and address (``"1 Eisenbahnstraße 66"``),
        in walking order; their description holds the unit id and the
        planned arrival. Start and end are the ends of the track.

        Parameters
        ----------
        name
            Name of the track; default ``"Begehung ab <start>"``.

        Returns
        -------
        str
            The GPX document.
        """
        import gpxpy.gpx

        gpx = gpxpy.gpx.GPX()
        gpx.creator = "Quartiersmonitor"
        title = name or f"Begehung ab {self.start.name}"
        gpx.name = title
        gpx.description = self.summary
        for _, row in self.stops.iterrows():
            gpx.waypoints.append(
                gpxpy.gpx.GPXWaypoint(
                    latitude=float(row["lat"]),
                    longitude=float(row["lon"]),
                    name=f"{int(row['order'])} {row['label']}",
                    description=f"{row['unit_id']}; Ankunft nach etwa {_de(float(row['eta_min']), 0)} min",
                )
            )
        track = gpxpy.gpx.GPXTrack(name=title)
        segment = gpxpy.gpx.GPXTrackSegment()
        segment.points = [gpxpy.gpx.GPXTrackPoint(latitude=y, longitude=x) for x, y in self.route.coords]
        track.segments.append(segment)
        gpx.tracks.append(track)
        return gpx.to_xml(version="1.1")


def plan_walk(
    G: nx.MultiDiGraph,
    stops: pd.DataFrame,
    *,
    start: Any = None,
    end: Any = None,
    round_trip: bool = True,
    speed_kmh: float = 4.5,
    minutes_per_visit: float = 10.0,
    time_budget_min: float | None = None,
    priorities: Mapping[str, float] | pd.Series | None = None,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
) -> WalkPlan:
    """Plan a walk that visits the stops in the shortest order.

    Parameters
    ----------
    G
        Walking network from :func:`load_walk_graph`.
    stops
        One row per unit to visit: ``unit_id`` and the location, as point
        geometry (GeoDataFrame, any CRS; a frame without CRS is taken as
        EPSG:4326) or as ``lon``/``lat`` columns. Optional: ``priority``
        (higher is more important, missing is 0), ``label`` (name shown on the
        route sheet), else ``street`` and ``housenumber`` make the label.
    start
        Where the walk starts: ``(lon, lat)``, a shapely point, a
        :class:`WalkPoint`, or the name or slug of a quarter (its office).
        Default: the office of the stops' quarter (column ``quarter``), or
        else of the configured quarter whose office is nearest to the stops.
    end
        End of a one-way walk (same forms as ``start``); None with
        ``round_trip=False`` leaves the end open (the walk ends at the last
        stop). Must be None for a round trip.
    round_trip
        Return to the start.
    speed_kmh
        Walking speed.
    minutes_per_visit
        Time planned at each stop.
    time_budget_min
        Longest allowed walk in minutes, walking and visits together. If the
        stops do not fit, the least important are left out (lowest priority
        first; of equal priority, the one whose visit costs the longest detour)
        until the rest fits, and each is listed in ``dropped`` with the reason.
    priorities
        Priority per ``unit_id``; overrides the ``priority`` column.
    max_snap_m
        Refuse stops farther than this from every street segment.

    Returns
    -------
    WalkPlan
        Stops in walking order with distances, times and the route.

    Raises
    ------
    InputError
        If the stops lack ids or locations, an id repeats, the options
        contradict each other, a stop is off the network or unreachable, or
        not even the way from start to end fits into the time budget.
    """
    if round_trip and end is not None:
        raise InputError(
            "Ein Rundgang kehrt zum Start zurück; ein abweichendes Ziel (end) geht nur mit round_trip=False."
        )
    if not speed_kmh > 0:
        raise InputError(f"Gehgeschwindigkeit muss größer als 0 km/h sein, angegeben: {speed_kmh}.")
    if not minutes_per_visit >= 0:
        raise InputError(f"Zeit je Besuch darf nicht negativ sein, angegeben: {minutes_per_visit} min.")
    if time_budget_min is not None and not time_budget_min > 0:
        raise InputError(f"Zeitbudget muss größer als 0 min sein, angegeben: {time_budget_min} min.")

    table = _stop_table(stops, priorities)
    start_pt = _resolve_point(start, "Start", table) if start is not None else _default_start(table)
    end_pt = _resolve_point(end, "Ziel", table) if end is not None else None

    n = len(table)
    lon = np.concatenate([[start_pt.lon], table["lon"].to_numpy(float)])
    lat = np.concatenate([[start_pt.lat], table["lat"].to_numpy(float)])
    labels = [_role_label("Start", start_pt), *table["unit_id"]]
    if end_pt is not None:
        lon = np.append(lon, end_pt.lon)
        lat = np.append(lat, end_pt.lat)
        labels.append(_role_label("Ziel", end_pt))
    matrix = _Matrix(_network(G), lon, lat, labels, max_snap_m)
    dist = matrix.dist
    end_index = n + 1 if end_pt is not None else None
    m_per_min = speed_kmh * 1000.0 / 60.0

    def minutes(path: list[int]) -> float:
        n_stops = len(path) - 1 - (end_index is not None)
        return _path_length(dist, path, round_trip) / m_per_min + n_stops * minutes_per_visit

    kept = list(range(1, n + 1))
    path, exact = _solve(dist, kept, end_index, round_trip)
    dropped: list[DroppedStop] = []
    notes: list[str] = []
    if time_budget_min is not None and minutes(path) > time_budget_min + 1e-9:
        path, exact, dropped = _fit_budget(
            dist, path, table, end_index, round_trip, minutes, time_budget_min, m_per_min, minutes_per_visit
        )
        ids = ", ".join(d.unit_id for d in dropped)
        notes.append(
            f"{len(dropped)} von {n} Stopps passen nicht ins Zeitbudget von {_de(time_budget_min, 0)} min "
            f"und wurden weggelassen (niedrigste Priorität zuerst): {ids}."
        )
    return _build_plan(
        matrix=matrix,
        path=path,
        table=table,
        start=start_pt,
        end=start_pt if round_trip else end_pt,
        round_trip=round_trip,
        end_index=end_index,
        m_per_min=m_per_min,
        speed_kmh=speed_kmh,
        minutes_per_visit=minutes_per_visit,
        time_budget_min=time_budget_min,
        dropped=dropped,
        exact=exact,
        notes=notes,
    )


# -- solving and fitting into the budget ------------------------------------------


def _solve(
    dist: np.ndarray, kept: list[int], end_index: int | None, round_trip: bool
) -> tuple[list[int], bool]:
    """Best path over start (0), the kept stops and the fixed end, as indices into ``dist``."""
    nodes = [0, *kept] + ([end_index] if end_index is not None else [])
    sub = dist[np.ix_(nodes, nodes)]
    sol = _tsp.solve(
        sub,
        start=0,
        end=len(nodes) - 1 if end_index is not None else None,
        round_trip=round_trip,
    )
    return [nodes[i] for i in sol.order], sol.exact


def _path_length(dist: np.ndarray, path: list[int], round_trip: bool) -> float:
    return _tsp.walk_cost(dist, path, round_trip=round_trip)


def _fit_budget(
    dist: np.ndarray,
    path: list[int],
    table: pd.DataFrame,
    end_index: int | None,
    round_trip: bool,
    minutes: Any,
    budget: float,
    m_per_min: float,
    minutes_per_visit: float,
) -> tuple[list[int], bool, list[DroppedStop]]:
    """Leave out stops, least important first, until the walk fits into ``budget`` minutes.

    Stops are removed one at a time from the current path: the lowest
    priority first and, among equals, the one whose removal saves most
    walking. The rest is then solved again; dropped stops of the highest
    dropped priority are put back where they still fit (never a lower
    priority while a higher one stays out).
    """
    priority = table["priority"].to_numpy(float)
    unit_ids = table["unit_id"].tolist()
    fixed_tail = 1 if end_index is not None else 0
    removed: list[tuple[int, float]] = []  # (index, detour_m) in order of removal

    def detour(p: list[int], pos: int) -> float:
        prev = p[pos - 1]
        if pos + 1 < len(p):
            nxt = p[pos + 1]
        elif round_trip:
            nxt = p[0]
        else:
            return float(dist[prev, p[pos]])
        return float(dist[prev, p[pos]] + dist[p[pos], nxt] - dist[prev, nxt])

    while minutes(path) > budget + 1e-9:
        inner = list(range(1, len(path) - fixed_tail))
        if not inner:
            raise InputError(
                f"Schon der Weg vom Start zum Ziel dauert {_de(minutes(path), 0)} min und passt nicht ins "
                f"Zeitbudget von {_de(budget, 0)} min."
            )
        lowest = min(priority[path[k] - 1] for k in inner)
        candidates = [k for k in inner if priority[path[k] - 1] == lowest]
        savings = [detour(path, k) for k in candidates]
        pos = candidates[int(np.argmax(savings))]
        removed.append((path[pos], max(savings)))
        path = path[:pos] + path[pos + 1 :]

    kept = [i for i in path[1 : len(path) - fixed_tail]]
    solved, exact = _solve(dist, kept, end_index, round_trip)
    if _path_length(dist, solved, round_trip) <= _path_length(dist, path, round_trip):
        path = solved
    else:
        exact = False

    # put back what still fits, highest dropped priority first
    out = [idx for idx, _ in removed]
    tiers = sorted({priority[i - 1] for i in out}, reverse=True)
    for tier in tiers:
        blocked = False
        for idx in [i for i in reversed(out) if priority[i - 1] == tier]:
            trial = _cheapest_insertion(dist, path, idx, fixed_tail, round_trip)
            if minutes(trial) <= budget + 1e-9:
                path = trial
                out.remove(idx)
                exact = False
            else:
                blocked = True
        if blocked:
            break
    if len(out) < len(removed):
        kept = path[1 : len(path) - fixed_tail]
        solved, solved_exact = _solve(dist, kept, end_index, round_trip)
        if _path_length(dist, solved, round_trip) <= _path_length(dist, path, round_trip):
            path, exact = solved, solved_exact

    detours = dict(removed)
    kept_prio = [priority[i - 1] for i in path[1 : len(path) - fixed_tail]]
    dropped = []
    for i in out:
        p = priority[i - 1]
        cost = (
            f"etwa {_de(detours[i] / m_per_min + minutes_per_visit, 0)} min: "
            f"Umweg {_de(detours[i], 0)} m und {_de(minutes_per_visit, 0)} min vor Ort"
        )
        if not kept_prio:
            why = "Für keinen Stopp reicht die Zeit."
        elif p < min(kept_prio):
            why = f"Seine Priorität ({_de_num(p)}) ist niedriger als die aller eingeplanten Stopps ({cost})."
        else:
            why = f"Unter den Stopps mit Priorität {_de_num(p)} kostet er besonders viel Zeit ({cost})."
        dropped.append(
            DroppedStop(
                unit_id=unit_ids[i - 1],
                priority=float(p),
                reason=f"Passt nicht ins Zeitbudget von {_de(budget, 0)} min. {why}",
            )
        )
    return path, exact, dropped


def _cheapest_insertion(
    dist: np.ndarray, path: list[int], idx: int, fixed_tail: int, round_trip: bool
) -> list[int]:
    """``path`` with ``idx`` inserted where it lengthens the walk least (ends stay in place)."""
    best_pos, best_cost = None, np.inf
    last = len(path) - fixed_tail  # insert before positions 1 .. last (last = append for open end)
    for pos in range(1, last + 1):
        prev = path[pos - 1]
        if pos < len(path):
            nxt = path[pos]
        elif round_trip:
            nxt = path[0]
        else:
            nxt = None
        cost = dist[prev, idx] + (dist[idx, nxt] - dist[prev, nxt] if nxt is not None else 0.0)
        if cost < best_cost:
            best_pos, best_cost = pos, cost
    assert best_pos is not None
    return path[:best_pos] + [idx] + path[best_pos:]


# -- building the plan ------------------------------------------------------------------


def _build_plan(
    *,
    matrix: _Matrix,
    path: list[int],
    table: pd.DataFrame,
    start: WalkPoint,
    end: WalkPoint | None,
    round_trip: bool,
    end_index: int | None,
    m_per_min: float,
    speed_kmh: float,
    minutes_per_visit: float,
    time_budget_min: float | None,
    dropped: list[DroppedStop],
    exact: bool,
    notes: list[str],
) -> WalkPlan:
    dist = matrix.dist
    stop_path = [i for i in path[1:] if i != end_index]
    legs = [float(dist[path[k], path[k + 1]]) for k in range(len(stop_path))]
    cumulative = np.cumsum(legs) if legs else np.zeros(0)
    if end_index is not None:
        final_leg = float(dist[path[-2], end_index])
    elif round_trip and len(path) > 1:
        final_leg = float(dist[path[-1], 0])
    else:
        final_leg = 0.0
    total_m = float(cumulative[-1] if len(cumulative) else 0.0) + final_leg
    eta = cumulative / m_per_min + np.arange(len(stop_path)) * minutes_per_visit

    rows = table.iloc[[i - 1 for i in stop_path]].reset_index(drop=True)
    rows.insert(0, "order", np.arange(1, len(stop_path) + 1))
    rows["leg_m"] = legs
    rows["cumulative_m"] = cumulative
    rows["eta_min"] = eta
    rows["snap_m"] = matrix.snaps.snap_m[stop_path] if stop_path else np.zeros(0)
    front = [
        "order",
        "unit_id",
        "label",
        "priority",
        "leg_m",
        "cumulative_m",
        "eta_min",
        "snap_m",
        "lon",
        "lat",
    ]
    rows = rows[front + [c for c in rows.columns if c not in front]]
    stops_gdf = gpd.GeoDataFrame(
        rows, geometry=gpd.points_from_xy(rows["lon"], rows["lat"]), crs=settings.storage_crs
    )

    walk_path = list(path) + ([0] if round_trip and len(path) > 1 else [])
    coords = _join([matrix.leg_coords(a, b) for a, b in zip(walk_path[:-1], walk_path[1:], strict=True)])
    if len(coords) >= 2:
        lon, lat = matrix.net.to_lonlat.transform(coords[:, 0], coords[:, 1])
        route = LineString(np.column_stack([lon, lat]))
    else:
        route = LineString()

    walk_min = total_m / m_per_min
    visit_min = len(stop_path) * minutes_per_visit
    return WalkPlan(
        stops=stops_gdf,
        start=start,
        end=end,
        round_trip=round_trip,
        final_leg_m=final_leg,
        total_m=total_m,
        walk_min=walk_min,
        visit_min=visit_min,
        total_min=walk_min + visit_min,
        route=route,
        dropped=dropped,
        time_budget_min=time_budget_min,
        speed_kmh=speed_kmh,
        minutes_per_visit=minutes_per_visit,
        exact=exact,
        notes=notes,
    )


# -- input -----------------------------------------------------------------------------------


def _stop_table(stops: pd.DataFrame, priorities: Mapping[str, float] | pd.Series | None) -> pd.DataFrame:
    """unit_id, lon, lat, priority, label and the other columns of the stops, index 0 … n-1."""
    if not isinstance(stops, pd.DataFrame):
        raise InputError("Die Stopps müssen eine Tabelle (DataFrame) mit der Spalte „unit_id“ sein.")
    if "unit_id" not in stops.columns:
        raise InputError("Den Stopps fehlt die Spalte „unit_id“.")
    frame = pd.DataFrame(stops.drop(columns=[stops.geometry.name]) if _has_geometry(stops) else stops)
    frame = frame.reset_index(drop=True)
    ids = frame["unit_id"]
    if ids.isna().any():
        raise InputError(f"{int(ids.isna().sum())} Stopp(s) ohne unit_id.")
    frame["unit_id"] = ids.astype(str)
    repeated = sorted(set(frame["unit_id"][frame["unit_id"].duplicated()]))
    if repeated:
        raise InputError(f"Stopps mehrfach angegeben: {', '.join(repeated)}.")

    if _has_geometry(stops):
        geoms = stops.geometry
        if geoms.crs is None:
            geoms = geoms.set_crs(settings.storage_crs)
        geoms = geoms.to_crs(settings.storage_crs).to_numpy()
        bad = shapely.is_missing(geoms) | shapely.is_empty(geoms)
        lon = np.full(len(geoms), np.nan)
        lat = np.full(len(geoms), np.nan)
        if (~bad).any():
            lon[~bad], lat[~bad] = _point_xy(geoms[~bad])
    elif {"lon", "lat"} <= set(frame.columns):
        lon = pd.to_numeric(frame["lon"], errors="coerce").to_numpy(float)
        lat = pd.to_numeric(frame["lat"], errors="coerce").to_numpy(float)
    else:
        raise InputError("Den Stopps fehlt die Lage: Punktgeometrie oder Spalten „lon“ und „lat“.")
    missing = ~(np.isfinite(lon) & np.isfinite(lat))
    if missing.any():
        shown = ", ".join(frame["unit_id"][missing].tolist()[:10])
        raise InputError(f"Stopps ohne Lage (Koordinaten fehlen): {shown}.")
    frame["lon"] = lon
    frame["lat"] = lat

    if "priority" in frame.columns:
        prio = pd.to_numeric(frame["priority"], errors="coerce")
        bad = prio.isna() & frame["priority"].notna()
        if bad.any():
            shown = ", ".join(frame["unit_id"][bad].tolist()[:10])
            raise InputError(f"Priorität muss eine Zahl sein (höher = wichtiger); ungültig bei: {shown}.")
        prio = prio.fillna(0.0).astype(float)
    else:
        prio = pd.Series(0.0, index=frame.index)
    if priorities is not None:
        given = (
            pd.Series(priorities, dtype=float) if not isinstance(priorities, pd.Series) else priorities.copy()
        )
        given.index = given.index.astype(str)
        unknown = sorted(set(given.index) - set(frame["unit_id"]))
        if unknown:
            raise InputError(f"Prioritäten für unbekannte Stopps angegeben: {', '.join(unknown[:10])}.")
        mapped = frame["unit_id"].map(given)
        prio = mapped.astype(float).where(mapped.notna(), prio)
    frame["priority"] = prio.to_numpy(float)

    if "label" not in frame.columns:
        frame["label"] = _labels(frame)
    else:
        frame["label"] = frame["label"].where(frame["label"].notna(), _labels(frame)).astype(str)
    return frame


def _has_geometry(frame: pd.DataFrame) -> bool:
    return isinstance(frame, gpd.GeoDataFrame) and frame._geometry_column_name in frame.columns


def _labels(frame: pd.DataFrame) -> pd.Series:
    """``"Eisenbahnstraße 66"`` from street and house number, else the unit id."""
    if "street" not in frame.columns:
        return frame["unit_id"].astype(str)
    street = frame["street"].astype("string").str.strip()
    number = (
        frame["housenumber"].astype("string").str.strip()
        if "housenumber" in frame.columns
        else pd.Series(pd.NA, index=frame.index, dtype="string")
    )
    text = (street.fillna("") + " " + number.fillna("")).str.strip()
    return text.where(street.notna() & (text != ""), frame["unit_id"].astype(str)).astype(str)


def _resolve_point(value: Any, role: str, table: pd.DataFrame) -> WalkPoint:
    if isinstance(value, WalkPoint):
        return value
    if isinstance(value, str):
        from geo.places.areas import get_quarter

        quarter = get_quarter(value)
        return WalkPoint(quarter.office_name, quarter.office_lon, quarter.office_lat)
    if hasattr(value, "office_lon") and hasattr(value, "office_lat"):
        return WalkPoint(
            str(getattr(value, "office_name", role)), float(value.office_lon), float(value.office_lat)
        )
    if isinstance(value, Point):
        if value.is_empty:
            raise InputError(f"{role}: leerer Punkt.")
        return WalkPoint(role, float(value.x), float(value.y))
    try:
        lon, lat = (float(v) for v in value)
    except (TypeError, ValueError):
        raise InputError(
            f"{role} nicht verstanden: {value!r}. Erwartet wird (lon, lat), ein Punkt oder ein Quartiersname."
        ) from None
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise InputError(f"{role}: Koordinaten müssen endliche Zahlen sein, angegeben: {value!r}.")
    return WalkPoint(role, lon, lat)


def _role_label(role: str, point: WalkPoint) -> str:
    return role if point.name == role else f"{role} ({point.name})"


def _default_start(table: pd.DataFrame) -> WalkPoint:
    """The office of the stops' quarter, or of the quarter whose office is nearest to them."""
    from geo.places.areas import get_quarter, load_quarters

    if "quarter" in table.columns:
        named = {q for q in table["quarter"].dropna().astype(str) if q.strip()}
        if len(named) == 1:
            quarter = get_quarter(named.pop())
            return WalkPoint(quarter.office_name, quarter.office_lon, quarter.office_lat)
    quarters = list(load_quarters().values())
    if not len(table):
        q = quarters[0]
        return WalkPoint(q.office_name, q.office_lon, q.office_lat)
    to_metric = Transformer.from_crs(settings.storage_crs, settings.metric_crs, always_xy=True)
    sx, sy = to_metric.transform(table["lon"].to_numpy(float), table["lat"].to_numpy(float))
    cx, cy = float(np.mean(sx)), float(np.mean(sy))
    ox_, oy_ = to_metric.transform([q.office_lon for q in quarters], [q.office_lat for q in quarters])
    q = quarters[int(np.argmin(np.hypot(np.asarray(ox_) - cx, np.asarray(oy_) - cy)))]
    return WalkPoint(q.office_name, q.office_lon, q.office_lat)


# -- formatting -------------------------------------------------------------------------------


def _de(value: float, digits: int) -> str:
    """A number in German notation: ``1.234,5``."""
    text = f"{value:,.{digits}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def _de_num(value: float) -> str:
    return _de(value, 0) if float(value).is_integer() else _de(value, 1)


def _plain(value: Any) -> Any:
    """numpy/pandas scalars as plain Python values for JSON."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
