"""Outlines of Ortsteile and quarters with their names, and the view a map is fitted to.

* :class:`AreaOutlines` -- non-interactive outlines with permanent name labels; one function per
  map (:data:`_PLACE_LABELS_JS`) places the names of all outline layers after every zoom: quarter
  names above their outlines when zoomed out, Ortsteil names from
  :data:`geo.outputs._leaflet.LABELS_FROM_ZOOM`, none where it would overlap another name, a
  control (legend, zoom, layers) or a cluster bubble;
* :func:`_quarter_labels` -- where the quarter names stand (the top of each quarter's outline);
* :class:`FitView` -- fits a map to its bounds with the legend's room kept free.

Part of the browser plumbing of :mod:`geo.outputs._leaflet`; :mod:`geo.outputs.maps` exports the
public names.
"""

from __future__ import annotations

from typing import Any, Literal

import geopandas as gpd
from folium.map import Layer
from folium.template import Template

from geo import settings
from geo.outputs._leaflet import LABELS_FROM_ZOOM, MAX_ZOOM, _compact_json, _squeeze, esc
from geo.outputs._render import RawRender

#: Quarter names („Grünau“, „Leipziger Osten“) are shown above their outline below this zoom level,
#: so that an overview map of both quarters says which is which.
QUARTER_LABELS_UNTIL_ZOOM = 14


def _quarter_labels(boundaries: gpd.GeoDataFrame | None) -> str | None:
    """Quarter names at the top centre of each quarter's outline, as ``[[lat, lon, name], …]`` (escaped)."""
    if boundaries is None or not len(boundaries) or "quarter" not in boundaries:
        return None
    b = boundaries.loc[boundaries.geometry.notna() & boundaries["quarter"].notna()]
    if not len(b):
        return None
    rows = []
    for name, part in b.to_crs(settings.storage_crs).groupby(b["quarter"].astype(str), sort=True):
        west, _, east, north = (float(v) for v in part.total_bounds)
        if esc(name):
            rows.append([round(north, 5), round((west + east) / 2, 5), esc(name)])
    return _compact_json(rows) if rows else None


#: JavaScript: ``function(map)`` setting up, once per map, the list of name labels (``map.qmLabels``) and
#: the function placing them (``map.qmPlaceLabels``, returned; run after every zoom, move and re-clustering).
#: A label outside its zoom range is hidden; so is one under a control (legend, zoom, layers, scale,
#: attribution), a quarter name overlapping one placed before it, and an
#: Ortsteil name overlapping a placed name or a cluster bubble (labels lie below the units) at its anchor
#: and one or two lines above or below it; a name is shown only where it fits into the map as a whole.
_PLACE_LABELS_JS = _squeeze("""function(map){
                if (map.qmPlaceLabels) { return map.qmPlaceLabels; }
                if (!map.getPane("qmLabels")) { map.createPane("qmLabels").style.zIndex = 390; }
                map.qmLabels = [];
                var free = function(r, taken){
                    for (var j = 0; j < taken.length; j++) {
                        var o = taken[j];
                        if (!(r.right <= o.left || o.right <= r.left || r.bottom <= o.top || o.bottom <= r.top)) { return false; }
                    }
                    return true;
                };
                var timer = null, place = function(){
                    timer = null;
                    var k = map.getZoom(), taken = [], box = map.getContainer(), v = box.getBoundingClientRect();
                    box.classList.toggle("qm-labels-small", k < {{ small_until }});
                    box.querySelectorAll(".leaflet-control").forEach(function(c){ taken.push(c.getBoundingClientRect()); });
                    for (var pass = 0; pass < 2; pass++) {
                        if (pass === 1) {
                            box.querySelectorAll(".marker-cluster").forEach(function(c){ taken.push(c.getBoundingClientRect()); });
                        }
                        for (var i = 0; i < map.qmLabels.length; i++) {
                            var l = map.qmLabels[i], e = l.t.getElement();
                            if (!e || !l.t._map || l.q !== (pass === 0)) { continue; }
                            var on = k >= l.lo && k < l.hi;
                            e.style.display = on ? "" : "none";
                            if (!on) { continue; }
                            // a quarter name cut off at the map's edge moves below its anchor (into the quarter),
                            // an Ortsteil name up or down a line where its centre is taken (a cluster)
                            var r = null, tries = l.q ? [0, 1.6] : [0, -1, 1, -2, 2];
                            for (var t = 0; t < tries.length && r === null; t++) {
                                l.t.options.offset = L.point(l.off[0], l.off[1] + 15 * tries[t]);
                                l.t.update();  // from its latlng: a view reset before the frame had its size leaves it stale
                                var b = e.getBoundingClientRect();
                                var inside = b.left >= v.left && b.right <= v.right && b.top >= v.top && b.bottom <= v.bottom;
                                if (inside && free(b, taken)) { r = b; }
                            }
                            if (r !== null) { taken.push(r); } else { e.style.display = "none"; }
                        }
                    }
                };
                map.qmPlaceLabels = function(){ if (timer === null) { timer = setTimeout(place, 0); } };
                map.on("zoomend moveend viewreset overlayadd resize", map.qmPlaceLabels);
                var watch = function(layer){
                    if (L.MarkerClusterGroup && layer instanceof L.MarkerClusterGroup) {
                        layer.on("animationend", map.qmPlaceLabels);
                        setTimeout(map.qmPlaceLabels, 700);  // clusters are loaded in chunks
                    }
                };
                map.eachLayer(watch);
                map.on("layeradd", function(e){ watch(e.layer); });
                return map.qmPlaceLabels;
            }""")


