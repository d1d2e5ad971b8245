"""Browser plumbing of the folium maps: compact JSON, HTML escaping, the Leaflet layers drawn from
compact rows (units, clusters, rings, heat map), scale, legend control, style rules; the outlines with
place names and the fitted view are in :mod:`geo.outputs._areas`.

Every map of the project is created by :func:`new_map`; :mod:`geo.outputs.maps` builds the
register's maps from these parts, :mod:`geo.outputs.building_maps` and :mod:`geo.outputs.osm_maps`
reuse them.
"""

from __future__ import annotations

import html
import json
import re
from typing import TYPE_CHECKING, Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Figure
from folium.elements import JSCSSMixin
from folium.map import Layer
from folium.plugins import HeatMap, MarkerCluster
from folium.template import Template

from geo import settings
from geo.formats import display_text
from geo.outputs._controls import FocusInPlace, GermanControls
from geo.outputs._render import RawRender, RawText
from geo.places.attribution import BOUNDARY_LICENCE_URL, OFFICIAL_SOURCE
from geo.register.model import VACANT_STATUSES

if TYPE_CHECKING:
    from geo.outputs.maps import PointSet


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

#: Zoom level from which Ortsteil names are shown (below, they crowd each other and the clusters); a name
#: that would overlap a name already placed (quarter names first, then the larger Ortsteile) or a cluster
#: bubble is left out at that zoom.
LABELS_FROM_ZOOM = 13

#: A legend is shown collapsed (title only, opened by a click) when open it would cover more than this
#: share of the map; maps are fitted so that the legend does not cover what they show.
LEGEND_MAX_SHARE = 0.2

#: Colours of a cluster bubble: inner disc, ring track, ring share of vacant units.
CLUSTER_COLOR, CLUSTER_TRACK, CLUSTER_VACANT = "#37474f", "#cfd8dc", "#d73027"


# -- text and JSON for the browser ------------------------------------------------------------


def esc(value: Any, *, quote: bool = False) -> str:
    """``value`` as HTML-escaped text; missing values (None, NaN, NA, NaT) become an empty string.

    ``&``, ``<`` and ``>`` are always escaped; quotes only with ``quote=True``
    (needed inside attribute values, not in element content). Braces become character references,
    so that no template pass (folium's own elements, e.g. a marker's tooltip, compile their
    rendered text as a Jinja template) reads ``{{ … }}`` or ``{% … %}`` in user text.
    """
    return html.escape(display_text(value), quote=quote).replace("{", "&#123;").replace("}", "&#125;")


def esc_values(values: Any) -> list[str]:
    """:func:`esc` of every value of a column (a Series or array), made once per distinct value.

    Streets, house numbers and many business names repeat: at 50,000 units the map's rows
    escaped 200,000 texts one by one. Missing values become an empty string, as with :func:`esc`.
    """
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
    escaped = np.array([_esc_distinct(v) for v in uniques] + [""], dtype=object)  # code -1 (missing): the last, ""
    return list(escaped[codes])


#: The characters :func:`esc` replaces (quotes left as they are).
_ESCAPED = re.compile(r"[&<>{}]")


def _esc_distinct(value: Any) -> str:
    """:func:`esc` of one value; text without a character to replace is only stripped.

    Most texts of a column (unit ids, names) have none: at 50,000 units this saves 0.03–0.06 s
    of a 0.3 s map view.
    """
    if type(value) is str:
        text = value.strip()
        return esc(text) if _ESCAPED.search(text) else text
    return esc(value)


