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
bar is metric only; Ortsteil names appear from zoom :data:`LABELS_FROM_ZOOM`,
new-settlement rings only around units drawn one by one (not over clusters).
All text shown in tooltips is HTML-escaped here; business
names and addresses are user input. Leaflet and its plugins come from the
installed package (:mod:`geo.outputs._assets`); only base-map tiles are loaded online.
"""

from __future__ import annotations

import html
import json
import math
import re
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, MacroElement
from folium.elements import JSCSSMixin
from folium.map import Layer
from folium.plugins import HeatMap, MarkerCluster
from folium.template import Template

from geo import settings
from geo.outputs._assets import apply_assets
from geo.outputs.tables import display_text, is_missing
from geo.register.model import STATUS_COLORS, STATUS_LABELS, STATUSES, VACANT_STATUSES

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

#: Shown in a thin bar at the top of a map when base-map tiles fail (the note above the map explains more).
_OFFLINE_NOTE = "Hintergrundkarte nicht erreichbar (offline?)"

#: Centre of Leipzig, for an empty map.
LEIPZIG_CENTER = (51.3397, 12.3731)

#: Highest zoom level of every map (the base-map tiles go up to 19). Set on the map itself, not only
#: on the tile layers: without a tile layer (base map „ohne Hintergrundkarte“) Leaflet has no maximum
#: zoom, and the marker clusters fail with "Map has no maxZoom specified".
MAX_ZOOM = 19

#: Zoom level from which units are drawn one by one instead of in clusters.
CLUSTER_UNTIL_ZOOM = 16

#: Zoom level from which Ortsteil names are shown (below, they overlap each other and the clusters).
LABELS_FROM_ZOOM = 13

#: Colours of a cluster bubble: inner disc, ring track, ring share of vacant units.
CLUSTER_COLOR, CLUSTER_TRACK, CLUSTER_VACANT = "#37474f", "#cfd8dc", "#d73027"

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


def esc(value: Any, *, quote: bool = False) -> str:
    """``value`` as HTML-escaped text; missing values (None, NaN, NA, NaT) become an empty string.

    ``&``, ``<`` and ``>`` are always escaped; quotes only with ``quote=True``
    (needed inside attribute values, not in element content).
    """
    return html.escape(display_text(value), quote=quote)


def _compact_json(value: Any) -> str:
    """JSON without spaces, safe inside a ``<script>`` element."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e")


def _squeeze(source: str) -> str:
    """Template or script text without the indentation (every map sends it to the browser)."""
    return re.sub(r"\n[ \t]+", "\n", source.strip())


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
        return [esc(v) for v in frame[col].astype(object).to_numpy()]

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
    units), for maps fitted to units and areas.
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
    demo: bool = False
    cluster: bool = True
    hidden: tuple[int, ...] = ()
    area_bounds: Bounds | None = None


def _area_json(gdf: gpd.GeoDataFrame) -> str:
    """Outlines as compact GeoJSON, simplified to about 2 m and rounded to 5 decimals."""
    metric = gdf.to_crs(settings.metric_crs).geometry.simplify(2.0)
    geoms = gpd.GeoSeries(metric, crs=settings.metric_crs).to_crs(settings.storage_crs)
    geoms = shapely.set_precision(geoms.to_numpy(), 1e-5)
    features = [
        {"type": "Feature", "properties": {}, "geometry": json.loads(shapely.to_geojson(g))}
        for g in geoms
        if g is not None and not g.is_empty
    ]
    return _compact_json({"type": "FeatureCollection", "features": features})


