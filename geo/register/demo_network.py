"""The fictional demo walking network: the hand-drawn demo streets and cross streets, as OSM XML.

:func:`write_demo_walk_network` writes it next to the demo register (``python -m
geo demo``); walks on the demo register are planned on it. It is a street network like
a real one, but drawn by hand and approximate: no real map data
(:data:`geo.walks.network.DEMO_NETWORK_CREDIT`, the file's generator and every way's
``note`` say so).
"""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import shapely
import shapely.ops
from pyproj import Transformer

from geo import settings
from geo.places.areas import load_quarters
from geo.register._demo_data import _PATHS, _STREETS

__all__ = ["DEMO_WALK_NETWORK_NAME", "DEMO_WAY_NOTE", "write_demo_walk_network"]


#: File name of the demo walking network in :data:`geo.settings.data_dir`.
DEMO_WALK_NETWORK_NAME: str = "demo-walk-network.osm"

#: ``note`` tag of every way of the demo walking network.
DEMO_WAY_NOTE: str = "Demo-Wegenetz (fiktiv): handgezeichnet, ungefähr, keine echten Kartendaten"

_WALK_STEP_M = 50.0  # street vertices about every 50 m
_SNAP_M = 30.0  # a street end this close to another street of its quarter joins it there
_WALK_NOTE = (
    "Demo-Wegenetz (fiktiv, vereinfacht) des Quartiersmonitors: die handgezeichneten Demo-Straßen und "
    "Querstraßen aus geo/register/_demo_data.py, ungefähr gezeichnet. Keine echten Kartendaten, nicht zur "
    "Orientierung vor Ort."
)
_SOURCE = "Demo (fiktiv)"


@dataclass
class _Line:
    name: str
    quarter: str
    highway: str
    coords: list[tuple[float, float]]  # metric (EPSG:25833)
    marks: list[tuple[float, float]]  # points on the line that must become nodes (crossings, joins)

    @property
    def geom(self) -> shapely.LineString:
        return shapely.LineString(self.coords)


