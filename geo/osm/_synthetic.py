"""Synthetic OpenStreetMap walking networks for tests and benchmarks.

The networks are the project's own, made from random numbers: a jittered
street grid with gaps, curved blocks, diagonal footways and one-way streets,
written as OSM XML (API 0.6) that :func:`osmnx.graph_from_xml` reads. Nothing
here is real map data; the coordinates only sit near Leipzig so that the
metric CRS of :mod:`geo.settings` fits.

:func:`write_osm` writes any small hand-made network; :func:`write_grid_osm`
writes the grid.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree as ET

import numpy as np
from pyproj import Transformer

from geo import settings

#: Generator name written into the files (not "OSMnx", which osmnx warns about).
GENERATOR: str = "Quartiersmonitor synthetic grid"
#: Generator name of the fictional demo walking network
#: (:func:`geo.register.demo_network.write_demo_walk_network`).
DEMO_GENERATOR: str = "Quartiersmonitor Demo-Wegenetz (fiktiv)"


@dataclass(frozen=True)
class SyntheticGrid:
    """What :func:`write_grid_osm` wrote.

    Attributes
    ----------
    path
        The ``.osm`` file.
    bounds
        ``(lon_min, lat_min, lon_max, lat_max)`` of the main grid (EPSG:4326).
    n_nodes
        Number of OSM nodes written.
    n_ways
        Number of OSM ways written.
    oneway_ways
        Node lists of the ways tagged ``oneway=yes`` (in way direction).
    island
        Node ids of the separate island network, empty if none was written.
    """

    path: Path
    bounds: tuple[float, float, float, float]
    n_nodes: int
    n_ways: int
    oneway_ways: tuple[tuple[int, ...], ...]
    island: tuple[int, ...]


def write_osm(
    path: str | os.PathLike[str],
    nodes: Mapping[int, tuple[float, float]],
    ways: Iterable[tuple[Sequence[int], Mapping[str, str]]],
    *,
    generator: str = GENERATOR,
    comment: str | None = None,
) -> Path:
    """Write nodes and ways as an OSM XML file.

    Parameters
    ----------
    path
        File to write (overwritten).
    nodes
        ``{node_id: (lon, lat)}`` in EPSG:4326; ids must be positive.
    ways
        ``(node_ids, tags)`` per way, in way direction. Way ids are given in
        order, starting at 1.
    generator
        ``generator`` attribute of the ``<osm>`` element.
    comment
        Optional XML comment written first inside ``<osm>``.

    Returns
    -------
    pathlib.Path
        The written file.
    """
    path = Path(path)
    root = ET.Element("osm", {"version": "0.6", "generator": generator})
    if comment:
        root.append(ET.Comment(f" {comment} "))
    if nodes:
        lons = [lon for lon, _ in nodes.values()]
        lats = [lat for _, lat in nodes.values()]
        ET.SubElement(
            root,
            "bounds",
            {
                "minlat": f"{min(lats):.7f}",
                "minlon": f"{min(lons):.7f}",
                "maxlat": f"{max(lats):.7f}",
                "maxlon": f"{max(lons):.7f}",
            },
        )
    for node_id in sorted(nodes):
        lon, lat = nodes[node_id]
        ET.SubElement(
            root,
            "node",
            {
                "id": str(node_id),
                "version": "1",
                "visible": "true",
                "lat": f"{lat:.7f}",
                "lon": f"{lon:.7f}",
            },
        )
    for way_id, (refs, tags) in enumerate(ways, start=1):
        way = ET.SubElement(root, "way", {"id": str(way_id), "version": "1", "visible": "true"})
        for ref in refs:
            ET.SubElement(way, "nd", {"ref": str(ref)})
        for key in sorted(tags):
            ET.SubElement(way, "tag", {"k": key, "v": str(tags[key])})
    ET.indent(root, space=" ")
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
    return path


def write_grid_osm(
    path: str | Path,
    *,
    origin: tuple[float, float] = (12.40, 51.34),
    nx: int = 45,
    ny: int = 45,
    spacing_m: float = 50.0,
    seed: int = 0,
    jitter: float = 0.15,
    drop_edges: float = 0.12,
    diagonals: float = 0.08,
    curved: float = 0.25,
    oneway: float = 0.3,
    island: bool = False,
) -> SyntheticGrid:
    """Write a synthetic walking network: an irregular street grid.

    The default grid has 45 × 45 crossings 50 m apart (2.2 km × 2.2 km,
    about 4.8 km²). Irregularities, all drawn from ``seed``:

    * crossings are moved by up to ``jitter × spacing_m`` in x and y;
    * a share ``drop_edges`` of the street sections is left out, but never so
      that the grid falls apart (a random spanning tree is always kept);
    * a share ``diagonals`` of the blocks gets a footway (``highway=footway``)
      across it, with a bend in the middle;
    * a share ``curved`` of the sections gets an extra node off the straight
      line, so the simplified graph has edges with curved ``geometry``;
    * a share ``oneway`` of the streets is tagged ``oneway=yes`` (walkers
      ignore it; drivers would not).

    Streets are ways along grid rows (``Längsstraße <j>``) and columns
    (``Querstraße <i>``), split where a section is missing.

    Parameters
    ----------
    path
        File to write (overwritten).
    origin
        ``(lon, lat)`` of the south-west corner.
    nx
        Crossings in west-east direction.
    ny
        Crossings in south-north direction.
    spacing_m
        Distance between neighbouring crossings in metres.
    seed
        Seed of the random generator; the same arguments give the same file.
    jitter
        Largest displacement of a crossing, as a share of ``spacing_m``.
    drop_edges
        Share of grid sections left out.
    diagonals
        Share of blocks crossed by a diagonal footway.
    curved
        Share of sections drawn with a bend.
    oneway
        Share of streets tagged ``oneway=yes``.
    island
        Also write a small separate network (a 3 × 3 grid) 400 m east of the
        main grid, connected to nothing -- for tests of unreachable stops.

    Returns
    -------
    SyntheticGrid
        The file and a summary of what is in it.
    """
    if nx < 2 or ny < 2:
        raise ValueError("nx and ny must be at least 2")
    rng = np.random.default_rng(seed)
    to_metric = Transformer.from_crs(settings.storage_crs, settings.metric_crs, always_xy=True)
    to_lonlat = Transformer.from_crs(settings.metric_crs, settings.storage_crs, always_xy=True)
    x0, y0 = to_metric.transform(*origin)

    ii, jj = np.meshgrid(np.arange(nx), np.arange(ny), indexing="ij")
    xs = x0 + ii * spacing_m + rng.uniform(-jitter, jitter, ii.shape) * spacing_m
    ys = y0 + jj * spacing_m + rng.uniform(-jitter, jitter, ii.shape) * spacing_m

    def grid_id(i: int, j: int) -> int:
        return 1 + i * ny + j

    metric_nodes: dict[int, tuple[float, float]] = {
        grid_id(i, j): (float(xs[i, j]), float(ys[i, j])) for i in range(nx) for j in range(ny)
    }
    next_id = nx * ny + 1

    # grid sections: ("h", i, j) joins (i, j)-(i+1, j); ("v", i, j) joins (i, j)-(i, j+1)
    sections = [("h", i, j) for j in range(ny) for i in range(nx - 1)]
    sections += [("v", i, j) for i in range(nx) for j in range(ny - 1)]
    keep = _spanning_tree_plus(sections, nx, ny, rng, drop_edges)

    # optional bend inside a section
    bend: dict[tuple[str, int, int], int] = {}
    for sec in sections:
        if keep[sec] and rng.random() < curved:
            kind, i, j = sec
            p = metric_nodes[grid_id(i, j)]
            q = metric_nodes[grid_id(i + 1, j) if kind == "h" else grid_id(i, j + 1)]
            mx, my = (p[0] + q[0]) / 2, (p[1] + q[1]) / 2
            off = rng.uniform(0.1, 0.25) * spacing_m * rng.choice([-1.0, 1.0])
            metric_nodes[next_id] = (mx, my + off) if kind == "h" else (mx + off, my)
            bend[sec] = next_id
            next_id += 1

    ways: list[tuple[list[int], dict[str, str]]] = []
    oneway_ways: list[tuple[int, ...]] = []

    def add_street(refs: list[int], name: str, major: bool) -> None:
        tags = {"highway": "tertiary" if major else "residential", "name": name}
        if rng.random() < oneway:
            tags["oneway"] = "yes"
            if rng.random() < 0.5:
                refs = refs[::-1]
            oneway_ways.append(tuple(refs))
        ways.append((refs, tags))

    for j in range(ny):
        run: list[int] = []
        for i in range(nx - 1):
            sec = ("h", i, j)
            if keep[sec]:
                if not run:
                    run = [grid_id(i, j)]
                if sec in bend:
                    run.append(bend[sec])
                run.append(grid_id(i + 1, j))
            elif run:
                add_street(run, f"Längsstraße {j + 1}", major=j % 8 == 4)
                run = []
        if run:
            add_street(run, f"Längsstraße {j + 1}", major=j % 8 == 4)
    for i in range(nx):
        run = []
        for j in range(ny - 1):
            sec = ("v", i, j)
            if keep[sec]:
                if not run:
                    run = [grid_id(i, j)]
                if sec in bend:
                    run.append(bend[sec])
                run.append(grid_id(i, j + 1))
            elif run:
                add_street(run, f"Querstraße {i + 1}", major=i % 8 == 4)
                run = []
        if run:
            add_street(run, f"Querstraße {i + 1}", major=i % 8 == 4)

    # diagonal footways across blocks, bent in the middle
    for i in range(nx - 1):
        for j in range(ny - 1):
            if rng.random() >= diagonals:
                continue
            if rng.random() < 0.5:
                a, b = grid_id(i, j), grid_id(i + 1, j + 1)
            else:
                a, b = grid_id(i + 1, j), grid_id(i, j + 1)
            (ax, ay), (bx, by) = metric_nodes[a], metric_nodes[b]
            metric_nodes[next_id] = (
                (ax + bx) / 2 + rng.uniform(-0.1, 0.1) * spacing_m,
                (ay + by) / 2 + rng.uniform(-0.1, 0.1) * spacing_m,
            )
            ways.append(([a, next_id, b], {"highway": "footway"}))
            next_id += 1

    island_ids: list[int] = []
    if island:
        ix0 = x0 + (nx - 1) * spacing_m + 400.0
        iy0 = y0 + (ny - 1) * spacing_m / 2
        ids = np.arange(next_id, next_id + 9).reshape(3, 3)
        for a in range(3):
            for b in range(3):
                metric_nodes[int(ids[a, b])] = (ix0 + a * spacing_m, iy0 + b * spacing_m)
        island_ids = [int(v) for v in ids.reshape(-1)]
        for a in range(3):
            ways.append(
                (
                    [int(v) for v in ids[a, :]],
                    {"highway": "residential", "name": f"Inselweg {a + 1}"},
                )
            )
            ways.append(([int(v) for v in ids[:, a]], {"highway": "footway"}))
        next_id += 9

    ids_sorted = sorted(metric_nodes)
    mx_arr = np.array([metric_nodes[k][0] for k in ids_sorted])
    my_arr = np.array([metric_nodes[k][1] for k in ids_sorted])
    lon, lat = to_lonlat.transform(mx_arr, my_arr)
    nodes = {k: (float(a), float(b)) for k, a, b in zip(ids_sorted, lon, lat, strict=True)}
    grid_lon = [nodes[grid_id(i, j)][0] for i in range(nx) for j in range(ny)]
    grid_lat = [nodes[grid_id(i, j)][1] for i in range(nx) for j in range(ny)]
    out = write_osm(path, nodes, ways)
    return SyntheticGrid(
        path=out,
        bounds=(min(grid_lon), min(grid_lat), max(grid_lon), max(grid_lat)),
        n_nodes=len(nodes),
        n_ways=len(ways),
        oneway_ways=tuple(oneway_ways),
        island=tuple(island_ids),
    )


def _spanning_tree_plus(
    sections: list[tuple[str, int, int]],
    nx: int,
    ny: int,
    rng: np.random.Generator,
    drop: float,
) -> dict[tuple[str, int, int], bool]:
    """Keep a random spanning tree of the grid and all but ``drop`` of the other sections."""
    parent = list(range(nx * ny))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    keep: dict[tuple[str, int, int], bool] = {}
    order = rng.permutation(len(sections))
    optional = []
    for k in order:
        kind, i, j = sections[k]
        a = i * ny + j
        b = (i + 1) * ny + j if kind == "h" else i * ny + j + 1
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[ra] = rb
            keep[sections[k]] = True
        else:
            optional.append(sections[k])
    n_drop = min(len(optional), int(round(drop * len(sections))))
    for m, sec in enumerate(optional):
        keep[sec] = m >= n_drop
    return keep