def _boundary_layers(boundaries: gpd.GeoDataFrame) -> tuple[str | None, str | None, str | None]:
    if boundaries is None or not len(boundaries):
        return None, None, None
    b = boundaries.loc[boundaries.geometry.notna()].reset_index(drop=True)
    ortsteile = _area_json(b)
    points = (
        b.to_crs(settings.metric_crs).geometry.representative_point().to_crs(settings.storage_crs)
    )
    labels = _compact_json(
        [[round(p.y, 5), round(p.x, 5), esc(n)] for p, n in zip(points, b["name"].astype(object), strict=False)]
    )
    with_quarter = b.loc[b["quarter"].notna()] if "quarter" in b else b.iloc[0:0]
    quarters = None
    if len(with_quarter):
        merged = with_quarter.to_crs(settings.metric_crs).dissolve(by="quarter")
        merged["geometry"] = merged.geometry.buffer(1.0).buffer(-1.0)
        quarters = _area_json(merged.to_crs(settings.storage_crs))
    return ortsteile, labels, quarters


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


def _int(value: int) -> str:
    return f"{int(value):,}".replace(",", ".")


def _fmt_date(value: Any) -> str:
    if is_missing(value):
        return ""
    stamp = pd.Timestamp(value)
    return "" if pd.isna(stamp) else f"{stamp.day:02d}.{stamp.month:02d}.{stamp.year:04d}"


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
        demo=demo,
        cluster=cluster,
        hidden=tuple(i for i, c in enumerate(categories) if c.code in hidden),
        area_bounds=_area_bounds(boundaries, frame),
    )


# -- folium elements -----------------------------------------------------------------

#: JavaScript: a function making the circle marker of a unit row (colours ``C``, labels ``N``, streets ``S``).
_MARKER_JS = _squeeze("""function(r){
                var m = L.circleMarker([r[0], r[1]], {radius: 6, weight: 1, color: "#333333",
                    opacity: 0.9, fillColor: C[r[2]], fillOpacity: 0.9});
                var a = ((S[r[4] || 0] || "") + " " + (r[5] || "")).trim();
                m.bindTooltip("<b>" + r[3] + "</b>" + (a ? " · " + a : "") + "<br>" + N[r[2]]
                    + (r[6] ? " · " + r[6] : ""));
                m.qmCat = r[2];
                return m;
            }""")

#: JavaScript: a cluster bubble in a neutral colour whose ring shows the share of vacant units (``V``).
_CLUSTER_ICON_JS = _squeeze("""function(c){
                var ms = c.getAllChildMarkers(), n = ms.length, v = 0;
                for (var j = 0; j < n; j++) { if (V.indexOf(ms[j].qmCat) >= 0) { v++; } }
                var p = Math.round(100 * v / n), s = n < 10 ? 30 : (n < 100 ? 36 : 44);
                var t = n + " Einheiten" + (V.length ? ", davon " + v + " leer (" + p + " %)" : "");
                return L.divIcon({className: "marker-cluster qm-cluster", iconSize: L.point(s, s),
                    html: '<div title="' + t + '" style="background:conic-gradient({{ vacant }} 0 ' + p
                        + '%,{{ track }} ' + p + '% 100%)"><span>' + n + '</span></div>'});
            }""")


