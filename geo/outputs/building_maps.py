"""Maps of the building-stock development (OSM building snapshots), and the analysis the app caches.

Built on :mod:`geo.osm.buildings` (the figures) and :mod:`geo.outputs.maps` (base maps,
boundaries, legend, escaping, offline assets):

* :func:`analyse_snapshots` reads a series of snapshots once and computes the
  figures per Ortsteil and date plus every change, as a picklable
  :class:`BuildingAnalysis` the app caches;
* :func:`prepare_building_map` / :func:`render_building_map` draw buildings
  added since a year (coloured by year), use changes (own layer) and removed
  buildings (own layer, switchable) on a folium map. Footprints are simplified
  (about 1 m, EPSG:25833), sent as integer micro-degrees with delta coding,
  and drawn in the browser; with many buildings only their centres are drawn.
  Every text from OSM (tag values, ids, names) is HTML-escaped here;
* charts and tables of the figures are in :mod:`geo.outputs.building_figures`.

Show :data:`geo.osm.buildings.CAVEAT` with everything made here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from folium.map import Layer
from folium.template import Template

from geo import settings
from geo.errors import InputError
from geo.formats import fmt_int
from geo.osm import buildings, snapshots
from geo.osm.classify import COMMERCIAL_BUILDING_VALUES
from geo.outputs import _leaflet, maps
from geo.outputs._assets import apply_assets
from geo.outputs._render import RawRender
from geo.places.attribution import boundary_credit

#: Data attribution, shown in the legend of every map and under every figure.
ATTRIBUTION = "© OpenStreetMap-Mitwirkende, ODbL"

#: Above this many buildings on a map, their centres are drawn instead of footprints.
POLYGON_LIMIT = 6000

#: Tolerance of the footprint simplification in metres (EPSG:25833).
SIMPLIFY_M = 1.0

#: Coordinates are sent as integers of 1e-6 degrees (about 0.1 m).
_SCALE = 1_000_000

#: Colours of the layers that are not coloured by year.
USE_COLOR = "#00a6b8"
REMOVED_COLOR = "#3a3a3a"

#: File name suffixes read as snapshots from a folder.
SNAPSHOT_SUFFIXES = (".geojson", ".gpkg")


# -- analysis -------------------------------------------------------------------------------


@dataclass(frozen=True)
class BuildingAnalysis:
    """Figures and changes of one snapshot series (picklable, for caching).

    Attributes
    ----------
    stats
        The table of :func:`geo.osm.buildings.building_stats` per Ortsteil and date.
    changes
        :func:`geo.osm.buildings.building_changes` (all dates), with ``ortsteil``/``quarter``.
    notes
        German remarks on cleaned data (:attr:`geo.osm.buildings.BuildingStats.notes`).
    files
        Number of snapshot files read.
    quarters
        Quarter of each Ortsteil of the boundaries.
    """

    stats: pd.DataFrame
    changes: gpd.GeoDataFrame
    notes: tuple[str, ...] = ()
    files: int = 0
    quarters: tuple[tuple[str, str], ...] = ()

    @property
    def dates(self) -> list[pd.Timestamp]:
        """Snapshot dates, ascending."""
        return sorted(pd.to_datetime(self.stats["date"]).unique())

    @property
    def years(self) -> list[int]:
        """Snapshot years, ascending."""
        return sorted({d.year for d in self.dates})

    def subset(self, *, quarter: str | None = None, ortsteil: str | None = None) -> BuildingAnalysis:
        """Only the figures and changes of one quarter or Ortsteil (None: all)."""
        if ortsteil is not None:
            groups, where = {ortsteil}, self.changes["ortsteil"] == ortsteil
        elif quarter is not None:
            groups = {o for o, q in self.quarters if q == quarter}
            where = self.changes["quarter"] == quarter
        else:
            return self
        stats = self.stats.loc[self.stats["group"].isin(groups)].reset_index(drop=True)
        return replace(self, stats=stats, changes=self.changes.loc[where.fillna(False).to_numpy(bool)])


def snapshot_files(folder: str | Path) -> list[Path]:
    """The snapshot files (``*.geojson``, ``*.gpkg`` with a year in the name) in ``folder``.

    Raises
    ------
    InputError
        If the folder does not exist or holds no snapshot file.
    """
    path = Path(folder).expanduser()
    if not path.is_dir():
        raise InputError(f"Ordner mit Gebäude-Schnappschüssen nicht gefunden: {path}")
    files = sorted(
        p for p in path.iterdir()
        if p.is_file() and p.suffix.lower() in SNAPSHOT_SUFFIXES and snapshots._YEAR.search(p.name)
    )  # fmt: skip
    if not files:
        raise InputError(
            f"Im Ordner {path} liegen keine Gebäude-Schnappschüsse. Erwartet werden Dateien wie "
            "„Volkmarsdorf-2024-buildings.geojson“ (Gebiet-Jahr-buildings.geojson oder .gpkg)."
        )
    return files


def analyse_snapshots(paths: Iterable[str | Path], boundaries: gpd.GeoDataFrame) -> BuildingAnalysis:
    """Read the snapshots once; figures per Ortsteil and date and all changes.

    Raises
    ------
    InputError
        As :func:`geo.osm.snapshots.load_snapshots` and :func:`geo.osm.buildings.building_stats`.
    """
    paths = list(paths)
    snaps = snapshots.load_snapshots(paths, tags=())
    stats = buildings.building_stats(snaps, boundaries)  # its notes start with the snapshots' notes
    changes = buildings.building_changes(snaps, boundaries=boundaries)
    quarters = tuple(
        (str(n), str(q)) for n, q in zip(boundaries["name"], boundaries.get("quarter", [None] * len(boundaries)),
                                         strict=False) if isinstance(q, str)
    )  # fmt: skip
    return BuildingAnalysis(stats.table, changes, stats.notes, len(paths), quarters)


# -- map -----------------------------------------------------------------------------------


def year_colors(n: int) -> list[str]:
    """``n`` colours of a sequential palette (plasma, dark = early, orange = late)."""
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    cmap = colormaps["plasma"]
    return [to_hex(cmap(0.05 + 0.8 * (i / max(n - 1, 1)))) for i in range(n)]


@dataclass(frozen=True)
class BuildingMapData:
    """Everything a building map shows, compact and escaped (see :func:`prepare_building_map`).

    ``added``, ``use`` and ``removed`` are JSON arrays of rows
    ``[date, id, old_tag, new_tag, m², ortsteil, commercial_change, geometry]``:
    ``date`` indexes ``dates``; ``old_tag``/``new_tag`` index ``tags``
    (``building=*`` values, 0 = none); ``ortsteil`` indexes ``areas``;
    ``commercial_change`` is 1 (now commercial), 2 (no longer) or 0.
    ``geometry`` is ``[lat, lon]`` in 1e-6 degrees when ``points``, else a list
    of polygons, each a list of rings, each a flat list of 1e-6 degree lat/lon
    pairs, the first absolute, the others as differences to the previous one.
    """

    added: str
    use: str
    removed: str
    dates: str
    colors: tuple[str, ...]
    legend_years: tuple[str, ...]
    added_counts: tuple[int, ...]
    use_count: int
    removed_count: int
    tags: str
    areas: str
    points: bool
    since: str
    use_scope: str
    ortsteile: str | None = None
    ortsteil_labels: str | None = None
    quarters: str | None = None
    bounds: tuple[tuple[float, float], tuple[float, float]] | None = None
    boundary_credit: str | None = None  # source and licence of the outlines, for the attribution line
    attribution: str = ATTRIBUTION  # source of the building data, in the legend (the fictional demo says so)

    @property
    def added_count(self) -> int:
        """Buildings in the "added" layer."""
        return int(sum(self.added_counts))


def _encode(geoms: np.ndarray, points: bool) -> list[Any]:
    """Geometries (EPSG:4326) as integer micro-degree arrays (see :class:`BuildingMapData`)."""
    out: list[Any] = []
    for geom in geoms:
        if points:
            out.append([round(geom.y * _SCALE), round(geom.x * _SCALE)])
            continue
        polys = []
        for poly in shapely.get_parts(geom):
            rings = []
            for ring in (poly.exterior, *poly.interiors):
                xy = np.asarray(ring.coords)[:-1]
                ints = np.round(xy[:, ::-1] * _SCALE).astype(np.int64)
                ints[1:] = np.diff(ints, axis=0)
                rings.append(ints.ravel().tolist())
            polys.append(rings)
        out.append(polys)
    return out


def _simplified(frame: gpd.GeoDataFrame, points: bool) -> np.ndarray:
    metric = frame.geometry.to_crs(settings.metric_crs)
    if points:
        shapes = metric.representative_point()
    else:
        simple = metric.simplify(SIMPLIFY_M, preserve_topology=True)
        shapes = simple.where(~simple.is_empty & simple.notna(), metric)
    geoms: np.ndarray = gpd.GeoSeries(shapes, crs=settings.metric_crs).to_crs(settings.storage_crs).to_numpy()
    return geoms


def _commercial_use(frame: pd.DataFrame) -> pd.Series:
    """Use changes that concern commercial use (flag changed or a commercial ``building`` value)."""
    flag = frame["old_commercial"].fillna(False).to_numpy(bool) != frame["new_commercial"].fillna(False).to_numpy(bool)
    values = COMMERCIAL_BUILDING_VALUES
    typed = frame["old_building"].isin(values).to_numpy() | frame["new_building"].isin(values).to_numpy()
    return pd.Series(flag | typed, index=frame.index)


def prepare_building_map(
    changes: gpd.GeoDataFrame,
    *,
    since: int,
    boundaries: gpd.GeoDataFrame | None = None,
    use_scope: Literal["commercial", "all"] = "commercial",
    polygon_limit: int = POLYGON_LIMIT,
) -> BuildingMapData:
    """The data of a building map, compact and escaped, ready to cache.

    Parameters
    ----------
    changes
        :func:`geo.osm.buildings.building_changes`.
    since
        Year: buildings added, changed in use or removed in snapshots of this year or later.
    boundaries
        Ortsteil outlines (``name``, ``quarter``).
    use_scope
        ``"commercial"``: only use changes concerning commercial use
        (``yes`` -> ``retail``, a shop tag added); ``"all"``: every change of
        the ``building`` tag as well (``yes`` -> ``apartments``).
    polygon_limit
        Above this many buildings, centres are drawn instead of footprints.
    """
    ch = changes.loc[pd.to_datetime(changes["date"]).dt.year.to_numpy() >= since]
    ch = ch.loc[ch.geometry.notna().to_numpy() & ~ch.geometry.is_empty.to_numpy()]
    added = ch.loc[(ch["kind"] == "added").to_numpy()]
    removed = ch.loc[(ch["kind"] == "removed").to_numpy()]
    use = ch.loc[((ch["kind"] == "changed") & ch["use_changed"]).to_numpy()]
    if use_scope == "commercial":
        use = use.loc[_commercial_use(use).to_numpy()]
    points = len(added) + len(use) + len(removed) > polygon_limit
    dates = sorted(pd.to_datetime(ch["date"]).unique()) if len(ch) else []
    date_idx = {pd.Timestamp(d): i for i, d in enumerate(dates)}
    tag_values = pd.concat([ch["old_building"], ch["new_building"]]).dropna().astype(str)
    tags = ["", *sorted(set(tag_values))]
    tag_idx = {t: i for i, t in enumerate(tags)}
    area_values = ch["ortsteil"].dropna().astype(str)
    areas = ["", *sorted(set(area_values))]
    area_idx = {a: i for i, a in enumerate(areas)}

    def text_index(values: pd.Series, index: dict[str, int]) -> list[int]:
        return [index.get(v, 0) if isinstance(v, str) else 0 for v in values.astype(object)]

    def rows(frame: gpd.GeoDataFrame) -> str:
        if not len(frame):
            return "[]"
        old_c = frame["old_commercial"].fillna(False).to_numpy(bool)
        new_c = frame["new_commercial"].fillna(False).to_numpy(bool)
        cc = np.where((frame["kind"] == "changed").to_numpy() & (old_c != new_c), np.where(new_c, 1, 2), 0)
        data = zip(
            (date_idx[pd.Timestamp(d)] for d in frame["date"]),
            (maps.esc(v) for v in frame["osm_id"].astype(object)),
            text_index(frame["old_building"], tag_idx),
            text_index(frame["new_building"], tag_idx),
            np.round(frame["footprint_m2"].fillna(0).to_numpy(float)).astype(int).tolist(),
            text_index(frame["ortsteil"], area_idx),
            cc.tolist(),
            _encode(_simplified(frame, points), points),
            strict=True,
        )
        return _leaflet._compact_json([list(r) for r in data])

    years = [pd.Timestamp(d) for d in dates]
    jan1 = all(d.month == 1 and d.day == 1 for d in years)
    labels = [str(d.year) if jan1 else d.strftime("%d.%m.%Y") for d in years]
    counts = np.bincount([date_idx[pd.Timestamp(d)] for d in added["date"]], minlength=len(dates))
    ortsteile, area_labels, quarters = _leaflet._boundary_layers(boundaries)
    shown = pd.concat([added.geometry, use.geometry, removed.geometry])
    bounds = None
    if len(shown):
        w, s, e, n = shown.total_bounds
        bounds = ((float(s), float(w)), (float(n), float(e)))
    elif boundaries is not None and len(boundaries):
        w, s, e, n = boundaries.total_bounds
        bounds = ((float(s), float(w)), (float(n), float(e)))
    return BuildingMapData(
        added=rows(added),
        use=rows(use),
        removed=rows(removed),
        dates=_leaflet._compact_json([maps._fmt_date(d) for d in years]),
        colors=tuple(year_colors(len(dates))),
        legend_years=tuple(labels),
        added_counts=tuple(int(c) for c in counts),
        use_count=len(use),
        removed_count=len(removed),
        tags=_leaflet._compact_json([maps.esc(t) for t in tags]),
        areas=_leaflet._compact_json([maps.esc(a) for a in areas]),
        points=points,
        since=str(since),
        use_scope=use_scope,
        ortsteile=ortsteile,
        ortsteil_labels=area_labels,
        quarters=quarters,
        bounds=bounds,
        boundary_credit=boundary_credit(boundaries) if ortsteile else None,
    )


class BuildingLayer(Layer, RawRender):
    """Buildings drawn in the browser from compact rows (see :class:`BuildingMapData`)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function(){
            var d = {{ this.rows }}, D = {{ this.dates }}, C = {{ this.colors }}, T = {{ this.tags }},
                A = {{ this.areas }}, L1 = {{ this.title }}, CC = {{ this.cc_labels }}, st = {{ this.style|tojavascript }};
            var g = L.featureGroup();
            function ring(f){ var o = [], a = 0, b = 0;
                for (var k = 0; k < f.length; k += 2) { a += f[k]; b += f[k + 1]; o.push([a / 1e6, b / 1e6]); }
                return o; }
            for (var i = 0; i < d.length; i++) {
                var r = d[i], c = C.length === 1 ? C[0] : C[r[0]], s = Object.assign({}, st), m;
                s.fillColor = c; if (!st.color) { s.color = c; }
                if (typeof r[7][0] === "number") {
                    s.radius = st.radius || 4;
                    m = L.circleMarker([r[7][0] / 1e6, r[7][1] / 1e6], s);
                } else {
                    m = L.polygon(r[7].map(function(p){ return p.map(ring); }), s);
                }
                var b = (r[2] && r[3] && r[2] !== r[3]) ? T[r[2]] + " → " + T[r[3]] : T[r[3] || r[2]];
                m.bindTooltip("<b>" + L1 + "</b> · Stand " + D[r[0]] + "<br>OSM-ID " + r[1]
                    + (b ? " · building=" + b : "") + (r[6] ? "<br>" + CC[r[6]] : "")
                    + "<br>" + r[4].toLocaleString("de-DE") + " m²" + (A[r[5]] ? " · " + A[r[5]] : ""), {sticky: true});
                g.addLayer(m);
            }
            return g;
        })();
        {% endmacro %}
        """
    )

    def __init__(
        self, data: BuildingMapData, rows: str, *, name: str, title: str, colors: Sequence[str],
        style: dict[str, Any], show: bool = True,
    ) -> None:  # fmt: skip
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "BuildingLayer"
        self.rows = rows
        self.dates, self.tags, self.areas = data.dates, data.tags, data.areas
        self.colors = _leaflet._compact_json(list(colors))
        self.title = _leaflet._compact_json(maps.esc(title))
        self.cc_labels = _leaflet._compact_json(["", "jetzt gewerblich genutzt", "nicht mehr gewerblich genutzt"])
        self.style = style


_CSS = """<style>
.qm-legend i.sq{border-radius:2px}
.qm-legend i.use{background:rgba(0,166,184,.2);border:2px solid #00a6b8;width:9px;height:9px;border-radius:2px}
.qm-legend i.rem{background:#bbb;border:1.5px dashed #3a3a3a;border-radius:2px}
.qm-legend .yr{display:inline-block;margin-right:6px;white-space:nowrap}
.qm-legend small{display:block;margin-top:4px;color:#555}
</style>"""


def building_legend_html(data: BuildingMapData) -> str:
    """The legend's HTML (all text escaped): years with counts, use changes, removed, attribution."""
    years = "".join(
        f'<span class="yr"><i class="sq" style="background:{maps.esc(c, quote=True)}"></i>{maps.esc(y)} ({fmt_int(n)})</span>'
        for y, c, n in zip(data.legend_years, data.colors, data.added_counts, strict=True)
        if n
    )
    scope = "gewerblich" if data.use_scope == "commercial" else "alle"
    out = (
        f"<div><b>Neu erfasst seit {maps.esc(data.since)} ({fmt_int(data.added_count)})</b></div>"
        + (f"<div>{years}</div>" if years else "")
        + f'<div><i class="use"></i>Nutzung geändert ({scope}) ({fmt_int(data.use_count)})</div>'
        + f'<div><i class="rem"></i>entfernt ({fmt_int(data.removed_count)})</div>'
    )
    if data.points:
        out += "<small>Viele Gebäude: als Mittelpunkte gezeigt – Zeitraum verkürzen oder Gebiet wählen für Umrisse.</small>"
    return out + f"<small>Gebäudedaten {maps.esc(data.attribution)}</small>"


def render_building_map(
    data: BuildingMapData,
    *,
    basemap: str = "osm",
    height: int | None = None,
    assets: Literal["inline", "linked"] = "inline",
    asset_base: str | None = None,
) -> folium.Map:
    """A fresh folium map of ``data`` with offline assets (only base-map tiles are online).

    ``assets`` and ``asset_base`` as in :func:`geo.outputs.maps.render_map`.
    """
    if basemap not in maps.BASEMAPS:
        basemap = "osm"
    m = maps.new_map(height=height)
    maps.MetricScale().add_to(m)  # metres only, as on the other maps
    _leaflet.add_to_head(m, _leaflet._CSS + _CSS, name="qm_css")
    for key, label in maps.BASEMAPS.items():
        if key == "none":
            folium.FeatureGroup(name=label, overlay=False, show=basemap == key).add_to(m)
        else:
            url, attr = maps._TILES[key]
            folium.TileLayer(url, attr=attr, name=label, max_zoom=19, show=basemap == key).add_to(m)
    credit = _leaflet.boundary_attribution_html(data.boundary_credit)
    if data.quarters:
        maps.AreaOutlines(data.quarters, name="Quartiere", style={"color": "#08306b", "weight": 3, "fill": False},
                          attribution=credit).add_to(m)  # fmt: skip
    if data.ortsteile:
        maps.AreaOutlines(
            data.ortsteile, name="Ortsteile", labels=data.ortsteil_labels, attribution=credit,
            style={"color": "#555555", "weight": 1.5, "dashArray": "5 4", "fillOpacity": 0.03},
        ).add_to(m)  # fmt: skip
    BuildingLayer(
        data, data.removed, name=f"entfernt ({fmt_int(data.removed_count)})", title="entfernt",
        colors=["#bbbbbb"], style={"color": REMOVED_COLOR, "weight": 1.5, "dashArray": "3 3", "fillOpacity": 0.45},
    ).add_to(m)  # fmt: skip
    BuildingLayer(
        data, data.added, name=f"neu erfasst seit {data.since} ({fmt_int(data.added_count)})",
        title="neu erfasst", colors=data.colors,
        style={"weight": 1, "opacity": 0.9, "fillOpacity": 0.75, "radius": 4},
    ).add_to(m)  # fmt: skip
    BuildingLayer(
        data, data.use, name=f"Nutzung geändert ({fmt_int(data.use_count)})", title="Nutzung geändert",
        colors=[USE_COLOR], style={"color": USE_COLOR, "weight": 2, "fillOpacity": 0.2, "radius": 7},
    ).add_to(m)  # fmt: skip
    maps.Legend(building_legend_html(data)).add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)
    if data.bounds is not None:
        (s, w), (n, e) = data.bounds
        m.fit_bounds([[s - 0.001, w - 0.001], [n + 0.001, e + 0.001]], max_zoom=17)
    return apply_assets(m, assets, asset_base)


def building_map(changes: gpd.GeoDataFrame, *, basemap: str = "osm", **options: Any) -> folium.Map:
    """:func:`prepare_building_map` and :func:`render_building_map` in one step."""
    return render_building_map(prepare_building_map(changes, **options), basemap=basemap)
