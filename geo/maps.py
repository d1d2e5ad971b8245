"""Folium maps of the register: units by status, boundaries, new settlements, vacancy heat.

A map is made in two steps so that the app can cache the expensive part:

1. :func:`prepare_map` turns a status frame (:func:`geo.stats.status_at`, or
   :func:`geo.stats.compare` for a before/after map) into a :class:`MapData`
   of plain, compact, already escaped values; it is picklable and cheap to
   cache.
2. :func:`render_map` builds a fresh :class:`folium.Map` from it on every run
   (a map object must not be shared between sessions).

Units are drawn in the browser from one compact JSON array (circle markers,
clustered when zoomed out) instead of one folium element per unit: about 60
bytes per unit. All text shown in tooltips is HTML-escaped here; business
names and addresses are user input. Leaflet and its plugins come from the
installed package (:mod:`geo._assets`); only base-map tiles are loaded online.
"""

from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass
from datetime import date
from typing import Any

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
from geo._assets import asset_links, inline_assets
from geo.model import STATUS_COLORS, STATUS_LABELS, STATUSES, VACANT_STATUSES

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

_OFFLINE_NOTE = "Hintergrundkarte nicht erreichbar (offline?) – Grenzen und Einheiten werden trotzdem angezeigt."

#: Centre of Leipzig, for an empty map.
LEIPZIG_CENTER = (51.3397, 12.3731)

#: Zoom level from which units are drawn one by one instead of in clusters.
CLUSTER_UNTIL_ZOOM = 16


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

#: Classes of :func:`geo.stats.compare` in legend order.
CHANGE_CATEGORIES: tuple[Category, ...] = (
    Category("newly_vacant", "neu leer", "#d73027"),
    Category("newly_occupied", "neu genutzt", "#1a9850"),
    Category("other", "andere Änderung", "#984ea3"),
    Category("unchanged", "unverändert", "#bdbdbd"),
)


def esc(value: Any, *, quote: bool = False) -> str:
    """``value`` as HTML-escaped text; missing values become an empty string.

    ``&``, ``<`` and ``>`` are always escaped; quotes only with ``quote=True``
    (needed inside attribute values, not in element content).
    """
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    return html.escape(str(value), quote=quote)


def _compact_json(value: Any) -> str:
    """JSON without spaces, safe inside a ``<script>`` element."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e")


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


def _int(value: int) -> str:
    return f"{int(value):,}".replace(",", ".")


def _fmt_date(value: Any) -> str:
    stamp = pd.Timestamp(value)
    return "" if pd.isna(stamp) else stamp.strftime("%d.%m.%Y")


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
) -> MapData:
    """The data of a map, compact and escaped, ready to cache.

    Parameters
    ----------
    frame
        Units with their class in ``column``: :func:`geo.stats.status_at`
        (``column="status"``) or :func:`geo.stats.compare`
        (``column="change"``, ``categories=CHANGE_CATEGORIES``).
    boundaries
        Ortsteil outlines (``name``, ``quarter``); quarters are their union.
    settlements
        New settlements to highlight (:func:`geo.stats.events`).
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
    )


# -- folium elements -----------------------------------------------------------------


class UnitPoints(JSCSSMixin, Layer):
    """Units drawn in the browser from compact rows as circle markers, optionally clustered."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function(){
            var C = {{ this.colors }}, N = {{ this.labels }}, S = {{ this.streets }};
            var d = {{ this.points.rows }};
            var g = {% if this.cluster %}L.markerClusterGroup({{ this.options|tojavascript }}){% else %}L.featureGroup(){% endif %};
            var ms = [];
            for (var i = 0; i < d.length; i++) {
                var r = d[i];
                var m = L.circleMarker([r[0], r[1]], {radius: 6, weight: 1, color: "#333333",
                    opacity: 0.9, fillColor: C[r[2]], fillOpacity: 0.9});
                var a = ((S[r[4] || 0] || "") + " " + (r[5] || "")).trim();
                m.bindTooltip("<b>" + r[3] + "</b>" + (a ? " · " + a : "") + "<br>" + N[r[2]]
                    + (r[6] ? " · " + r[6] : ""));
                ms.push(m);
            }
            {% if this.cluster %}g.addLayers(ms);{% else %}ms.forEach(function(m){ g.addLayer(m); });{% endif %}
            g.qmRows = d;
            return g;
        })();
        {% endmacro %}
        """
    )

    default_js = MarkerCluster.default_js
    default_css = MarkerCluster.default_css

    def __init__(
        self, points: PointSet, *, name: str, cluster: bool = True, show: bool = True
    ) -> None:
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "UnitPoints"
        self.points = points
        self.cluster = cluster
        self.colors = _compact_json([c.color for c in points.categories])
        self.labels = _compact_json([esc(c.label) for c in points.categories])
        self.streets = _compact_json(list(points.streets))
        self.options = {
            "disableClusteringAtZoom": CLUSTER_UNTIL_ZOOM,
            "chunkedLoading": True,
            "showCoverageOnHover": False,
            "maxClusterRadius": 45,
        }
        if not cluster:
            self.default_js, self.default_css = [], []