class UnitPoints(JSCSSMixin, Layer):
    """Units drawn in the browser from compact rows as circle markers, optionally clustered.

    Clusters are neutral bubbles (:data:`CLUSTER_COLOR`) with the number of
    units; their ring shows the share of units in the ``vacant`` categories.
    Units in the ``skip`` categories are left out (drawn by a
    :class:`SubsetPoints` layer). The layer keeps the rows (``qmRows``) and
    the marker of each row (``qmMarkers``, null when skipped) for the layers
    that refer to them.
    """

    _template = Template(
        _squeeze("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function(){
            var C = {{ this.colors }}, N = {{ this.labels }}, S = {{ this.streets }}, V = {{ this.vacant }};
            var d = {{ this.points.rows }}, skip = {{ this.skip }};
            var make = {{ this.marker_js }};
            {% if this.cluster %}
            var o = {{ this.options|tojavascript }};
            o.iconCreateFunction = {{ this.icon_js }};
            var g = L.markerClusterGroup(o);
            {% else %}
            var g = L.featureGroup();
            {% endif %}
            var ms = [], shown = [];
            for (var i = 0; i < d.length; i++) {
                var m = skip.indexOf(d[i][2]) >= 0 ? null : make(d[i]);
                ms.push(m);
                if (m) { shown.push(m); }
            }
            {% if this.cluster %}g.addLayers(shown);{% else %}shown.forEach(function(m){ g.addLayer(m); });{% endif %}
            g.qmRows = d;
            g.qmMarkers = ms;
            g.qmMake = make;
            return g;
        })();
        {% endmacro %}
        """)
    )

    default_js = MarkerCluster.default_js
    default_css = MarkerCluster.default_css

    def __init__(
        self,
        points: PointSet,
        *,
        name: str,
        cluster: bool = True,
        show: bool = True,
        skip: tuple[int, ...] = (),
    ) -> None:
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "UnitPoints"
        self.points = points
        self.cluster = cluster
        self.colors = _compact_json([c.color for c in points.categories])
        self.labels = _compact_json([esc(c.label) for c in points.categories])
        self.streets = _compact_json(list(points.streets))
        self.vacant = _compact_json(
            [i for i, c in enumerate(points.categories) if c.code in VACANT_STATUSES]
        )
        self.skip = _compact_json(list(skip))
        self.marker_js = _MARKER_JS
        self.icon_js = _CLUSTER_ICON_JS.replace("{{ vacant }}", CLUSTER_VACANT).replace(
            "{{ track }}", CLUSTER_TRACK
        )
        self.options = {
            "disableClusteringAtZoom": CLUSTER_UNTIL_ZOOM,
            "chunkedLoading": True,
            "showCoverageOnHover": False,
            "maxClusterRadius": 45,
        }
        if not cluster:
            self.default_js, self.default_css = [], []


class SubsetPoints(Layer):
    """The units of a :class:`UnitPoints` layer in some categories, as a layer of their own (never clustered)."""

    _template = Template(
        _squeeze("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function(){
            var u = {{ this.units.get_name() }}, d = u.qmRows, v = {{ this.codes }}, g = L.featureGroup();
            for (var i = 0; i < d.length; i++) {
                if (v.indexOf(d[i][2]) >= 0) { g.addLayer(u.qmMake(d[i])); }
            }
            return g;
        })();
        {% endmacro %}
        """)
    )

    def __init__(self, units: UnitPoints, codes: tuple[int, ...], *, name: str, show: bool = False) -> None:
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "SubsetPoints"
        self.units = units
        self.codes = _compact_json(list(codes))