def write_demo_walk_network(path: str | os.PathLike[str]) -> Path:
    """Write the fictional demo walking network as OSM XML.

    Made only from the hand-drawn demo material (:mod:`geo.register._demo_data`): every demo
    street (the streets of the units) and the cross streets between them become ways tagged
    ``highway`` (``secondary``, ``tertiary`` or ``residential``) with their street name, vertices
    about every 50 m; streets that cross share a node there, and a street end within 30 m of
    another street of its quarter is joined to it. A footway joins each quarter office
    (:func:`geo.places.areas.load_quarters`) to the nearest street, and one long fictional footway
    joins the two quarters so that the network is a single connected part
    (:func:`geo.walks.network.load_walk_graph` keeps only the largest). Every way carries
    ``source="Demo (fiktiv)"`` and ``note=`` :data:`DEMO_WAY_NOTE`; the file the generator
    :data:`geo.osm._synthetic.DEMO_GENERATOR` and an XML comment saying it is fictional. Nothing
    random: the same code gives identical bytes.

    Parameters
    ----------
    path
        File to write (overwritten), usually
        ``settings.data_dir / DEMO_WALK_NETWORK_NAME``.

    Returns
    -------
    pathlib.Path
        The written file.
    """
    from geo.osm._synthetic import DEMO_GENERATOR, write_osm

    to_metric = Transformer.from_crs(settings.storage_crs, settings.metric_crs, always_xy=True)
    to_lonlat = Transformer.from_crs(settings.metric_crs, settings.storage_crs, always_xy=True)

    def metric(line: tuple[tuple[float, float], ...]) -> list[tuple[float, float]]:
        xs, ys = to_metric.transform([lon for lon, _ in line], [lat for _, lat in line])
        return [(float(x), float(y)) for x, y in zip(xs, ys, strict=True)]

    lines = [_Line(s.name, s.quarter, s.highway, metric(s.line), []) for s in _STREETS]
    lines += [_Line(p.name, p.quarter, p.highway, metric(p.line), []) for p in _PATHS]
    _join_ends(lines)
    for a, b in itertools.combinations(lines, 2):
        if a.quarter == b.quarter:
            for p in shapely.get_parts(a.geom.intersection(b.geom)):
                if p.geom_type == "Point":
                    a.marks.append((p.x, p.y))
                    b.marks.append((p.x, p.y))
    offices: list[tuple[str, tuple[float, float], tuple[float, float]]] = []
    for quarter, office in load_quarters().items():
        mine = [ln for ln in lines if ln.quarter == quarter]
        if not mine:
            continue
        at = shapely.Point(*to_metric.transform(office.office_lon, office.office_lat))
        near = min(mine, key=lambda ln: ln.geom.distance(at))
        foot = shapely.ops.nearest_points(near.geom, at)[0]
        near.marks.append((foot.x, foot.y))
        offices.append((quarter, (at.x, at.y), (foot.x, foot.y)))

    xy: dict[int, tuple[float, float]] = {}
    key_of: dict[tuple[int, int], int] = {}

    def node(x: float, y: float) -> int:
        key = (round(x * 10), round(y * 10))  # same point to 0.1 m, same node
        if key not in key_of:
            key_of[key] = len(xy) + 1
            xy[key_of[key]] = (x, y)
        return key_of[key]

    tags = {"source": _SOURCE, "note": DEMO_WAY_NOTE}
    ways: list[tuple[list[int], dict[str, str]]] = []
    quarter_nodes: dict[str, list[int]] = {}
    for ln in lines:
        refs = _way_nodes(ln, node)
        ways.append((refs, {"highway": ln.highway, "name": ln.name, **tags}))
        known = quarter_nodes.setdefault(ln.quarter, [])
        known += [r for r in refs if r not in known]
    for _quarter, at, foot in offices:
        start, end = node(*at), node(*foot)
        if start != end:
            ways.append(
                ([start, end], {"highway": "footway", "name": "Zugang zum Quartiersbüro (fiktiv)", **tags})
            )
    for first, second in itertools.pairwise(list(quarter_nodes.values())):
        here, there = min(
            ((p, q) for p in first for q in second), key=lambda pq: math.dist(xy[pq[0]], xy[pq[1]])
        )
        ways.append(
            ([here, there], {"highway": "footway", "name": "Verbindung der Demo-Quartiere (fiktiv)", **tags})
        )

    ids_sorted = sorted(xy)
    lon, lat = to_lonlat.transform([xy[k][0] for k in ids_sorted], [xy[k][1] for k in ids_sorted])
    nodes = {k: (float(a), float(b)) for k, a, b in zip(ids_sorted, lon, lat, strict=True)}
    return write_osm(path, nodes, ways, generator=DEMO_GENERATOR, comment=_WALK_NOTE)


def _join_ends(lines: list[_Line]) -> None:
    """Join each street end lying within :data:`_SNAP_M` of another street of its quarter to it."""
    for ln in lines:
        for index in (0, -1):
            end = shapely.Point(ln.coords[index])
            others = [o for o in lines if o is not ln and o.quarter == ln.quarter]
            if not others:
                continue
            other = min(others, key=lambda o: o.geom.distance(end))
            if other.geom.distance(end) > _SNAP_M:
                continue
            foot = shapely.ops.nearest_points(other.geom, end)[0]
            ln.coords[index] = (foot.x, foot.y)
            other.marks.append((foot.x, foot.y))


def _way_nodes(ln: _Line, node: Callable[[float, float], int]) -> list[int]:
    """Node ids along a line: its vertices and marks, with vertices added about every 50 m."""
    geom = ln.geom
    marks = sorted(
        {(round(geom.project(shapely.Point(c)), 3), c) for c in [*ln.coords, *ln.marks]},
        key=lambda m: m[0],
    )
    refs: list[int] = []
    for (d0, a), (d1, b) in itertools.pairwise(marks):
        n = max(1, math.ceil((d1 - d0) / _WALK_STEP_M - 1e-9))
        refs += [node(a[0] + (b[0] - a[0]) * k / n, a[1] + (b[1] - a[1]) * k / n) for k in range(n)]
    refs.append(node(*marks[-1][1]))
    return [r for k, r in enumerate(refs) if k == 0 or r != refs[k - 1]]
