"""Street segments as arrays, snapping points to them, and walking distances between the points.

Private to :mod:`geo.walks.network` and :mod:`geo.walks.tour` (see the snapping
rules in :mod:`geo.walks.network`).
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import osmnx as ox
import shapely
from pyproj import CRS, Transformer
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from geo import settings
from geo.errors import InputError
from geo.formats import fmt_number

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
        names: list[str] = []
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
            names.append(_edge_name(data.get("name")))
        self.edge_a = np.array(a_list, dtype=np.int64)
        self.edge_b = np.array(b_list, dtype=np.int64)
        self.edge_len = np.array(lengths)
        self.edge_xy = coords
        self.edge_name = names  # street name of each segment ("" without)
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

    def node_step(self, p: int, q: int) -> tuple[int, np.ndarray]:
        """The shortest segment from node ``p`` to node ``q``, and its coordinates in that direction."""
        e = self.pair_edge[(min(p, q), max(p, q))]
        xy = self.edge_xy[e]
        return e, (xy if p == self.edge_a[e] else xy[::-1])


def _edge_name(value: Any) -> str:
    """The street name of an edge: osmnx keeps a list when a simplified edge joins differently named ways."""
    if isinstance(value, list | tuple):
        parts = [str(v).strip() for v in value if isinstance(v, str) and v.strip()]
        return " / ".join(dict.fromkeys(parts))
    return value.strip() if isinstance(value, str) else ""


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
            shown = ", ".join(f"{labels[i]} ({fmt_number(snaps.snap_m[i], unit='m')})" for i in far[:10])
            more = f" und {len(far) - 10} weitere" if len(far) > 10 else ""
            hint = " (lon/lat vertauscht?)" if snaps.snap_m[far].max() > 50_000 else ""
            raise InputError(
                f"Nicht am Wegenetz: {shown}{more} – weiter als {fmt_number(max_snap_m, unit='m')} vom "
                "nächsten Weg entfernt. "
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
        self.dist: np.ndarray = dist
        self._check_connected(labels)

    def _check_connected(self, labels: Sequence[str]) -> None:
        if np.isfinite(self.dist).all():
            return
        apart = [labels[int(j)] for j in np.flatnonzero(~np.isfinite(self.dist[0]))]
        shown = ", ".join(apart[:10]) + (f" und {len(apart) - 10} weitere" if len(apart) > 10 else "")
        raise InputError(
            f"Über das Wegenetz nicht erreichbar von {labels[0]} aus: {shown}. Das Wegenetz zerfällt in "
            "getrennte Teile; bitte ein zusammenhängendes Wegenetz laden (OSM-XML wird dabei auf den "
            "größten zusammenhängenden Teil beschränkt) oder diese Stopps weglassen."
        )

    def _leg_parts(self, i: int, j: int) -> list[tuple[int, np.ndarray]]:
        """The segments walked from point ``i`` to point ``j``: (segment, coordinates walked on it)."""
        net, s = self.net, self.snaps
        ei, ej = int(s.edge[i]), int(s.edge[j])
        if i == j:
            return []
        if self.direct[i, j]:
            return [(ei, net.coords_between(ei, float(s.t[i]), float(s.t[j])))]
        ci, cj = divmod(int(self.combo[i, j]), 2)
        len_i = float(net.edge_cum[ei][-1])
        len_j = float(net.edge_cum[ej][-1])
        parts = [(ei, net.coords_between(ei, float(s.t[i]), 0.0 if ci == 0 else len_i))]
        source, target = int(self.ends[i, ci]), int(self.ends[j, cj])
        pred = self.pred[self.src_row[i, ci]]
        nodes = [target]
        while nodes[-1] != source:
            nodes.append(int(pred[nodes[-1]]))
        nodes.reverse()
        parts += [net.node_step(p, q) for p, q in zip(nodes[:-1], nodes[1:], strict=True)]
        parts.append((ej, net.coords_between(ej, 0.0 if cj == 0 else len_j, float(s.t[j]))))
        return parts

    def leg_coords(self, i: int, j: int) -> np.ndarray:
        """Network coordinates (metric CRS) of the walk from point ``i`` to point ``j``."""
        return _join([xy for _, xy in self._leg_parts(i, j)])

    def leg_streets(self, i: int, j: int, *, min_m: float = 25.0) -> tuple[str, ...]:
        """The named streets walked from point ``i`` to point ``j``, in order.

        Runs of one name shorter than ``min_m`` metres (crossing a side street at its
        corner, the first metres from a stop snapped to a corner) are left out, unless
        no run is that long (then the longest of at least a metre); unnamed ways
        (footpaths) are passed over.
        """
        runs: list[list[Any]] = []
        for e, xy in self._leg_parts(i, j):
            name = self.net.edge_name[e]
            if not name:
                continue
            metres = float(np.hypot(*np.diff(xy, axis=0).T).sum()) if len(xy) > 1 else 0.0
            if runs and runs[-1][0] == name:
                runs[-1][1] += metres
            else:
                runs.append([name, metres])
        kept = [r for r in runs if r[1] >= min_m] or [r for r in sorted(runs, key=lambda r: -r[1])[:1] if r[1] >= 1.0]
        out: list[str] = []
        for name, _ in kept:
            if not out or out[-1] != name:
                out.append(name)
        return tuple(out)


def _join(parts: Sequence[np.ndarray]) -> np.ndarray:
    """Concatenate coordinate runs, dropping repeated points where they meet."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return np.empty((0, 2))
    xy = np.vstack(parts)
    keep = np.ones(len(xy), dtype=bool)
    keep[1:] = np.any(np.abs(np.diff(xy, axis=0)) > 1e-9, axis=1)
    return xy[keep]


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
