"""Maps, charts and tables of the building-stock development (OSM building snapshots).

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
* :func:`stock_chart`, :func:`change_chart` (altair) and
  :func:`figures_table`, :func:`figures_csv`, :func:`figures_xlsx` with German
  labels and number formats.

Show :data:`geo.osm.buildings.CAVEAT` with everything made here.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import altair as alt
import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element
from folium.map import Layer
from folium.template import Template

from geo import settings
from geo.app.views import fmt_int
from geo.errors import InputError
from geo.osm import buildings
from geo.outputs import maps
from geo.outputs._assets import apply_assets

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

#: German labels of the figure columns (:data:`geo.osm.buildings.STATS_COLUMNS`).
FIGURE_LABELS: dict[str, str] = {
    "group": "Ortsteil",
    "date": "Stichtag",
    "buildings": "Gebäude",
    "footprint_m2": "Grundfläche (m²)",
    "mean_m2": "Ø Grundfläche je Gebäude (m²)",
    "commercial": "gewerblich genutzt",
    "added": "neu erfasst",
    "removed": "entfernt",
    "changed": "verändert",
    "geometry_changed": "davon Umriss",
    "use_changed": "davon Nutzung",
}

#: Distinct colours for up to 20 Ortsteile (vega's tableau20, dark shades first).
_GROUP_COLORS = (
    "#4c78a8", "#f58518", "#54a24b", "#b79a20", "#439894", "#e45756", "#79706e", "#d67195", "#b279a2", "#9e765f",
    "#9ecae9", "#ffbf79", "#88d27a", "#f2cf5b", "#83bcb6", "#ff9d98", "#bab0ac", "#fcbfd2", "#d6a5c9", "#d8b5a5",
)  # fmt: skip

#: Measures of :func:`stock_chart` and their German labels.
MEASURES = {"buildings": "Gebäude", "footprint_m2": "Grundfläche (m²)", "commercial": "gewerblich genutzt"}

#: German number and date formats for altair charts.
GERMAN_LOCALE: dict[str, Any] = {
    "number": {"decimal": ",", "thousands": ".", "grouping": [3], "currency": ["", " €"]},
    "time": {
        "dateTime": "%A, der %e. %B %Y, %X", "date": "%d.%m.%Y", "time": "%H:%M:%S",
        "periods": ["AM", "PM"],
        "days": ["Sonntag", "Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag"],
        "shortDays": ["So", "Mo", "Di", "Mi", "Do", "Fr", "Sa"],
        "months": ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September",
                   "Oktober", "November", "Dezember"],
        "shortMonths": ["Jan", "Feb", "Mrz", "Apr", "Mai", "Jun", "Jul", "Aug", "Sep", "Okt", "Nov", "Dez"],
    },
}  # fmt: skip


# -- analysis -------------------------------------------------------------------------------


@dataclass(frozen=True)
class BuildingAnalysis:
    """Figures and changes of one snapshot series (picklable, for caching).

    Attributes
    ----------
    stats
        :func:`geo.osm.buildings.building_stats` per Ortsteil and date.
    changes
        :func:`geo.osm.buildings.building_changes` (all dates), with ``ortsteil``/``quarter``.
    notes
        German remarks on cleaned data.
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
        if p.is_file() and p.suffix.lower() in SNAPSHOT_SUFFIXES and buildings._YEAR.search(p.name)
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
        As :func:`geo.osm.buildings.load_snapshots` and :func:`geo.osm.buildings.building_stats`.
    """
    paths = list(paths)
    snaps = buildings.load_snapshots(paths, tags=())
    stats = buildings.building_stats(snaps, boundaries)
    changes = buildings.building_changes(snaps, boundaries=boundaries)
    quarters = tuple(
        (str(n), str(q)) for n, q in zip(boundaries["name"], boundaries.get("quarter", [None] * len(boundaries)),
                                         strict=False) if isinstance(q, str)
    )  # fmt: skip
    notes = tuple(dict.fromkeys([*snaps.attrs.get("notes", []), *stats.attrs.get("notes", [])]))
    return BuildingAnalysis(stats, changes, notes, len(paths), quarters)


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
    return gpd.GeoSeries(shapes, crs=settings.metric_crs).to_crs(settings.storage_crs).to_numpy()


def _commercial_use(frame: pd.DataFrame) -> pd.Series:
    """Use changes that concern commercial use (flag changed or a commercial ``building`` value)."""
    flag = frame["old_commercial"].fillna(False).to_numpy(bool) != frame["new_commercial"].fillna(False).to_numpy(bool)
    values = buildings.COMMERCIAL_BUILDING_VALUES
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
        return maps._compact_json([list(r) for r in data])

    years = [pd.Timestamp(d) for d in dates]
    jan1 = all(d.month == 1 and d.day == 1 for d in years)
    labels = [str(d.year) if jan1 else d.strftime("%d.%m.%Y") for d in years]
    counts = np.bincount([date_idx[pd.Timestamp(d)] for d in added["date"]], minlength=len(dates))
    ortsteile, area_labels, quarters = maps._boundary_layers(boundaries)
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
        dates=maps._compact_json([maps._fmt_date(d) for d in years]),
        colors=tuple(year_colors(len(dates))),
        legend_years=tuple(labels),
        added_counts=tuple(int(c) for c in counts),
        use_count=len(use),
        removed_count=len(removed),
        tags=maps._compact_json([maps.esc(t) for t in tags]),
        areas=maps._compact_json([maps.esc(a) for a in areas]),
        points=points,
        since=str(since),
        use_scope=use_scope,
        ortsteile=ortsteile,
        ortsteil_labels=area_labels,
        quarters=quarters,
        bounds=bounds,
    )


class BuildingLayer(Layer):
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
        self.colors = maps._compact_json(list(colors))
        self.title = maps._compact_json(maps.esc(title))
        self.cc_labels = maps._compact_json(["", "jetzt gewerblich genutzt", "nicht mehr gewerblich genutzt"])
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
        f'<span class="yr"><i class="sq" style="background:{maps.esc(c, quote=True)}"></i>{maps.esc(y)} ({maps._int(n)})</span>'
        for y, c, n in zip(data.legend_years, data.colors, data.added_counts, strict=True)
        if n
    )
    scope = "gewerblich" if data.use_scope == "commercial" else "alle"
    out = (
        f"<div><b>Neu erfasst seit {maps.esc(data.since)} ({maps._int(data.added_count)})</b></div>"
        + (f"<div>{years}</div>" if years else "")
        + f'<div><i class="use"></i>Nutzung geändert ({scope}) ({maps._int(data.use_count)})</div>'
        + f'<div><i class="rem"></i>entfernt ({maps._int(data.removed_count)})</div>'
    )
    if data.points:
        out += "<small>Viele Gebäude: als Mittelpunkte gezeigt – Zeitraum verkürzen oder Gebiet wählen für Umrisse.</small>"
    return out + f"<small>Gebäudedaten {maps.esc(ATTRIBUTION)}</small>"


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
    m.get_root().header.add_child(Element(maps._CSS + _CSS), name="qm_css")
    for key, label in maps.BASEMAPS.items():
        if key == "none":
            folium.FeatureGroup(name=label, overlay=False, show=basemap == key).add_to(m)
        else:
            url, attr = maps._TILES[key]
            folium.TileLayer(url, attr=attr, name=label, max_zoom=19, show=basemap == key).add_to(m)
    if data.quarters:
        maps.AreaOutlines(data.quarters, name="Quartiere", style={"color": "#08306b", "weight": 3, "fill": False}).add_to(m)
    if data.ortsteile:
        maps.AreaOutlines(
            data.ortsteile, name="Ortsteile", labels=data.ortsteil_labels,
            style={"color": "#555555", "weight": 1.5, "dashArray": "5 4", "fillOpacity": 0.03},
        ).add_to(m)  # fmt: skip
    BuildingLayer(
        data, data.removed, name=f"entfernt ({maps._int(data.removed_count)})", title="entfernt",
        colors=["#bbbbbb"], style={"color": REMOVED_COLOR, "weight": 1.5, "dashArray": "3 3", "fillOpacity": 0.45},
    ).add_to(m)  # fmt: skip
    BuildingLayer(
        data, data.added, name=f"neu erfasst seit {data.since} ({maps._int(data.added_count)})",
        title="neu erfasst", colors=data.colors,
        style={"weight": 1, "opacity": 0.9, "fillOpacity": 0.75, "radius": 4},
    ).add_to(m)  # fmt: skip
    BuildingLayer(
        data, data.use, name=f"Nutzung geändert ({maps._int(data.use_count)})", title="Nutzung geändert",
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


# -- charts and tables -------------------------------------------------------------------------


def german(chart: alt.Chart) -> alt.Chart:
    """``chart`` with German number and date formats (thousands ``.``, decimal ``,``)."""
    return chart.configure(locale=GERMAN_LOCALE)


def group_colors(groups: Sequence[str]) -> tuple[list[str], list[str]]:
    """Domain and colours of the groups: up to 20 distinct colours, buildings outside every Ortsteil grey and last."""
    named = [g for g in dict.fromkeys(groups) if g != settings.unassigned_label]
    domain = named + ([settings.unassigned_label] if settings.unassigned_label in groups else [])
    colors = [_GROUP_COLORS[i % len(_GROUP_COLORS)] for i in range(len(named))]
    return domain, colors + ["#9e9e9e"] * (len(domain) - len(named))


def stock_chart(stats: pd.DataFrame, *, measure: str = "buildings", height: int | None = None) -> alt.Chart:
    """One line per Ortsteil over the snapshot years: ``buildings``, ``footprint_m2`` or ``commercial``.

    The default height leaves room for one legend row per Ortsteil (Streamlit fits legend and plot into it).
    """
    label = MEASURES[measure]
    data = pd.DataFrame(
        {
            "Jahr": pd.to_datetime(stats["date"]).dt.year.astype(int),
            "Ortsteil": stats["group"].astype(str),
            label: stats[measure].astype(float).round(0),
        }
    )
    domain, colors = group_colors(list(data["Ortsteil"]))
    chart = (
        alt.Chart(data)
        .mark_line(point=alt.OverlayMarkDef(size=18))
        .encode(
            x=alt.X("Jahr:O", title=None, axis=alt.Axis(labelAngle=0)),
            y=alt.Y(f"{label}:Q", title=label, axis=alt.Axis(format=",.0f")),
            color=alt.Color(
                "Ortsteil:N", title=None, scale=alt.Scale(domain=domain, range=colors),
                legend=alt.Legend(orient="right", symbolLimit=0, labelLimit=170),
            ),  # fmt: skip
            tooltip=["Ortsteil:N", "Jahr:O", alt.Tooltip(f"{label}:Q", format=",.0f")],
        )
        .properties(height=height or max(320, 30 * len(domain) + 40))
    )
    return german(chart)


def change_frame(stats: pd.DataFrame) -> pd.DataFrame:
    """Buildings added and removed per snapshot year, summed over the groups (first snapshot left out)."""
    data = stats.loc[stats["added"].notna()]
    years = pd.to_datetime(data["date"]).dt.year.astype(int)
    grouped = data.groupby(years.to_numpy())[["added", "removed"]].sum().astype(int)
    out = grouped.rename(columns={"added": "neu erfasst", "removed": "entfernt"}).rename_axis("Jahr").reset_index()
    return out.melt(id_vars="Jahr", var_name="Art", value_name="Gebäude")


def change_chart(stats: pd.DataFrame, *, height: int = 300) -> alt.Chart:
    """Buildings added and removed per snapshot year as grouped bars."""
    chart = (
        alt.Chart(change_frame(stats))
        .mark_bar()
        .encode(
            x=alt.X("Jahr:O", title=None, axis=alt.Axis(labelAngle=0)),
            xOffset=alt.XOffset("Art:N", sort=["neu erfasst", "entfernt"]),
            y=alt.Y("Gebäude:Q", title="Gebäude", axis=alt.Axis(format=",.0f")),
            color=alt.Color(
                "Art:N", title=None, legend=alt.Legend(orient="bottom"),
                scale=alt.Scale(domain=["neu erfasst", "entfernt"], range=["#1a9850", "#d73027"]),
            ),  # fmt: skip
            tooltip=["Jahr:O", "Art:N", alt.Tooltip("Gebäude:Q", format=",.0f")],
        )
        .properties(height=height)
    )
    return german(chart)


def figures_table(stats: pd.DataFrame) -> pd.DataFrame:
    """The figures with German column labels (numbers stay numbers; format with :func:`styled`)."""
    table = stats.loc[:, [c for c in FIGURE_LABELS if c in stats.columns]].copy()
    table["date"] = pd.to_datetime(table["date"]).dt.date
    table.insert(
        table.columns.get_loc("footprint_m2") + 1,
        "mean_m2",
        (table["footprint_m2"] / table["buildings"].where(table["buildings"] > 0)).round(1),
    )
    table["footprint_m2"] = table["footprint_m2"].round(0).astype("int64")
    return table.rename(columns=FIGURE_LABELS).reset_index(drop=True)


def styled(table: pd.DataFrame) -> tuple[Any, dict[str, Any]]:
    """:func:`figures_table` for ``st.dataframe``: a Styler and the column configuration.

    Thousands ``.``, decimal comma, dates ``dd.mm.yyyy``. Columns with missing
    values (the events at the first snapshot) become right-aligned text with
    ``–``, since Streamlit shows a missing number as "None".
    """
    mean = FIGURE_LABELS["mean_m2"]
    fixed = (FIGURE_LABELS["group"], FIGURE_LABELS["date"], mean)
    gaps = [c for c in table.columns if c not in fixed and table[c].isna().any()]
    shown = table.astype({c: object for c in gaps})
    for col in gaps:
        shown[col] = [fmt_int(v) for v in table[col]]
    counts = [c for c in table.columns if c not in (*fixed, *gaps)]
    styler = (
        shown.style.format(precision=0, thousands=".", decimal=",", subset=counts)
        .format(precision=1, thousands=".", decimal=",", na_rep="–", subset=[mean])
        .format(lambda d: d.strftime("%d.%m.%Y"), subset=[FIGURE_LABELS["date"]])
    )
    # a right-aligned text column, as st.column_config.TextColumn(c, alignment="right") makes it
    config = {c: {"label": c, "alignment": "right", "type_config": {"type": "text"}} for c in gaps}
    return styler, config


def figures_csv(stats: pd.DataFrame) -> bytes:
    """The figures as CSV for German spreadsheets (``;``, decimal comma, UTF-8 with BOM)."""
    table = figures_table(stats)
    table[FIGURE_LABELS["date"]] = pd.to_datetime(table[FIGURE_LABELS["date"]]).dt.strftime("%d.%m.%Y")
    from geo._files import csv_text  # cells that would run as formulas start with '

    return csv_text(table).encode("utf-8-sig")


def figures_xlsx(stats: pd.DataFrame, *, notes: Sequence[str] = ()) -> bytes:
    """The figures as an Excel workbook: sheet "Gebäudebestand" and a sheet "Hinweis" (caveat, notes)."""
    table = figures_table(stats)
    table[FIGURE_LABELS["date"]] = pd.to_datetime(table[FIGURE_LABELS["date"]])
    info = pd.DataFrame({"Hinweis": [buildings.CAVEAT, f"Daten: {ATTRIBUTION}", *notes]})
    from geo._files import write_xlsx  # no cell can be a formula

    def layout(sheet: str, _frame: pd.DataFrame, ws: Any) -> None:
        if sheet == "Hinweis":
            ws.column_dimensions["A"].width = 120
            return
        for idx, col in enumerate(table.columns, start=1):
            letter = ws.cell(row=1, column=idx).column_letter
            ws.column_dimensions[letter].width = max(12, len(str(col)) + 2)
            fmt = "DD.MM.YYYY" if col == FIGURE_LABELS["date"] else (
                "#,##0.0" if col == FIGURE_LABELS["mean_m2"] else "#,##0")  # fmt: skip
            if col != FIGURE_LABELS["group"]:
                for row in range(2, len(table) + 2):
                    ws.cell(row=row, column=idx).number_format = fmt
        ws.freeze_panes = "B2"

    buffer = io.BytesIO()
    write_xlsx({"Gebäudebestand": table, "Hinweis": info}, buffer, format_sheet=layout)
    return buffer.getvalue()
