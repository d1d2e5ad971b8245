"""The walking network: reading it, where it comes from, and walking distances along it.

The neighbourhood office walks its streets to visit commercial units; the
walks are planned on an OpenStreetMap walking network:

* :func:`load_walk_graph` reads the network from an OSM XML file (or an osmnx
  GraphML file), keeps what pedestrians may use, treats every way as
  walkable in both directions (``oneway=yes`` binds vehicles, not walkers) and
  projects it to :data:`geo.settings.metric_crs`;
* :func:`distance_matrix` gives the walking distances between points;
* :func:`network_credit` names the attribution of a network file (OpenStreetMap,
  the project's synthetic test networks, the fictional demo network),
  :func:`graph_files` lists the network files on this computer and
  :func:`load_graph_upload` reads an uploaded one.

The order of the stops and the way along the streets are planned by
:func:`geo.walks.tour.plan_walk`.

Snapping. Every point is attached to the nearest *street segment* (not merely
the nearest crossing): its walking distance is the perpendicular distance to
the segment plus the distance along the segment to either end. Network
distances between all snapped segment ends come from one run of
:func:`scipy.sparse.csgraph.dijkstra` over the network's sparse adjacency
(edge ``length`` in metres, the shortest of parallel edges). Two stops on the
same segment are connected directly along it; two stops closer to each other
than to any street (units in one building or courtyard) count their straight
distance. The arrays behind it are in :mod:`geo.walks._distances`.

Nothing here goes online: the network comes from a local file.
"""

from __future__ import annotations

import bz2
import gzip
import math
import os
import tempfile
import xml.sax
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import networkx as nx
import numpy as np
import osmnx as ox

from geo import settings
from geo.errors import InputError
from geo.walks._distances import _lonlat_of, _Matrix, _network

__all__ = [
    "DEMO_NETWORK_CREDIT",
    "OSM_CREDIT",
    "SYNTHETIC_CREDIT",
    "distance_matrix",
    "graph_files",
    "load_graph_upload",
    "load_walk_graph",
    "network_credit",
]


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


#: Attribution of OpenStreetMap data (walking network, streets).
OSM_CREDIT: str = "© OpenStreetMap-Mitwirkende, ODbL"

#: Note for the project's synthetic test networks (:mod:`geo.osm._synthetic`): no map data, no licence.
SYNTHETIC_CREDIT: str = "Wegenetz: synthetisches Testnetz (keine echten Kartendaten)"

#: Note for the fictional demo walking network (:func:`geo.register.demo_network.write_demo_walk_network`),
#: shown wherever it is used (page, walk sheet); only the demo register offers it.
DEMO_NETWORK_CREDIT: str = "fiktives Demo-Straßennetz (vereinfacht, keine echten Kartendaten)"


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


# -- distance matrix --------------------------------------------------------------------


def distance_matrix(
    G: nx.MultiDiGraph,
    points: Any,
    *,
    labels: Sequence[str] | None = None,
    max_snap_m: float | None = None,
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
        Refuse points farther than this from every street segment (default
        :data:`geo.settings.walk_max_snap_m`).

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
    max_snap_m = settings.walk_max_snap_m if max_snap_m is None else max_snap_m
    return _Matrix(_network(G), lon, lat, list(labels), max_snap_m).dist


# -- network files ------------------------------------------------------------------------------


def network_credit(source: str | os.PathLike[str] | bytes, *, name: str | None = None) -> str:
    """Attribution of a walking-network file for maps and sheets.

    OpenStreetMap XML and osmnx GraphML files are credited with
    :data:`OSM_CREDIT`; the project's synthetic test networks (written by
    :mod:`geo.osm._synthetic`) with :data:`SYNTHETIC_CREDIT`, the fictional
    demo network with :data:`DEMO_NETWORK_CREDIT`.

    Parameters
    ----------
    source
        The file, or its content (an upload; compressed content counts as OSM).
    name
        File name of uploaded content (for the format).
    """
    from geo.osm._synthetic import DEMO_GENERATOR, GENERATOR

    file_name = (name or ("" if isinstance(source, bytes) else Path(source).name)).lower()
    if file_name.endswith(".graphml"):
        return OSM_CREDIT
    if isinstance(source, bytes):
        head = source[:2048].decode("utf-8", errors="replace")
    else:
        opener: Any = gzip.open if file_name.endswith(".gz") else bz2.open if file_name.endswith(".bz2") else open
        try:
            with opener(Path(source), "rb") as fh:
                head = fh.read(2048).decode("utf-8", errors="replace")
        except OSError:
            return OSM_CREDIT
    if DEMO_GENERATOR in head:
        return DEMO_NETWORK_CREDIT
    return SYNTHETIC_CREDIT if GENERATOR in head else OSM_CREDIT


def load_graph_upload(data: bytes, name: str) -> nx.MultiDiGraph:
    """A walking network from the bytes of an uploaded ``.osm``/``.graphml`` file.

    Raises
    ------
    InputError
        As :func:`load_walk_graph`.
    """
    suffix = "".join(Path(name).suffixes[-2:]) or ".osm"
    with tempfile.TemporaryDirectory(prefix="qm-graph-") as folder:
        target = Path(folder) / f"wegenetz{suffix}"
        target.write_bytes(data)
        return load_walk_graph(target)


def graph_files() -> list[Path]:
    """Walking networks on this computer: the OSM cache (``walk-*.graphml``) and ``.osm``/``.graphml`` in the data folder."""
    folders = [settings.data_dir, settings.osm_cache_folder()]
    found: list[Path] = []
    for folder in folders:
        if folder.is_dir():
            found += sorted(p for p in folder.iterdir() if p.suffix.lower() in (".osm", ".graphml") and p.is_file())
    return found