def _compact_json(value: Any) -> str:
    """JSON without spaces, safe inside a ``<script>`` element."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e")


def _squeeze(source: str) -> str:
    """Template or script text without the indentation (every map sends it to the browser)."""
    return re.sub(r"\n[ \t]+", "\n", source.strip())


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
    areas = b.to_crs(settings.metric_crs).geometry.area.to_numpy()
    named = sorted(zip(areas, points, b["name"].astype(object), strict=False), key=lambda t: -t[0])
    labels = _compact_json([[round(p.y, 5), round(p.x, 5), esc(n)] for _, p, n in named if esc(n)])
    with_quarter = b.loc[b["quarter"].notna()] if "quarter" in b else b.iloc[0:0]
    quarters = None
    if len(with_quarter):
        merged = with_quarter.to_crs(settings.metric_crs).dissolve(by="quarter")
        merged["geometry"] = merged.geometry.buffer(1.0).buffer(-1.0)
        quarters = _area_json(merged.to_crs(settings.storage_crs))
    return ortsteile, labels, quarters


def boundary_attribution_html(credit: str | None) -> str | None:
    """The attribution line of drawn Ortsteil boundaries as escaped HTML, linked to the licence.

    ``credit`` comes from :func:`geo.places.attribution.boundary_credit`; the official
    boundaries give :data:`geo.places.attribution.BOUNDARY_ATTRIBUTION`. None for None.
    """
    if not credit:
        return None
    text = esc(f"Ortsteilgrenzen: {credit}")
    if OFFICIAL_SOURCE not in credit:
        return text
    url = esc(BOUNDARY_LICENCE_URL, quote=True)
    return f'<a href="{url}" target="_blank" rel="noopener" title="Lizenz">{text}</a>'


# -- folium elements -----------------------------------------------------------------


#: JavaScript: a function making the circle marker of a unit row (colours ``C``); its tooltip comes with :data:`_TIP_JS`.
_MARKER_JS = _squeeze("""function(r){
                var m = L.circleMarker([r[0], r[1]], {radius: 6, weight: 1, color: "#333333",
                    opacity: 0.9, fillColor: C[r[2]], fillOpacity: 0.9});
                m.qmRow = r;
                m.qmCat = r[2];
                return m;
            }""")

#: JavaScript: a layer group's handler that binds a unit marker's tooltip (labels ``N``, streets ``S``) when the
#: pointer first comes over it or presses it -- before the click, whose tooltip text streamlit-folium returns.
#: Binding 50,000 tooltips up front cost the browser about 0.35 s per map; most are never shown.
_TIP_JS = _squeeze("""function(e){
                var m = e.propagatedFrom || e.sourceTarget, r = m && m.qmRow;
                if (!r || m.getTooltip()) { return; }
                var a = ((S[r[4] || 0] || "") + " " + (r[5] || "")).trim();
                m.bindTooltip("<b>" + r[3] + "</b>" + (a ? " · " + a : "") + "<br>" + N[r[2]]
                    + (r[6] ? " · " + r[6] : ""));
                if (e.type === "mouseover") { m.openTooltip(); }
            }""")

#: JavaScript: a cluster bubble in a neutral colour whose ring shows the share of vacant units (``V``).
_CLUSTER_ICON_JS = _squeeze("""function(c){
                var ms = c.getAllChildMarkers(), n = ms.length, v = 0;
                for (var j = 0; j < n; j++) { if (V.indexOf(ms[j].qmCat) >= 0) { v++; } }
                var p = Math.round(100 * v / n), s = n < 10 ? 30 : (n < 100 ? 36 : 44);
                var t = n.toLocaleString("de-DE") + " Einheiten" + (V.length ? ", davon " + v.toLocaleString("de-DE") + " leer (" + p + " %)" : "");
                return L.divIcon({className: "marker-cluster qm-cluster", iconSize: L.point(s, s),
                    html: '<div title="' + t + '" style="background:conic-gradient({{ vacant }} 0 ' + p
                        + '%,{{ track }} ' + p + '% 100%)"><span>' + n + '</span></div>'});
            }""")


class UnitPoints(JSCSSMixin, Layer, RawRender):
    """Units drawn in the browser from compact rows as circle markers, optionally clustered.

    Clusters are neutral bubbles (:data:`CLUSTER_COLOR`) with the number of
    units; their ring shows the share of units in the ``vacant`` categories.
    Units in the ``skip`` categories are left out (drawn by a
    :class:`SubsetPoints` layer). The layer keeps the rows (``qmRows``) and
    the marker of each row (``qmMarkers``, null when skipped) for the layers
    that refer to them. Clustering runs in chunks (the page stays responsive
    with tens of thousands of units); a clustered layer says when it has placed
    every unit (``qmLoaded``). The markers go into the cluster group once it is on the map: before,
    Leaflet.markercluster checks each new marker against every one added so far (at 50,000 units
    1.3 s of the browser's time), on the map it clusters them in chunks without that check.
    """

    _template = Template(
        _squeeze("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function(){
            var C = {{ this.colors }}, N = {{ this.labels }}, S = {{ this.streets }}, V = {{ this.vacant }};
            var d = {{ this.points.rows }}, skip = {{ this.skip }};
            var make = {{ this.marker_js }}, tip = {{ this.tip_js }};
            {% if this.cluster %}
            var o = {{ this.options|tojavascript }};
            o.iconCreateFunction = {{ this.icon_js }};
            o.chunkProgress = function(done, total){ g.qmLoaded = done >= total; };
            var g = L.markerClusterGroup(o);
            g.qmLoaded = false;
            {% else %}
            var g = L.featureGroup();
            {% endif %}
            var ms = [], shown = [];
            for (var i = 0; i < d.length; i++) {
                var m = skip.indexOf(d[i][2]) >= 0 ? null : make(d[i]);
                ms.push(m);
                if (m) { shown.push(m); }
            }
            {% if this.cluster %}g.once("add", function(){ g.addLayers(shown); });
            {% else %}shown.forEach(function(m){ g.addLayer(m); });{% endif %}
            g.qmRows = d;
            g.qmMarkers = ms;
            g.qmMake = make;
            g.qmTip = tip;
            g.on("mouseover mousedown", tip);
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
        self.tip_js = _TIP_JS
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


class SubsetPoints(Layer, RawRender):
    """The units of a :class:`UnitPoints` layer in some categories, as a layer of their own (never clustered)."""

    _template = Template(
        _squeeze("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function(){
            var u = {{ this.units.get_name() }}, d = u.qmRows, v = {{ this.codes }}, g = L.featureGroup();
            for (var i = 0; i < d.length; i++) {
                if (v.indexOf(d[i][2]) >= 0) { g.addLayer(u.qmMake(d[i])); }
            }
            g.on("mouseover mousedown", u.qmTip);
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


class RingPoints(Layer, RawRender):
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


class VacancyHeat(HeatMap, RawRender):
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
        # folium leaves HeatMap.__init__ unannotated
        super().__init__(  # type: ignore[no-untyped-call]
            [], name=name, radius=22, blur=18, min_opacity=0.3, show=show
        )
        self._name = "VacancyHeat"
        self.units = units
        self.codes = _compact_json(list(codes))


class MetricScale(RawRender):
    """A scale bar in metres and kilometres only (Leaflet's default adds miles and feet)."""

    _template = Template(
        _squeeze("""
        {% macro script(this, kwargs) %}
        L.control.scale({imperial: false, metric: true, maxWidth: 120}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """)
    )

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # branca: MacroElement.__init__ unannotated
        self._name = "MetricScale"


class Legend(RawRender):
    """A collapsible legend control plus a thin bar at the top when base-map tiles fail to load.

    The legend (bottom right) starts collapsed when, open, it would cover more
    than :data:`LEGEND_MAX_SHARE` of the map (a small map, a phone); a
    :class:`FitView` added after it keeps the fitted area clear of it.
    """

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
            var box = legend.getContainer(), open = box.querySelector("details"), size = map.getSize();
            if (open && open.open && size.x > 0 && size.y > 0
                && box.offsetWidth * box.offsetHeight > {{ this.max_share }} * size.x * size.y) { open.open = false; }
            map.qmLegend = box;
            if (open) { open.addEventListener("toggle", function(){ if (map.qmPlaceLabels) { map.qmPlaceLabels(); } }); }
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
        super().__init__()  # type: ignore[no-untyped-call]  # branca: MacroElement.__init__ unannotated
        self._name = "Legend"
        self.content = _compact_json(content_html)
        style = style or ("compact" if compact else "full")
        self.css_class = _compact_json("qm-legend" if style == "full" else f"qm-legend {style}")
        self.offline_note = _compact_json(esc(_OFFLINE_NOTE))
        self.max_share = LEGEND_MAX_SHARE


# -- style rules -------------------------------------------------------------------------


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
.leaflet-tooltip.qm-label{background:none;border:none;box-shadow:none;padding:1px 3px;color:#444;font:600 11px sans-serif;
 text-shadow:0 0 3px #fff,0 0 3px #fff}
.qm-label:before{display:none}
.qm-labels-small .qm-label{font-size:10px}
.qm-label.q,.qm-labels-small .qm-label.q{font:700 13px sans-serif;color:#08306b;letter-spacing:.02em}
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


#: All style rules as one ``<style>`` element, for maps built outside :func:`geo.outputs.maps.render_map` (``<b>`` as a heading).
_CSS = (
    f"<style>{_CSS_BASE}{_CSS_CLUSTER}{''.join(_CSS_LEGEND.values())}"
    ".qm-legend b{display:block;margin-bottom:2px}</style>"
)


# -- the map ---------------------------------------------------------------------------------


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
    GermanControls().add_to(m)  # "Layers", "Zoom in" -> German tooltips (geo.outputs._controls)
    FocusInPlace().add_to(m)  # a press on a unit in a half-visible map frame no longer scrolls the page away
    return m


def add_to_head(m: folium.Map, html_text: str, *, name: str) -> None:
    """Put ``html_text`` (e.g. a ``<style>`` block) into the page head of ``m`` as child ``name``."""
    root = m.get_root()
    assert isinstance(root, Figure), "folium puts every Map into a Figure"
    root.header.add_child(RawText(html_text), name=name)