class AreaOutlines(Layer, RawRender):
    """Non-interactive outlines, optionally with permanent name labels and an attribution.

    ``attribution`` (HTML, escaped by the caller, e.g. :func:`boundary_attribution_html`) is shown
    in the map's attribution line while the layer is on.

    Labels (``[[lat, lon, escaped name], …]``) sit in a pane below the units
    and clusters, so they never hide a unit. They are shown from zoom
    ``labels_from_zoom`` up to (not including) ``labels_until_zoom``; after
    every zoom one function per map (:data:`_PLACE_LABELS_JS`) places the
    labels of all outline layers in the order they were added and leaves out a
    label that would overlap one already placed. ``kind="quarter"`` draws bold
    names above the anchor (the top of a quarter's outline), ``"ortsteil"``
    names centred on it, smaller at zoom ``labels_from_zoom``.
    """

    _template = Template(
        _squeeze("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function(){
            var g = L.featureGroup([], {{ this.group_options }});
            L.geoJSON({{ this.geojson }}, {interactive: false,
                style: {{ this.style|tojavascript }}}).addTo(g);
            {% if this.labels %}
            var map = {{ this._parent.get_name() }}, place = ({{ this.place_js }})(map), t = {{ this.labels }};
            for (var i = 0; i < t.length; i++) {
                map.qmLabels.push({lo: {{ this.labels_from_zoom }}, hi: {{ this.labels_until_zoom }}, q: {{ this.quarter }}, off: {{ this.offset }},
                    t: L.tooltip({permanent: true, direction: {{ this.direction }}, offset: {{ this.offset }},
                    className: {{ this.css_class }}, interactive: false, pane: "qmLabels"})
                    .setLatLng([t[i][0], t[i][1]]).setContent(t[i][2]).addTo(g)});
            }
            g.on("add", place);
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
        style: dict[str, Any],
        labels: str | None = None,
        labels_from_zoom: int = LABELS_FROM_ZOOM,
        labels_until_zoom: int = MAX_ZOOM + 1,
        kind: Literal["ortsteil", "quarter"] = "ortsteil",
        attribution: str | None = None,
    ) -> None:
        super().__init__(name=name, overlay=True, control=True, show=True)
        self._name = "AreaOutlines"
        self.geojson = geojson
        self.style = style
        self.labels = labels
        self.labels_from_zoom = int(labels_from_zoom)
        self.labels_until_zoom = int(labels_until_zoom)
        quarter = kind == "quarter"
        self.quarter = _compact_json(quarter)
        self.direction = _compact_json("top" if quarter else "center")
        self.offset = _compact_json([0, -2] if quarter else [0, 0])
        self.css_class = _compact_json("qm-label q" if quarter else "qm-label")
        self.place_js = _PLACE_LABELS_JS.replace("{{ small_until }}", str(LABELS_FROM_ZOOM + 1))
        # shown in the map's attribution line while the layer is on (Leaflet's layer attribution)
        self.group_options = _compact_json({"attribution": attribution} if attribution else {})


class FitView(RawRender):
    """Fit the map to ``bounds`` so that the legend (bottom right, :class:`Legend`) covers none of them.

    The legend's room is kept free either beside the bounds (right) or below
    them, whichever allows the closer zoom; without a legend, or before the
    map has a size, the map is fitted with a small margin only. The fitted
    bounds are kept as ``map.qmFit`` (for checks in the browser).
    """

    _template = Template(
        _squeeze("""
        {% macro script(this, kwargs) %}
        (function(map){
            var b = L.latLngBounds({{ this.bounds|tojson }}), p = {{ this.margin }}, z = {{ this.max_zoom }};
            var o = {maxZoom: z, padding: [p, p]}, lg = map.qmLegend, s = map.getSize();
            if (lg && s.x > 0 && s.y > 0 && lg.offsetWidth > 0) {
                var w = lg.offsetWidth + 2 * p, h = lg.offsetHeight + 2 * p;
                var beside = Math.min(z, map.getBoundsZoom(b, false, L.point(w + p, 2 * p)));
                var below = Math.min(z, map.getBoundsZoom(b, false, L.point(2 * p, h + p)));
                o = {maxZoom: z, paddingTopLeft: [p, p], paddingBottomRight: beside >= below ? [w, p] : [p, h]};
            }
            map.fitBounds(b, o);
            map.qmFit = b;
        })({{ this._parent.get_name() }});
        {% endmacro %}
        """)
    )

    def __init__(self, bounds: list[list[float]], *, max_zoom: int = 17, margin: int = 6) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # branca: MacroElement.__init__ unannotated
        self._name = "FitView"
        self.bounds = [[float(v) for v in corner] for corner in bounds]
        self.max_zoom = int(max_zoom)
        self.margin = int(margin)
