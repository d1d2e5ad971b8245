"""The real walking network of a quarter: from OpenStreetMap or a local extract, kept on this computer.

Walks are planned on real streets once a quarter's network is saved:

* :func:`fetch_quarter_network` downloads it from Overpass with osmnx
  (``ox.graph_from_polygon(…, network_type="walk")`` through
  :func:`geo.osm.download.fetch_walk_network`, which handles Overpass's address,
  osmnx's HTTP cache and unreachable servers) for the quarter's outline from
  :mod:`geo.places.areas`, widened by :data:`geo.settings.walk_network_buffer_m`;
* :func:`network_from_file` cuts it from a local OSM extract (``.osm``, also
  compressed, read with ``ox.graph_from_xml`` by :func:`geo.walks.network.load_walk_graph`)
  for offices without Overpass access.

Both save it where the OSM cache keeps walking networks (:func:`geo.settings.osm_cache_folder`,
``walk-<quarter>.graphml`` with the sidecar ``walk-<quarter>.json`` holding the data date and
its source — Overpass's ``osm_base``, the file's date, or the download time —, the time it was
saved and where it came from; the format of :mod:`geo.osm._cache`). :func:`cached_network`
describes a saved network without reading it (:class:`QuarterNetwork`), :func:`network_options`
lists the networks the page *Begehung planen* offers: the saved one of the quarter first,
the fictional demo network only on the demo register.

Command line: ``python -m geo network --quarter NAME [--from-file FILE.osm] [--refresh]``
(:mod:`geo.cli.network`).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import osmnx as ox
import pandas as pd
import shapely
from shapely.geometry import MultiPolygon, Polygon

from geo import settings
from geo.errors import InputError, QuartiersmonitorError
from geo.formats import fmt_date
from geo.places.areas import QuarterConfig, get_quarter, load_quarters
from geo.walks.network import DEMO_NETWORK_CREDIT, OSM_CREDIT, load_walk_graph

__all__ = [
    "NetworkOption",
    "NetworkUnavailable",
    "QuarterNetwork",
    "cached_network",
    "fetch_quarter_network",
    "network_from_file",
    "network_options",
    "quarter_outline",
]


class NetworkUnavailable(QuartiersmonitorError):
    """The walking network of a quarter cannot be downloaded (Overpass unreachable or failing)."""


@dataclass(frozen=True)
class QuarterNetwork:
    """A quarter's walking network saved on this computer.

    Attributes
    ----------
    quarter
        The quarter's name.
    path
        The GraphML file (projected to :data:`geo.settings.metric_crs`).
    data_date
        Date of the OpenStreetMap data (UTC, no time zone), or None when unknown.
    date_source
        Where ``data_date`` comes from: ``overpass`` (``osm_base`` of the answer),
        ``file`` (the extract's own date), ``fetch_time`` or ``file_time``
        (:data:`geo.osm.download.DATE_SOURCE_LABELS`).
    saved_at
        When it was downloaded or built (UTC).
    source
        The Overpass address or the extract's file name.
    edges
        Number of edges.
    """

    quarter: str
    path: Path
    data_date: pd.Timestamp | None
    date_source: str | None
    saved_at: pd.Timestamp | None
    source: str
    edges: int | None = None

    @property
    def credit(self) -> str:
        """Attribution with the data date, for maps and walk sheets."""
        when = f", Datenstand {fmt_date(self.data_date)}" if self.data_date is not None else ""
        return f"{OSM_CREDIT}{when}"

    @property
    def description(self) -> str:
        """One German line: which network, its OSM date and its origin."""
        from geo.osm.download import DATE_SOURCE_LABELS

        parts = [f"OpenStreetMap-Straßennetz {self.quarter}"]
        if self.data_date is not None:
            label = DATE_SOURCE_LABELS.get(str(self.date_source), "Datenstand")
            parts.append(f"{label}: {self.data_date:%d.%m.%Y %H:%M} UTC")
        if self.saved_at is not None:
            parts.append(f"gespeichert am {fmt_date(self.saved_at)}")
        parts.append(f"Quelle: {self.source}")
        return " · ".join(parts)

    def load(self) -> nx.MultiDiGraph:
        """The network (:func:`geo.walks.network.load_walk_graph`)."""
        return load_walk_graph(self.path)


# -- outline and cache --------------------------------------------------------------------------


def quarter_outline(
    quarter: str | QuarterConfig, *, boundaries: gpd.GeoDataFrame | None = None, buffer_m: float | None = None
) -> Polygon | MultiPolygon:
    """The outline of a quarter widened by ``buffer_m`` metres (EPSG:4326).

    Parameters
    ----------
    quarter
        Name or slug of a configured quarter, or its configuration.
    boundaries
        Ortsteil boundaries with a ``quarter`` column (e.g. ``Register.boundaries``);
        default :func:`geo.places.areas.official_boundaries`.
    buffer_m
        Widening in metres (default :data:`geo.settings.walk_network_buffer_m`).

    Raises
    ------
    InputError
        Unknown quarter, or no boundary of it.
    """
    from geo.osm.download import area_polygon

    config = quarter if isinstance(quarter, QuarterConfig) else get_quarter(quarter)
    if boundaries is None or not len(boundaries):
        from geo.places.areas import official_boundaries

        boundaries = official_boundaries()
    _, polygon = area_polygon(boundaries, quarter=config.name)
    buffer_m = settings.walk_network_buffer_m if buffer_m is None else float(buffer_m)
    metric = gpd.GeoSeries([polygon], crs=settings.storage_crs).to_crs(settings.metric_crs).buffer(buffer_m)
    widened = metric.to_crs(settings.storage_crs).iloc[0]
    return shapely.make_valid(widened) if not widened.is_valid else widened


def _files(quarter: str, cache_dir: str | os.PathLike[str] | None) -> tuple[Path, Path, str]:
    from geo.osm._cache import _area_key, _paths

    folder = Path(cache_dir) if cache_dir is not None else settings.osm_cache_folder()
    key = _area_key(quarter, None)
    graph_path, meta_path = _paths(folder, "walk", key)
    return graph_path, meta_path, key


def cached_network(
    quarter: str | QuarterConfig, *, cache_dir: str | os.PathLike[str] | None = None
) -> QuarterNetwork | None:
    """The saved walking network of a quarter, described from its sidecar (None when none is saved).

    Raises
    ------
    InputError
        Unknown quarter, or a damaged sidecar file.
    """
    config = quarter if isinstance(quarter, QuarterConfig) else get_quarter(quarter)
    graph_path, meta_path, _ = _files(config.name, cache_dir)
    if not (graph_path.is_file() and meta_path.is_file()):
        return None
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(
            f"Die Angaben zum gespeicherten Wegenetz {meta_path.name} sind beschädigt ({exc}); bitte "
            f"„python -m geo network --quarter {config.slug} --refresh“ ausführen."
        ) from exc
    return _describe(config.name, graph_path, meta)


def _stamp(value: Any) -> pd.Timestamp | None:
    if value is None or value == "":
        return None
    stamp = pd.Timestamp(value)
    return stamp.tz_convert(None) if stamp.tzinfo is not None else stamp


def _describe(quarter: str, path: Path, meta: dict[str, Any]) -> QuarterNetwork:
    return QuarterNetwork(
        quarter=quarter,
        path=path,
        data_date=_stamp(meta.get("data_date")),
        date_source=meta.get("date_source"),
        saved_at=_stamp(meta.get("fetched_at")),
        source=str(meta.get("source") or "OpenStreetMap"),
        edges=meta.get("count"),
    )


# -- getting a network ----------------------------------------------------------------------------


def fetch_quarter_network(
    quarter: str | QuarterConfig,
    *,
    boundaries: gpd.GeoDataFrame | None = None,
    refresh: bool = False,
    cache_dir: str | os.PathLike[str] | None = None,
) -> tuple[QuarterNetwork, bool]:
    """Download the walking network of a quarter from OpenStreetMap and save it, unless it is saved.

    Parameters
    ----------
    quarter
        Name or slug of a configured quarter.
    boundaries
        Ortsteil boundaries (see :func:`quarter_outline`).
    refresh
        Download again although a network is saved (the saved one stays when that fails).
    cache_dir
        Folder of the saved networks (default :func:`geo.settings.osm_cache_folder`).

    Returns
    -------
    tuple[QuarterNetwork, bool]
        The saved network, and whether it was downloaded now (False: the saved one was reused,
        nothing was asked online).

    Raises
    ------
    NetworkUnavailable
        Overpass cannot be reached or fails (the message says what to do offline).
    InputError
        Unknown quarter or no boundary of it.
    """
    from geo.osm.download import OSMUnavailable, fetch_walk_network

    config = quarter if isinstance(quarter, QuarterConfig) else get_quarter(quarter)
    saved = cached_network(config, cache_dir=cache_dir)
    if saved is not None and not refresh:
        return saved, False
    outline = quarter_outline(config, boundaries=boundaries)
    offline_hint = (
        f"Ohne Overpass-Zugang: einen OSM-Auszug des Quartiers (.osm) besorgen und "
        f"„python -m geo network --quarter {config.slug} --from-file AUSZUG.osm“ ausführen."
    )
    try:
        graph = fetch_walk_network(outline, area_name=config.name, refresh=refresh, cache_dir=cache_dir)
    except OSMUnavailable as exc:
        raise NetworkUnavailable(
            f"Das Straßennetz von {config.name} kann nicht geladen werden: OpenStreetMap ist nicht "
            f"erreichbar ({exc.reason}). {offline_hint}"
        ) from exc
    if graph.graph.get("from_cache"):
        raise NetworkUnavailable(
            f"Das Straßennetz von {config.name} wurde nicht erneuert: {graph.graph.get('notice')} "
            f"Das gespeicherte Netz bleibt unverändert. {offline_hint}"
        )
    if graph.number_of_edges() == 0:
        raise InputError(f"OpenStreetMap liefert für {config.name} keine begehbaren Wege.")
    network = cached_network(config, cache_dir=cache_dir)
    assert network is not None  # fetch_walk_network saved it
    return network, True


def network_from_file(
    quarter: str | QuarterConfig,
    path: str | os.PathLike[str],
    *,
    boundaries: gpd.GeoDataFrame | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
) -> QuarterNetwork:
    """Build a quarter's walking network from a local OSM extract and save it as the downloaded one is.

    The file (``.osm``/``.xml``, also ``.gz``/``.bz2``, or an osmnx ``.graphml``) is read
    with the walking filter of :func:`geo.walks.network.load_walk_graph`, cut to the
    quarter's widened outline (:func:`quarter_outline`) and reduced to its largest connected
    part. Its data date is the extract's ``osm_base`` or newest element timestamp, else the
    file's modification time.

    Raises
    ------
    InputError
        Missing or unreadable file, or no walkable way inside the quarter.
    """
    from geo.osm._cache import _save
    from geo.osm.download import ATTRIBUTION
    from geo.osm.files import _file_time, _xml_date

    config = quarter if isinstance(quarter, QuarterConfig) else get_quarter(quarter)
    file = Path(path).expanduser()
    graph = load_walk_graph(file)
    outline = quarter_outline(config, boundaries=boundaries)
    metric = gpd.GeoSeries([outline], crs=settings.storage_crs).to_crs(graph.graph["crs"]).iloc[0]
    try:
        graph = ox.truncate.truncate_graph_polygon(graph, metric, truncate_by_edge=True)
        graph = ox.truncate.largest_component(graph, strongly=False)
    except ValueError as exc:  # osmnx: "Found no graph nodes within the requested polygon."
        if "no graph nodes" not in str(exc):
            raise
        graph = nx.MultiDiGraph(crs=graph.graph["crs"])
    if graph.number_of_edges() == 0:
        raise InputError(
            f"{file.name} enthält keine begehbaren Wege in {config.name} (Umriss um "
            f"{settings.walk_network_buffer_m:g} m erweitert). Deckt der Auszug das Quartier ab?"
        )
    if file.name.lower().endswith(".graphml"):
        stamp, source = _stamp(graph.graph.get("data_date")), "file"
    else:
        stamp, source = _xml_date(file), "file"
    if stamp is None:
        stamp, source = _file_time(file), "file_time"
    graph.graph["data_date"] = stamp.isoformat()
    graph_path, _, key = _files(config.name, cache_dir)
    meta = {
        "kind": "walk",
        "area": config.name,
        "data_date": stamp.isoformat(),
        "date_source": source,
        "fetched_at": pd.Timestamp.now(tz="UTC").tz_convert(None).floor("s").isoformat(),
        "count": graph.number_of_edges(),
        "source": f"Datei {file.name}",
        "attribution": ATTRIBUTION,
    }
    _save(graph, "walk", key, meta, graph_path.parent)
    return _describe(config.name, graph_path, meta)


# -- what the page offers ---------------------------------------------------------------------------


@dataclass(frozen=True)
class NetworkOption:
    """A walking network the page *Begehung planen* offers.

    Attributes
    ----------
    key
        ``"quarter:<name>"``, ``"demo"`` or ``"file"`` (a file given by path or upload).
    label
        Its name in the choice.
    path
        The file (None for ``"file"``).
    credit
        Attribution for the map and the walk sheet (None for ``"file"``: from the file).
    description
        One German line: which network and its date.
    """

    key: str
    label: str
    path: Path | None
    credit: str | None
    description: str


#: The choice of a network file by path or upload.
OTHER_FILE = NetworkOption("file", "andere Datei (Pfad oder Hochladen) …", None, None, "")


def network_options(
    *, quarter: str | None, demo: bool, demo_path: Path | None = None, cache_dir: str | os.PathLike[str] | None = None
) -> list[NetworkOption]:
    """The networks to offer for a walk, the one to use by default first.

    The saved real network of ``quarter`` (if any), the fictional demo network (only when
    ``demo`` and ``demo_path`` exists), the saved networks of the other quarters, and the
    choice of another file.
    """
    own: list[NetworkOption] = []
    others: list[NetworkOption] = []
    for name in load_quarters():
        saved = cached_network(name, cache_dir=cache_dir)
        if saved is not None:
            date = f" (Stand {fmt_date(saved.data_date)})" if saved.data_date is not None else ""
            option = NetworkOption(f"quarter:{name}", f"OpenStreetMap {name}{date}", saved.path, saved.credit,
                                   saved.description)  # fmt: skip
            (own if name == quarter else others).append(option)
    if demo and demo_path is not None and demo_path.is_file():
        own.append(NetworkOption(
            "demo", DEMO_NETWORK_CREDIT, demo_path, DEMO_NETWORK_CREDIT,
            f"{DEMO_NETWORK_CREDIT}: die handgezeichneten Demo-Straßen mit Querstraßen, ungefähr – Wege und Zeiten "
            "sind nur zur Vorführung.",
        ))  # fmt: skip
    return [*own, *others, OTHER_FILE]