class RingPoints(Layer):
    """Highlight rings (new settlements) around units of a :class:`UnitPoints` layer.

    ``rows`` is a JSON array of ``[unit_row, "dd.mm.yyyy"]``; position, id and
    name come from the units layer's rows, so a highlight costs about 15 bytes.
    A ring is drawn only while its unit is drawn on its own: never over a
    cluster bubble (with clustering: from about zoom 15-16 on).
    """

    _template = Template(
        _squeeze("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function(){
            var u = {{ this.units.get_name() }}, d = u.qmRows, ms = u.qmMarkers, s = {{ this.rows }};
            var g = L.featureGroup(), rings = [], timer = null;
            for (var i = 0; i < s.length; i++) {
                var r = d[s[i][0]];
                rings.push([ms[s[i][0]], L.circleMarker([r[0], r[1]], {radius: 11, weight: 3,
                    color: "{{ this.color }}", opacity: 1, fill: false}).bindTooltip("<b>" + r[3]
                    + "</b> · {{ this.label }} " + s[i][1] + (r[6] ? " · " + r[6] : ""))]);
            }
            var update = function(){
                timer = null;
                var map = g._map;
                if (!map) { return; }
                for (var i = 0; i < rings.length; i++) {
                    var on = !!rings[i][0] && map.hasLayer(rings[i][0]), has = g.hasLayer(rings[i][1]);
                    if (on && !has) { g.addLayer(rings[i][1]); } else if (!on && has) { g.removeLayer(rings[i][1]); }
                }
            };
            var later = function(){ if (timer === null) { timer = setTimeout(update, 0); } };
            g.on("add", function(){
                g._map.on("zoomend moveend", later);
                u.on("animationend add remove", later);
                later();
                setTimeout(update, 600);
            });
            g.on("remove", function(e){
                e.target._map && e.target._map.off("zoomend moveend", later);
                u.off("animationend add remove", later);
            });
            return g;
        })();
        {% endmacro %}
        """)
    )

    def __init__(
        self,
        units: UnitPoints,
        rows: str,
        *,
        name: str,
        label: str = "Neuansiedlung",
        color: str = "#e6ab02",
        show: bool = True,
    ) -> None:
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "RingPoints"
        self.units = units
        self.rows = rows
        self.label = esc(label)
        self.color = color


class VacancyHeat(HeatMap):
    """folium's heat map of the units of a :class:`UnitPoints` layer in the given categories."""

    _template = Template(
        _squeeze("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function(){
            var d = {{ this.units.get_name() }}.qmRows, v = {{ this.codes }}, p = [];
            for (var i = 0; i < d.length; i++) {
                if (v.indexOf(d[i][2]) >= 0) { p.push([d[i][0], d[i][1]]); }
            }
            return L.heatLayer(p, {{ this.options|tojavascript }});
        })();
        {% endmacro %}
        """)
    )

    def __init__(
        self, units: UnitPoints, codes: tuple[int, ...], *, name: str, show: bool = False
    ) -> None:
        super().__init__([], name=name, radius=22, blur=18, min_opacity=0.3, show=show)
        self._name = "VacancyHeat"
        self.units = units
        self.codes = _compact_json(list(codes))


class AreaOutlines(Layer):
    """Non-interactive outlines, optionally with permanent name labels.

    Labels sit in a pane below the units and clusters and are shown from zoom
    ``labels_from_zoom`` on (smaller at that zoom), so that they neither
    overlap each other nor hide clusters when zoomed out.
    """

    _template = Template(
        _squeeze("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function(){
            var g = L.featureGroup();
            L.geoJSON({{ this.geojson }}, {interactive: false,
                style: {{ this.style|tojavascript }}}).addTo(g);
            {% if this.labels %}
            var map = {{ this._parent.get_name() }}, z = {{ this.labels_from_zoom }};
            if (!map.getPane("qmLabels")) { map.createPane("qmLabels").style.zIndex = 390; }
            var t = {{ this.labels }};
            for (var i = 0; i < t.length; i++) {
                L.tooltip({permanent: true, direction: "center", className: "qm-label",
                    interactive: false, pane: "qmLabels"}).setLatLng([t[i][0], t[i][1]]).setContent(t[i][2]).addTo(g);
            }
            var zoomed = function(){
                var c = map.getContainer(), k = map.getZoom();
                c.classList.toggle("qm-labels-off", k < z);
                c.classList.toggle("qm-labels-small", k >= z && k < z + 1);
            };
            map.on("zoomend", zoomed);
            zoomed();
            {% endif %}
            return g;
        })();
        {% endmacro %}
        """)
    )

    def __init__(
        self,
        geojson: str,
        *,
        name: str,
        style: dict,
        labels: str | None = None,
        labels_from_zoom: int = LABELS_FROM_ZOOM,
    ) -> None:
        super().__init__(name=name, overlay=True, control=True, show=True)
        self._name = "AreaOutlines"
        self.geojson = geojson
        self.style = style
        self.labels = labels
        self.labels_from_zoom = int(labels_from_zoom)


