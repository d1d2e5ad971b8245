"""Folium maps of the register: units by status, boundaries, new settlements, vacancy heat.

A map is made in two steps so that the app can cache the expensive part:

1. :func:`prepare_map` turns a status frame (:func:`geo.register.stats.status_at`, or
   :func:`geo.register.stats.compare` for a before/after map) into a :class:`MapData`
   of plain, compact, already escaped values; it is picklable and cheap to
   cache.
2. :func:`render_map` builds a fresh :class:`folium.Map` from it on every run
   (a map object must not be shared between sessions).

Units are drawn in the browser from one compact JSON array (circle markers,
clustered when zoomed out in neutral bubbles that show the vacant share)
instead of one folium element per unit: about 60 bytes per unit. The scale
bar is metric only; quarter names stand above their outlines when zoomed out
(below :data:`QUARTER_LABELS_UNTIL_ZOOM`), Ortsteil names appear from zoom
:data:`LABELS_FROM_ZOOM` (a name that would overlap another is left out), the
legend is kept off the fitted area (:class:`FitView`), new-settlement rings
only around units drawn one by one (not over clusters). All text shown in tooltips is HTML-escaped here; business
names and addresses are user input. Leaflet and its plugins come from the
installed package (:mod:`geo.outputs._assets`); only base-map tiles are loaded online.

The browser plumbing (the Leaflet layers, scale, legend control, style rules, compact JSON)
lives in :mod:`geo.outputs._leaflet`; its public names are importable from here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from geo import settings
from geo.formats import fmt_date, fmt_int, is_missing
from geo.outputs._areas import QUARTER_LABELS_UNTIL_ZOOM, AreaOutlines, FitView, _quarter_labels
from geo.outputs._assets import apply_assets
from geo.outputs._leaflet import (
    CLUSTER_COLOR,
    CLUSTER_TRACK,
    CLUSTER_UNTIL_ZOOM,
    CLUSTER_VACANT,
    LABELS_FROM_ZOOM,
    LEGEND_MAX_SHARE,
    LEIPZIG_CENTER,
    MAX_ZOOM,
    Legend,
    MetricScale,
    RingPoints,
    SubsetPoints,
    UnitPoints,
    VacancyHeat,
    _boundary_layers,
    _compact_json,
    add_to_head,
    boundary_attribution_html,
    esc,
    esc_values,
    map_css,
    new_map,
)
from geo.places.attribution import boundary_credit
from geo.register.model import STATUS_COLORS, STATUS_LABELS, STATUSES, VACANT_STATUSES

__all__ = [
    "BASEMAPS",
    "BASEMAP_NOTE",
    "CHANGE_CATEGORIES",
    "CLUSTER_COLOR",
    "CLUSTER_TRACK",
    "CLUSTER_UNTIL_ZOOM",
    "CLUSTER_VACANT",
    "FIT_MODES",
    "LABELS_FROM_ZOOM",
    "LEGEND_MAX_SHARE",
    "LEGEND_STYLES",
    "LEIPZIG_CENTER",
    "MAX_ZOOM",
    "NO_STATUS",
    "QUARTER_LABELS_UNTIL_ZOOM",
    "STATUS_CATEGORIES",
    "AreaOutlines",
    "Category",
    "FitView",
    "Legend",
    "MapData",
    "MetricScale",
    "PointSet",
    "RingPoints",
    "SubsetPoints",
    "UnitPoints",
    "VacancyHeat",
    "build_map",
    "esc",
    "legend_html",
    "map_css",
    "new_map",
    "point_set",
    "prepare_map",
    "render_map",
    "unit_id_from_tooltip",
]


#: Status code of units without any observation on the date.
NO_STATUS = "none"

#: Base maps: key -> name shown in the layer control.
BASEMAPS: dict[str, str] = {
    "osm": "OpenStreetMap",
    "positron": "CartoDB Positron (hell)",
    "none": "ohne Hintergrundkarte",
}

_TILES: dict[str, tuple[str, str]] = {
    "osm": (
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>-Mitwirkende',
    ),
    "positron": (
        "https://{s}.basemaps.cartocdn.com/light_all/{z}/{x}/{y}{r}.png",
        '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>-Mitwirkende '
        '&copy; <a href="https://carto.com/attributions">CARTO</a>',
    ),
}

#: Note shown with every map.
BASEMAP_NOTE = (
    "Die Hintergrundkarte wird aus dem Internet geladen. Ohne Internet zeigt die Karte "
    "Grenzen und Einheiten trotzdem an; die Karte selbst braucht keine Online-Quellen."
)

#: Legend styles of :func:`render_map`: ``full`` for big maps, ``compact`` (two columns, small) for small
#: ones, ``large`` (big text) for the projector.
LEGEND_STYLES: tuple[str, ...] = ("full", "compact", "large")

#: What a map is fitted to: the units, or the units and the outlines of their Ortsteile.
FIT_MODES: tuple[str, ...] = ("units", "areas")

Bounds = tuple[tuple[float, float], tuple[float, float]]


@dataclass(frozen=True)
class Category:
    """One class of points on a map: code, German label, colour."""

    code: str
    label: str
    color: str


#: Unit statuses in legend order, plus "keine Angabe".
STATUS_CATEGORIES: tuple[Category, ...] = tuple(
    Category(s, STATUS_LABELS[s], STATUS_COLORS[s]) for s in STATUSES
) + (Category(NO_STATUS, "keine Angabe", "#ffffff"),)

#: Classes of :func:`geo.register.stats.compare` in legend order.
CHANGE_CATEGORIES: tuple[Category, ...] = (
    Category("newly_vacant", "neu leer", "#d73027"),
    Category("newly_occupied", "neu genutzt", "#1a9850"),
    Category("other", "andere Änderung", "#984ea3"),
    Category("unchanged", "unverändert", "#bdbdbd"),
)


# -- map data --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PointSet:
    """Units as compact rows for the browser.

    Attributes
    ----------
    rows
        JSON array; each row ``[lat, lon, category, unit_id, street, housenumber, name]``
        (``street`` indexes ``streets``; trailing empty fields are left out;
        all text escaped).
    streets
        Escaped street names; index 0 is the empty street.
    categories
        The classes the category index refers to.
    counts
        Units per category.
    bounds
        ``((south, west), (north, east))`` or None without units.
    """

    rows: str
    streets: tuple[str, ...]
    categories: tuple[Category, ...]
    counts: tuple[int, ...]
    bounds: tuple[tuple[float, float], tuple[float, float]] | None

    @property
    def n(self) -> int:
        """Number of units."""
        return int(sum(self.counts))


def _located(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    geom = frame.geometry
    keep = geom.notna().to_numpy() & ~geom.is_empty.to_numpy()
    return frame.loc[keep]


def point_set(
    frame: gpd.GeoDataFrame,
    *,
    column: str = "status",
    categories: tuple[Category, ...] = STATUS_CATEGORIES,
    names: bool = True,
) -> PointSet:
    """Compact rows of the units in ``frame``, classed by ``column``.

    Parameters
    ----------
    frame
        Units with point geometry (EPSG:4326) and ``column``; ``street``,
        ``housenumber`` and ``business_name`` are used when present.
    column
        Column holding the category code (missing values: the last category).
    categories
        The classes, in legend order.
    names
        Include business names in the tooltips.
    """
    frame = _located(frame)
    codes = {c.code: i for i, c in enumerate(categories)}
    fallback = len(categories) - 1
    values = (
        frame[column].astype(object).to_numpy() if column in frame else np.full(len(frame), None)
    )
    cat = np.array(
        [codes.get(v, fallback) if isinstance(v, str) else fallback for v in values], dtype=int
    )
    counts = tuple(int(x) for x in np.bincount(cat, minlength=len(categories)))
    lat = np.round(frame.geometry.y.to_numpy(dtype=float), 6)
    lon = np.round(frame.geometry.x.to_numpy(dtype=float), 6)

    def text(col: str) -> list[str]:
        if col not in frame:
            return [""] * len(frame)
        return esc_values(frame[col].to_numpy())

    street_text = text("street")
    streets = [""] + sorted(set(street_text) - {""})
    street_idx = {s: i for i, s in enumerate(streets)}
    ids, numbers = text("unit_id"), text("housenumber")
    biz = text("business_name") if names else [""] * len(frame)
    rows = []
    for i in range(len(frame)):
        row: list[Any] = [
            float(lat[i]),
            float(lon[i]),
            int(cat[i]),
            ids[i],
            street_idx[street_text[i]],
            numbers[i],
            biz[i],
        ]
        while len(row) > 4 and row[-1] in ("", 0):
            row.pop()
        rows.append(row)
    bounds = None
    if len(frame):
        bounds = ((float(lat.min()), float(lon.min())), (float(lat.max()), float(lon.max())))
    return PointSet(_compact_json(rows), tuple(streets), tuple(categories), counts, bounds)


@dataclass(frozen=True)
class MapData:
    """Everything a map shows, compact and escaped (see :func:`prepare_map`).

    ``heat`` holds the category indices drawn in the heat map (None: no heat
    map); ``settlements`` is a JSON array of ``[unit_row, "dd.mm.yyyy"]``
    referring to the rows of ``units``, so highlights cost few bytes.
    ``hidden`` holds category indices drawn in a layer of their own that is
    off at first (e.g. „unverändert“ on a before/after map); ``cluster``
    whether units are clustered when zoomed out; ``area_bounds`` the extent of
    the outlines of the Ortsteile that contain units (all outlines without
    units), for maps fitted to units and areas; ``boundary_credit`` the source
    and licence of the outlines (plain text,
    :func:`geo.places.attribution.boundary_credit`), shown in the map's attribution line.
    """

    units: PointSet
    legend_title: str
    heat: tuple[int, ...] | None = None
    settlements: str | None = None
    settlements_count: int = 0
    settlements_label: str = ""
    ortsteile: str | None = None
    ortsteil_labels: str | None = None
    quarters: str | None = None
    quarter_labels: str | None = None
    demo: bool = False
    cluster: bool = True
    hidden: tuple[int, ...] = ()
    area_bounds: Bounds | None = None
    boundary_credit: str | None = None


def _area_bounds(boundaries: gpd.GeoDataFrame | None, frame: gpd.GeoDataFrame) -> Bounds | None:
    """Extent of the outlines of the Ortsteile holding units of ``frame`` (all outlines when none match)."""
    if boundaries is None or not len(boundaries):
        return None
    b = boundaries.loc[boundaries.geometry.notna()]
    if "name" in b and "ortsteil" in frame:
        names = set(frame["ortsteil"].dropna().astype(str))
        if names & set(b["name"].astype(str)):
            b = b.loc[b["name"].astype(str).isin(names)]
    if not len(b):
        return None
    west, south, east, north = (float(v) for v in b.to_crs(settings.storage_crs).total_bounds)
    if not all(math.isfinite(v) for v in (west, south, east, north)):
        return None
    return ((round(south, 6), round(west, 6)), (round(north, 6), round(east, 6)))


def _fmt_date(value: Any) -> str:
    """:func:`geo.formats.fmt_date`, but empty for a missing date (map data, not a table cell)."""
    return "" if is_missing(value) or pd.isna(value) else fmt_date(value)


def prepare_map(
    frame: gpd.GeoDataFrame,
    *,
    boundaries: gpd.GeoDataFrame | None = None,
    settlements: gpd.GeoDataFrame | None = None,
    settlements_since: date | None = None,
    heat: bool = True,
    column: str = "status",
    categories: tuple[Category, ...] = STATUS_CATEGORIES,
    legend_title: str = "Status",
    names: bool = True,
    demo: bool = False,
    cluster: bool = True,
    hidden: tuple[str, ...] = (),
) -> MapData:
    """The data of a map, compact and escaped, ready to cache.

    Parameters
    ----------
    frame
        Units with their class in ``column``: :func:`geo.register.stats.status_at`
        (``column="status"``) or :func:`geo.register.stats.compare`
        (``column="change"``, ``categories=CHANGE_CATEGORIES``).
    boundaries
        Ortsteil outlines (``name``, ``quarter``); quarters are their union.
    settlements
        New settlements to highlight (:func:`geo.register.stats.events`).
    settlements_since
        Start of the settlement period, for the legend.
    heat
        Add a heat map of the vacant units (status frames only).
    legend_title
        Title of the legend.
    names
        Show business names in tooltips.
    demo
        Mark the map as fictional demo data.
    cluster
        Cluster units when zoomed out (:func:`render_map` may override it).
    hidden
        Category codes drawn in a layer of their own, switched off at first.
    """
    units = point_set(frame, column=column, categories=categories, names=names)
    heat_codes = None
    if heat and column == "status":
        heat_codes = tuple(i for i, c in enumerate(categories) if c.code in VACANT_STATUSES)
    settle_json, settle_n, settle_label = None, 0, ""
    if settlements is not None:
        events = settlements.sort_values("event_date").drop_duplicates("unit_id", keep="last")
        row_of = pd.Index(_located(frame)["unit_id"]).get_indexer(events["unit_id"])
        rows = [[int(r), _fmt_date(d)] for r, d in zip(row_of, events["event_date"], strict=False) if r >= 0]
        settle_json, settle_n = _compact_json(rows), len(rows)
        settle_label = "Neuansiedlung" + (
            f" seit {_fmt_date(settlements_since)}" if settlements_since else ""
        )
    ortsteile, labels, quarters = _boundary_layers(boundaries)
    return MapData(
        units=units,
        legend_title=legend_title,
        heat=heat_codes,
        settlements=settle_json,
        settlements_count=settle_n,
        settlements_label=settle_label,
        ortsteile=ortsteile,
        ortsteil_labels=labels,
        quarters=quarters,
        quarter_labels=_quarter_labels(boundaries),
        demo=demo,
        cluster=cluster,
        hidden=tuple(i for i, c in enumerate(categories) if c.code in hidden),
        area_bounds=_area_bounds(boundaries, frame),
        boundary_credit=boundary_credit(boundaries) if ortsteile else None,
    )


# -- rendering -------------------------------------------------------------------------------


def legend_html(data: MapData, *, compact: bool = False, cluster: bool | None = None) -> str:
    """The legend's HTML (all text escaped): classes with counts, highlights, demo mark.

    Parameters
    ----------
    compact
        Two columns, short notes (for small maps).
    cluster
        Whether units are clustered (default: ``data.cluster``): explains the bubbles.
    """
    cluster = data.cluster if cluster is None else cluster
    units = data.units
    classes = [(i, c, n) for i, (c, n) in enumerate(zip(units.categories, units.counts, strict=False))]
    shown = [row for row in classes if row[2]] or classes
    rows = []
    for index, cat, count in shown:
        line = f'<i style="background:{esc(cat.color, quote=True)}"></i>{esc(cat.label)} ({fmt_int(count)})'
        if index in data.hidden:
            line += '<span class="note"> · Ebene einschaltbar</span>'
        rows.append(line)
    notes = []
    if data.settlements is not None:
        rows.append(f'<i class="ring"></i>{esc(data.settlements_label)} ({fmt_int(data.settlements_count)})')
        if cluster and not compact:
            notes.append("Ringe erscheinen beim Heranzoomen")
    if cluster and units.n:
        has_vacant = any(c.code in VACANT_STATUSES for c in units.categories)
        text = "Gruppe: Zahl der Einheiten" + (", roter Anteil leer" if has_vacant else "")
        notes.append(f'<i class="cl"></i>{esc(text)}')
    if data.heat is not None and not compact:
        notes.append("Wärmebild leerer Einheiten: Ebene einschaltbar")
    body = f'<div class="rows">{"".join(f"<div>{r}</div>" for r in rows)}</div>'
    body += "".join(f'<div class="note">{n}</div>' for n in notes)
    if data.demo:
        body += f'<div class="demo">{esc(settings.demo_label)}</div>'
    return f"<details open><summary>{esc(data.legend_title)}</summary>{body}</details>"


def render_map(
    data: MapData,
    *,
    basemap: str = "osm",
    cluster: bool | None = None,
    height: int | None = None,
    legend: str = "full",
    fit: str = "units",
    assets: Literal["inline", "linked"] = "inline",
    asset_base: str | None = None,
) -> folium.Map:
    """A fresh folium map of ``data`` with offline assets.

    Parameters
    ----------
    basemap
        Base map shown first: ``"osm"``, ``"positron"`` or ``"none"``; the
        others are offered in the layer control.
    cluster
        Cluster units when zoomed out (below zoom 16); default ``data.cluster``.
    height
        Map height in pixels (default: fill the frame).
    legend
        ``"full"``, ``"compact"`` (two columns, for small maps) or ``"large"``
        (big text, for the projector).
    fit
        ``"units"``: fit the map to the units; ``"areas"``: to the units and
        the outlines of their Ortsteile (nothing cut off).
    assets
        ``"inline"``: Leaflet and plugins as ``data:`` URIs (works anywhere,
        e.g. a saved HTML file); ``"linked"``: as URLs below ``asset_base``
        where :func:`geo.outputs._assets.write_static_assets` put them (the running
        app, see :mod:`geo.outputs._assets`).
    asset_base
        URL path of the asset folder as the browser sees it, for ``"linked"``.
    """
    if basemap not in BASEMAPS:
        basemap = "osm"
    cluster = data.cluster if cluster is None else cluster
    m = new_map(height=height)
    style = legend if legend in LEGEND_STYLES else "full"
    add_to_head(m, map_css(cluster=cluster, legend=style), name="qm_css")
    for key, label in BASEMAPS.items():
        if key == "none":
            folium.FeatureGroup(name=label, overlay=False, show=basemap == key).add_to(m)
        else:
            url, attr = _TILES[key]
            folium.TileLayer(url, attr=attr, name=label, max_zoom=MAX_ZOOM, show=basemap == key).add_to(m)
    credit = boundary_attribution_html(data.boundary_credit)
    if data.quarters:
        AreaOutlines(
            data.quarters, name="Quartiere", style={"color": "#08306b", "weight": 3, "fill": False},
            attribution=credit, labels=data.quarter_labels, labels_from_zoom=0,
            labels_until_zoom=QUARTER_LABELS_UNTIL_ZOOM, kind="quarter",
        ).add_to(m)
    if data.ortsteile:
        AreaOutlines(
            data.ortsteile,
            name="Ortsteile",
            style={"color": "#555555", "weight": 1.5, "dashArray": "5 4", "fillOpacity": 0.03},
            labels=data.ortsteil_labels,
            attribution=credit,
        ).add_to(m)
    hidden_n = sum(data.units.counts[i] for i in data.hidden)
    units = UnitPoints(
        data.units,
        name=f"Einheiten ({fmt_int(data.units.n - hidden_n)})",
        cluster=cluster,
        skip=data.hidden,
    )
    units.add_to(m)
    for index in data.hidden:
        cat = data.units.categories[index]
        SubsetPoints(units, (index,), name=f"{cat.label} ({fmt_int(data.units.counts[index])})").add_to(m)
    if data.heat is not None:
        VacancyHeat(units, data.heat, name="Leerstand (Wärmebild)").add_to(m)
    if data.settlements is not None:
        RingPoints(
            units, data.settlements, name=data.settlements_label or "Neuansiedlungen"
        ).add_to(m)
    MetricScale().add_to(m)
    Legend(legend_html(data, compact=style == "compact", cluster=cluster), style=style).add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)
    bounds = data.units.bounds
    if fit == "areas" and data.area_bounds is not None:
        bounds = data.area_bounds if bounds is None else _union(bounds, data.area_bounds)
    if bounds is not None:
        (s, w), (n, e) = bounds
        pad = 0.002 if fit == "units" else 0.0005
        FitView([[s - pad, w - pad], [n + pad, e + pad]], max_zoom=17).add_to(m)  # after the legend: keeps clear of it
    return apply_assets(m, assets, asset_base)


def _union(a: Bounds, b: Bounds) -> Bounds:
    return ((min(a[0][0], b[0][0]), min(a[0][1], b[0][1])), (max(a[1][0], b[1][0]), max(a[1][1], b[1][1])))


def build_map(
    frame: gpd.GeoDataFrame, *, basemap: str = "osm", cluster: bool = True, **options: Any
) -> folium.Map:
    """:func:`prepare_map` and :func:`render_map` in one step (options go to :func:`prepare_map`)."""
    return render_map(prepare_map(frame, **options), basemap=basemap, cluster=cluster)


def unit_id_from_tooltip(text: str | None) -> str | None:
    """The unit id at the start of a clicked tooltip's text (``"ID · address…"``)."""
    if not text:
        return None
    head = str(text).split(" · ", 1)[0].strip()
    return head.splitlines()[0].strip() if head else None