class RingPoints(Layer):
    """Highlight rings (new settlements) around units of a :class:`UnitPoints` layer.

    ``rows`` is a JSON array of ``[unit_row, "dd.mm.yyyy"]``; position, id and
    name come from the units layer's rows, so a highlight costs about 15 bytes.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function(){
            var d = {{ this.units.get_name() }}.qmRows, s = {{ this.rows }}, g = L.featureGroup();
            for (var i = 0; i < s.length; i++) {
                var r = d[s[i][0]];
                L.circleMarker([r[0], r[1]], {radius: 11, weight: 3, color: "{{ this.color }}",
                    opacity: 1, fill: false}).bindTooltip("<b>" + r[3] + "</b> · {{ this.label }} " + s[i][1]
                    + (r[6] ? " · " + r[6] : "")).addTo(g);
            }
            return g;
        })();
        {% endmacro %}
        """
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
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function(){
            var d = {{ this.units.get_name() }}.qmRows, v = {{ this.codes }}, p = [];
            for (var i = 0; i < d.length; i++) {
                if (v.indexOf(d[i][2]) >= 0) { p.push([d[i][0], d[i][1]]); }
            }
            return L.heatLayer(p, {{ this.options|tojavascript }});
        })();
        {% endmacro %}
        """
    )

    def __init__(
        self, units: UnitPoints, codes: tuple[int, ...], *, name: str, show: bool = False
    ) -> None:
        super().__init__([], name=name, radius=22, blur=18, min_opacity=0.3, show=show)
        self._name = "VacancyHeat"
        self.units = units
        self.codes = _compact_json(list(codes))


class AreaOutlines(Layer):
    """Non-interactive outlines, optionally with permanent name labels."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function(){
            var g = L.featureGroup();
            L.geoJSON({{ this.geojson }}, {interactive: false,
                style: {{ this.style|tojavascript }}}).addTo(g);
            {% if this.labels %}
            var t = {{ this.labels }};
            for (var i = 0; i < t.length; i++) {
                L.tooltip({permanent: true, direction: "center", className: "qm-label",
                    interactive: false}).setLatLng([t[i][0], t[i][1]]).setContent(t[i][2]).addTo(g);
            }
            {% endif %}
            return g;
        })();
        {% endmacro %}
        """
    )

    def __init__(self, geojson: str, *, name: str, style: dict, labels: str | None = None) -> None:
        super().__init__(name=name, overlay=True, control=True, show=True)
        self._name = "AreaOutlines"
        self.geojson = geojson
        self.style = style
        self.labels = labels


class Legend(MacroElement):
    """A legend control plus a note that appears when base-map tiles fail to load."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function(map){
            var legend = L.control({position: "bottomright"});
            legend.onAdd = function(){
                var div = L.DomUtil.create("div", "qm-legend");
                div.innerHTML = {{ this.content }};
                L.DomEvent.disableClickPropagation(div);
                return div;
            };
            legend.addTo(map);
            var note = L.control({position: "bottomleft"});
            note.onAdd = function(){
                var div = L.DomUtil.create("div", "qm-offline");
                div.innerHTML = {{ this.offline_note }};
                div.style.display = "none";
                return div;
            };
            note.addTo(map);
            var show = function(){ var n = note.getContainer(); if (n) { n.style.display = "block"; } };
            var watch = function(layer){ if (layer instanceof L.TileLayer) { layer.on("tileerror", show); } };
            map.eachLayer(watch);
            map.on("layeradd", function(e){ watch(e.layer); });
        })({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, content_html: str) -> None:
        super().__init__()
        self._name = "Legend"
        self.content = _compact_json(content_html)
        self.offline_note = _compact_json(esc(_OFFLINE_NOTE))


_CSS = """<style>
.qm-legend{background:rgba(255,255,255,.92);padding:6px 9px;border-radius:4px;font:12px/1.45 sans-serif;
 box-shadow:0 1px 4px rgba(0,0,0,.3);max-width:230px}
.qm-legend b{display:block;margin-bottom:2px}
.qm-legend i{display:inline-block;width:11px;height:11px;border-radius:50%;border:1px solid #333;
 margin-right:5px;vertical-align:-1px}
.qm-legend i.ring{background:none;border:3px solid #e6ab02;width:9px;height:9px}
.qm-legend .demo{margin-top:4px;color:#b2182b;font-weight:bold}
.qm-offline{background:#fff3cd;border:1px solid #e0c36c;padding:4px 8px;border-radius:4px;font:12px sans-serif;max-width:320px}
.qm-label{background:transparent;border:none;box-shadow:none;color:#444;font:600 11px sans-serif;
 text-shadow:0 0 3px #fff,0 0 3px #fff}
.qm-label:before{display:none}
</style>"""


def legend_html(data: MapData) -> str:
    """The legend's HTML (all text escaped): classes with counts, highlights, demo mark."""
    units = data.units
    lines = [f"<b>{esc(data.legend_title)}</b>"]
    shown = [(c, n) for c, n in zip(units.categories, units.counts, strict=False) if n] or list(
        zip(units.categories, units.counts, strict=False)
    )
    for cat, count in shown:
        lines.append(
            f'<i style="background:{esc(cat.color, quote=True)}"></i>{esc(cat.label)} ({_int(count)})'
        )
    if data.settlements is not None:
        lines.append(
            f'<i class="ring"></i>{esc(data.settlements_label)} ({_int(data.settlements_count)})'
        )
    if data.heat is not None:
        lines.append("Wärmebild: Dichte der leeren Einheiten")
    out = lines[0] + "<br>".join(lines[1:])
    if data.demo:
        out += f'<div class="demo">{esc(settings.demo_label)}</div>'
    return out


def render_map(
    data: MapData,
    *,
    basemap: str = "osm",
    cluster: bool = True,
    height: int | None = None,
) -> folium.Map:
    """A fresh folium map of ``data`` with offline assets.

    Parameters
    ----------
    basemap
        Base map shown first: ``"osm"``, ``"positron"`` or ``"none"``; the
        others are offered in the layer control.
    cluster
        Cluster units when zoomed out (below zoom 16).
    height
        Map height in pixels (default: fill the frame).
    """
    if basemap not in BASEMAPS:
        basemap = "osm"
    kwargs: dict[str, Any] = {"height": f"{height}px"} if height else {}
    m = folium.Map(
        location=LEIPZIG_CENTER,
        zoom_start=12,
        tiles=None,
        prefer_canvas=True,
        control_scale=True,
        **kwargs,
    )
    m.get_root().header.add_child(Element(_CSS), name="qm_css")
    for key, label in BASEMAPS.items():
        if key == "none":
            folium.FeatureGroup(name=label, overlay=False, show=basemap == key).add_to(m)
        else:
            url, attr = _TILES[key]
            folium.TileLayer(url, attr=attr, name=label, max_zoom=19, show=basemap == key).add_to(m)
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
    units = UnitPoints(
        data.units, name=f"Einheiten ({_int(data.units.n)})", cluster=cluster
    ).add_to(m)
    if data.heat is not None:
        VacancyHeat(units, data.heat, name="Leerstand (Wärmebild)").add_to(m)
    if data.settlements is not None:
        RingPoints(
            units, data.settlements, name=data.settlements_label or "Neuansiedlungen"
        ).add_to(m)
    Legend(legend_html(data)).add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)
    if data.units.bounds is not None:
        (s, w), (n, e) = data.units.bounds
        pad = 0.002
        m.fit_bounds([[s - pad, w - pad], [n + pad, e + pad]], max_zoom=17)
    return inline_assets(m)


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


def payload(m: folium.Map) -> dict[str, int]:
    """Bytes streamlit-folium sends to the browser for ``m``, by part.

    Uses a rendering of ``m`` exactly as ``st_folium`` does (script, header,
    HTML, script and style-sheet links). ``m`` is changed by the rendering:
    pass a map built for measuring only.
    """
    import streamlit_folium as sf

    m.get_root().render()
    m.render()
    html_part = sf._get_html(m)
    header = sf._get_header(m)
    script = sf._get_map_string(m)
    js, css = asset_links(m)
    sizes = {
        "script": len(script.encode()),
        "header": len(header.encode()),
        "html": len(html_part.encode()),
        "js_links": sum(len(u.encode()) for u in js),
        "css_links": sum(len(u.encode()) for u in css),
    }
    sizes["total"] = sum(sizes.values())
    return sizes