class MetricScale(MacroElement):
    """A scale bar in metres and kilometres only (Leaflet's default adds miles and feet)."""

    _template = Template(
        _squeeze("""
        {% macro script(this, kwargs) %}
        L.control.scale({imperial: false, metric: true, maxWidth: 120}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """)
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "MetricScale"


class Legend(MacroElement):
    """A collapsible legend control plus a thin bar at the top when base-map tiles fail to load."""

    _template = Template(
        _squeeze("""
        {% macro script(this, kwargs) %}
        (function(map){
            var legend = L.control({position: "bottomright"});
            legend.onAdd = function(){
                var div = L.DomUtil.create("div", {{ this.css_class }});
                div.innerHTML = {{ this.content }};
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                return div;
            };
            legend.addTo(map);
            var note = L.DomUtil.create("div", "qm-offline", map.getContainer());
            note.innerHTML = {{ this.offline_note }};
            note.style.display = "none";
            L.DomEvent.disableClickPropagation(note);
            var show = function(){ note.style.display = "block"; };
            var watch = function(layer){ if (layer instanceof L.TileLayer) { layer.on("tileerror", show); } };
            map.eachLayer(watch);
            map.on("layeradd", function(e){ watch(e.layer); });
        })({{ this._parent.get_name() }});
        {% endmacro %}
        """)
    )

    def __init__(self, content_html: str, *, compact: bool = False, style: str | None = None) -> None:
        super().__init__()
        self._name = "Legend"
        self.content = _compact_json(content_html)
        style = style or ("compact" if compact else "full")
        self.css_class = _compact_json("qm-legend" if style == "full" else f"qm-legend {style}")
        self.offline_note = _compact_json(esc(_OFFLINE_NOTE))


def _css(text: str) -> str:
    """Style rules without needless white space (every map sends them to the browser)."""
    return re.sub(r"\s*([{};:,>])\s*", r"\1", text.strip())


#: Style rules of every map (legend, offline bar, Ortsteil labels); the others only where used.
_CSS_BASE = _css("""
.qm-legend{background:rgba(255,255,255,.93);padding:5px 9px;border-radius:4px;font:12px/1.45 sans-serif;
 box-shadow:0 1px 4px rgba(0,0,0,.3);max-width:250px}
.qm-legend summary{font-weight:bold;cursor:pointer}
.qm-legend i{display:inline-block;width:11px;height:11px;border-radius:50%;border:1px solid #333;
 margin-right:5px;vertical-align:-1px}
.qm-legend i.ring{background:none;border:3px solid #e6ab02;width:9px;height:9px}
.qm-legend .note{color:#666;font-size:11px}
.qm-legend .demo{margin-top:3px;color:#b2182b;font-weight:bold}
.qm-offline{position:absolute;top:0;left:50%;transform:translateX(-50%);z-index:1000;background:#fff3cd;
 border:1px solid #e0c36c;border-top:0;border-radius:0 0 4px 4px;padding:1px 8px;font:11px/1.4 sans-serif;color:#5c4a00}
.qm-label{background:none;border:none;box-shadow:none;color:#444;font:600 11px sans-serif;
 text-shadow:0 0 3px #fff,0 0 3px #fff}
.qm-label:before,.qm-labels-off .qm-label{display:none}
.qm-labels-small .qm-label{font-size:10px}
""")

_CSS_CLUSTER = _css("""
.qm-legend i.cl{border:none;width:13px;height:13px;vertical-align:-2px;
 background:radial-gradient(circle,#37474f 0 47%,transparent 48%),conic-gradient(#d73027 0 30%,#cfd8dc 30% 100%)}
.marker-cluster.qm-cluster{background:none}
.qm-cluster div,.qm-cluster span{border-radius:50%;display:grid;place-items:center}
.qm-cluster div{width:100%;height:100%;margin:0;box-shadow:0 1px 3px #0007}
.qm-cluster span{width:calc(100% - 8px);height:calc(100% - 8px);background:#37474f;color:#fff;font:600 12px/1 sans-serif}
""")

_CSS_LEGEND = {
    "full": "",
    "compact": _css("""
.qm-legend.compact{font-size:11px;line-height:1.35;padding:3px 7px;max-width:300px}
.compact .rows{display:grid;grid-template-columns:auto auto;column-gap:10px}
.compact i{width:9px;height:9px;margin-right:3px}
.compact i.cl{width:11px;height:11px}
"""),
    "large": _css("""
.qm-legend.large{font-size:15px;max-width:340px;padding:7px 11px}
.large i{width:14px;height:14px}
.large .note{font-size:13px}
"""),
}


def map_css(*, cluster: bool = True, legend: str = "full") -> str:
    """The ``<style>`` element of a map: only the rules its clusters and legend style need."""
    return f"<style>{_CSS_BASE}{_CSS_CLUSTER if cluster else ''}{_CSS_LEGEND.get(legend, '')}</style>"


#: All style rules as one ``<style>`` element, for maps built outside :func:`render_map` (``<b>`` as a heading).
_CSS = (
    f"<style>{_CSS_BASE}{_CSS_CLUSTER}{''.join(_CSS_LEGEND.values())}"
    ".qm-legend b{display:block;margin-bottom:2px}</style>"
)


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
        line = f'<i style="background:{esc(cat.color, quote=True)}"></i>{esc(cat.label)} ({_int(count)})'
        if index in data.hidden:
            line += '<span class="note"> · Ebene einschaltbar</span>'
        rows.append(line)
    notes = []
    if data.settlements is not None:
        rows.append(f'<i class="ring"></i>{esc(data.settlements_label)} ({_int(data.settlements_count)})')
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


def new_map(*, height: int | None = None) -> folium.Map:
    """An empty folium map of Leipzig without tiles, with ``maxZoom`` set (:data:`MAX_ZOOM`).

    Every map of the project is created here, so that each one works with
    every base map, „ohne Hintergrundkarte“ included.

    Parameters
    ----------
    height
        Map height in pixels (default: fill the frame).
    """
    kwargs: dict[str, Any] = {"height": f"{height}px"} if height else {}
    m = folium.Map(
        location=LEIPZIG_CENTER, zoom_start=12, tiles=None, prefer_canvas=True, control_scale=False, **kwargs
    )
    m.options["max_zoom"] = MAX_ZOOM  # folium gives max_zoom only to a tile layer it creates itself
    return m


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
    m.get_root().header.add_child(Element(map_css(cluster=cluster, legend=style)), name="qm_css")
    for key, label in BASEMAPS.items():
        if key == "none":
            folium.FeatureGroup(name=label, overlay=False, show=basemap == key).add_to(m)
        else:
            url, attr = _TILES[key]
            folium.TileLayer(url, attr=attr, name=label, max_zoom=MAX_ZOOM, show=basemap == key).add_to(m)
    if data.quarters:
        AreaOutlines(
            data.quarters, name="Quartiere", style={"color": "#08306b", "weight": 3, "fill": False}
        ).add_to(m)
    if data.ortsteile:
        AreaOutlines(
            data.ortsteile,
            name="Ortsteile",
            style={"color": "#555555", "weight": 1.5, "dashArray": "5 4", "fillOpacity": 0.03},
            labels=data.ortsteil_labels,
        ).add_to(m)
    hidden_n = sum(data.units.counts[i] for i in data.hidden)
    units = UnitPoints(
        data.units,
        name=f"Einheiten ({_int(data.units.n - hidden_n)})",
        cluster=cluster,
        skip=data.hidden,
    ).add_to(m)
    for index in data.hidden:
        cat = data.units.categories[index]
        SubsetPoints(units, (index,), name=f"{cat.label} ({_int(data.units.counts[index])})").add_to(m)
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
        m.fit_bounds([[s - pad, w - pad], [n + pad, e + pad]], max_zoom=17)
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
