"""The fictional demo walking network: the hand-drawn demo streets and invented footways, as OSM XML.

:func:`write_demo_walk_network` writes it next to the demo register (``python -m
geo demo``); walks on the demo register are planned on it. Everything in it is
fictional (:data:`geo.walks.network.DEMO_NETWORK_CREDIT`).
"""

from __future__ import annotations

import itertools
import math
import os
from pathlib import Path

import numpy as np
import shapely
from pyproj import Transformer

from geo import settings
from geo.places.areas import load_quarters
from geo.register._demo_data import _STREETS
from geo.register.demo import DEMO_SEED

__all__ = ["DEMO_WALK_NETWORK_NAME", "write_demo_walk_network"]


#: File name of the demo walking network in :data:`geo.settings.data_dir`.
DEMO_WALK_NETWORK_NAME: str = "demo-walk-network.osm"

_WALK_STEP_M = 50.0  # street vertices about every 50 m
_WALK_MAX_LINK_M = 350.0  # longest connector footway
_WALK_NOTE = (
    "Demo-Wegenetz (fiktiv, vereinfacht) des Quartiersmonitors: die handgezeichneten Demo-Straßen aus "
    "geo/demo.py und erfundene Verbindungswege. Keine echten Kartendaten, nicht zur Orientierung vor Ort."
)


def write_demo_walk_network(path: str | os.PathLike[str], *, seed: int = DEMO_SEED) -> Path:
    """Write the fictional demo walking network as OSM XML.

    Made only from the hand-drawn demo streets (:mod:`geo.register._demo_data`): each street is a
    ``highway=residential`` way with vertices about every 50 m (streets of
    one quarter that cross share a node); connector footways
    (``name="Verbindungsweg (fiktiv)"``) follow the edges of a Delaunay
    triangulation of the street vertices of each quarter (EPSG:25833) that
    are shorter than 350 m and join different streets, each with a slight
    bend drawn from ``seed``; a footway joins each quarter office
    (:func:`geo.places.areas.load_quarters`) to its nearest street vertex, and one
    long fictional footway joins the two quarters so that the network is a
    single connected part (:func:`geo.walks.network.load_walk_graph` keeps only the
    largest). The file carries the generator
    :data:`geo.osm._synthetic.DEMO_GENERATOR` and an XML comment saying it is
    fictional; equal arguments give identical bytes.

    Parameters
    ----------
    path
        File to write (overwritten), usually
        ``settings.data_dir / DEMO_WALK_NETWORK_NAME``.
    seed
        Seed of the bends of the connector footways.

    Returns
    -------
    pathlib.Path
        The written file.
    """
    from scipy.spatial import Delaunay

    from geo.osm._synthetic import DEMO_GENERATOR, write_osm

    rng = np.random.default_rng(seed)
    to_metric = Transformer.from_crs(settings.storage_crs, settings.metric_crs, always_xy=True)
    to_lonlat = Transformer.from_crs(settings.metric_crs, settings.storage_crs, always_xy=True)
    xy: dict[int, tuple[float, float]] = {}
    key_of: dict[tuple[int, int], int] = {}

    def node(x: float, y: float) -> int:
        key = (round(x * 10), round(y * 10))  # same point to 0.1 m, same node
        if key not in key_of:
            key_of[key] = len(xy) + 1
            xy[key_of[key]] = (x, y)
        return key_of[key]

    lines = [
        shapely.LineString(
            list(zip(*to_metric.transform([lon for lon, _ in s.line], [lat for _, lat in s.line]), strict=True))
        )
        for s in _STREETS
    ]
    ways: list[tuple[list[int], dict[str, str]]] = []
    streets_of: dict[int, set[int]] = {}
    quarter_nodes: dict[str, list[int]] = {}
    for i, (street, line) in enumerate(zip(_STREETS, lines, strict=True)):
        marks = [(line.project(shapely.Point(c)), c) for c in line.coords]
        for j, other in enumerate(lines):
            if j != i and _STREETS[j].quarter == street.quarter:
                cross = line.intersection(other)
                marks += [(line.project(p), (p.x, p.y)) for p in shapely.get_parts(cross) if p.geom_type == "Point"]
        marks.sort(key=lambda m: m[0])
        refs: list[int] = []
        for (d0, a), (d1, b) in itertools.pairwise(marks):
            n = max(1, math.ceil((d1 - d0) / _WALK_STEP_M - 1e-9))
            refs += [node(a[0] + (b[0] - a[0]) * k / n, a[1] + (b[1] - a[1]) * k / n) for k in range(n)]
        refs.append(node(*marks[-1][1]))
        refs = [r for k, r in enumerate(refs) if k == 0 or r != refs[k - 1]]
        ways.append((refs, {"highway": "residential", "name": street.name, "source": "Demo (fiktiv)"}))
        for r in refs:
            streets_of.setdefault(r, set()).add(i)
        quarter_nodes.setdefault(street.quarter, [])
        quarter_nodes[street.quarter] += [r for r in refs if r not in quarter_nodes[street.quarter]]

    def footway(a: int, b: int, name: str) -> None:
        (ax, ay), (bx, by) = xy[a], xy[b]
        bend = rng.uniform(-0.08, 0.08)
        mid = len(xy) + 1
        xy[mid] = ((ax + bx) / 2 - (by - ay) * bend, (ay + by) / 2 + (bx - ax) * bend)
        ways.append(([a, mid, b], {"highway": "footway", "name": name, "source": "Demo (fiktiv)"}))

    parent: dict[int, int] = {}  # union-find over the street vertices

    def find(r: int) -> int:
        while parent[r] != r:
            parent[r] = parent[parent[r]]
            r = parent[r]
        return r

    quarters = load_quarters()
    for quarter, ids in quarter_nodes.items():
        pts = np.array([xy[r] for r in ids])
        edges: set[tuple[int, int]] = set()
        for simplex in Delaunay(pts).simplices:
            for p, q in itertools.combinations(sorted(int(v) for v in simplex), 2):
                a, b = ids[p], ids[q]
                if not streets_of[a] & streets_of[b]:  # not along a street
                    edges.add((min(a, b), max(a, b)))
        # short edges, then the shortest longer ones that join streets still apart
        parent.update({r: r for r in ids})
        for refs, _ in ways[: len(_STREETS)]:  # the streets
            if refs[0] in parent:
                for r in refs[1:]:
                    parent[find(r)] = find(refs[0])
        links = {e for e in edges if math.dist(xy[e[0]], xy[e[1]]) < _WALK_MAX_LINK_M}
        for a, b in links:
            parent[find(a)] = find(b)
        for a, b in sorted(edges - links, key=lambda e: (math.dist(xy[e[0]], xy[e[1]]), e)):
            if find(a) != find(b):
                parent[find(a)] = find(b)
                links.add((a, b))
        for a, b in sorted(links):
            footway(a, b, "Verbindungsweg (fiktiv)")
        if quarter in quarters:
            office = quarters[quarter]
            ox_, oy = to_metric.transform(office.office_lon, office.office_lat)
            near = min(ids, key=lambda r: math.dist(xy[r], (ox_, oy)))
            start = node(ox_, oy)
            if start != near:
                ways.append(([start, near], {"highway": "footway", "name": "Zugang zum Quartiersbüro (fiktiv)",
                                             "source": "Demo (fiktiv)"}))
    groups = list(quarter_nodes.values())
    for first, second in itertools.pairwise(groups):
        a, b = min(((a, b) for a in first for b in second), key=lambda ab: math.dist(xy[ab[0]], xy[ab[1]]))
        ways.append(([a, b], {"highway": "footway", "name": "Verbindung der Demo-Quartiere (fiktiv)",
                              "source": "Demo (fiktiv)"}))

    ids_sorted = sorted(xy)
    lon, lat = to_lonlat.transform([xy[k][0] for k in ids_sorted], [xy[k][1] for k in ids_sorted])
    nodes = {k: (float(a), float(b)) for k, a, b in zip(ids_sorted, lon, lat, strict=True)}
    return write_osm(path, nodes, ways, generator=DEMO_GENERATOR, comment=_WALK_NOTE)
