"""Gebäudebestand: building-stock development per Ortsteil from yearly OSM building snapshots.

Thin page: the figures come from :mod:`geo.osm.buildings`, maps from :mod:`geo.outputs.building_maps`,
charts and tables from :mod:`geo.outputs.building_figures`, the downloadable figure from
:mod:`geo.outputs.figures`.
Snapshots come from a folder the server offers by name (``$QM_OSM_BUILDINGS`` or a sub-folder of
the server data folder, :func:`geo.app.serverfiles.snapshot_folders`; never a typed path) or
from uploaded files; the analysis is cached per file set (path, mtime, size). On the
demo register the fictional demo series (:mod:`geo.osm.demo_buildings`) is shown first,
labelled „fiktiv“ in every heading, figure, map legend and download name.
The mapping-activity caveat is shown once, above the figures.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import streamlit as st
from streamlit_folium import st_folium

from geo import formats
from geo.access.roles import Right
from geo.app.serverfiles import SNAPSHOT_ENV, snapshot_folders
from geo.errors import QuartiersmonitorError
from geo.osm.buildings import CAVEAT
from geo.osm.demo_buildings import DEMO_LABEL, demo_buildings_dir
from geo.outputs import building_figures as bf
from geo.outputs import building_maps as bm
from geo.outputs import maps
from geo.outputs.figures import buildings_figure, figure_bytes
from geo.places.areas import load_boundaries
from geo.text import file_name
from pages import _auth, _charts, _router, _session, _ui

_router.ensure(__file__)
_auth.require(Right.UNIT_VIEW, title="Gebäudebestand")

SOURCES = {"demo": f"{DEMO_LABEL} zum Demo-Register", "folder": "Ordner auf dem Server", "upload": "Dateien hochladen"}
DEMO_SOURCE = "Quelle: vom Quartiersmonitor erfundene Demo-Gebäude (fiktiv, keine OpenStreetMap-Daten)"
BOUNDS = {"register": "Grenzen aus dem Register", "upload": "Grenzdatei hochladen"}
AREA_LABELS = {"a": "alle Ortsteile", "q": "Quartier {}", "o": "{}"}
HELP = f"""
**Was wird gebraucht?** Jährliche Gebäude-Schnappschüsse aus OpenStreetMap, je Gebiet und Stichtag
eine Datei mit der Jahreszahl im Namen, z. B. `Volkmarsdorf-2024-buildings.geojson` (GeoJSON oder
GeoPackage; je Gebäudeumriss die OSM-Kennung `id`, möglichst `version`, `timestamp` und alle Tags).

**Woher?**
- *Geofabrik-History-Dateien* (`sachsen-internal.osh.pbf`, Anmeldung mit OSM-Konto): je Stichtag mit
  `osmium time-filter … 2024-01-01T00:00:00Z`, dann `osmium tags-filter … w/building` und
  `osmium export --attributes=id,version,timestamp -f geojson` ausschneiden.
- *Overpass API* (z. B. overpass-turbo): Abfrage mit `[date:"2024-01-01T00:00:00Z"]` und
  `way["building"](area)`, Ausgabe `out geom meta;`, als GeoJSON exportieren.

Dann die Dateien hochladen, oder die Verwaltung legt sie als Unterordner in den Datenordner des Servers
(`QM_FILES_DIR`) bzw. nennt den Ordner in `{SNAPSHOT_ENV}`: er erscheint dann oben zur Auswahl.
Die Zuordnung zu Ortsteilen erfolgt über die Lage, nicht über den Dateinamen.
"""

h = _ui.load()
_ui.page_header(
    "Gebäudebestand", h,
    caption="Entwicklung des Gebäudebestands je Ortsteil aus jährlichen OpenStreetMap-Schnappschüssen.",
)  # fmt: skip


def explain(message: str | None = None) -> None:
    if message:
        st.warning(message)
    st.info(HELP)
    st.stop()


def _saved(folder: str, name: str, data: bytes) -> Path:
    (path := Path(folder) / Path(name).name).write_bytes(data)
    return path


@st.cache_data(max_entries=4, show_spinner="Grenzdatei wird gelesen …")
def _upload_bounds(name: str, data: bytes) -> gpd.GeoDataFrame:
    with tempfile.TemporaryDirectory() as tmp:
        return load_boundaries(_saved(tmp, name, data)).frame


@st.cache_data(max_entries=4, show_spinner="Gebäude-Schnappschüsse werden ausgewertet (einige Sekunden) …")
def _analyse(key: str, files: tuple[tuple[str, int, int], ...], uploads: tuple[tuple[str, bytes], ...],
             _bounds: gpd.GeoDataFrame) -> bm.BuildingAnalysis:  # fmt: skip
    """Cached per bounds key and file set: (path, mtime, size) of folder files, or uploaded names and bytes."""
    with tempfile.TemporaryDirectory() as tmp:
        return bm.analyse_snapshots([f[0] for f in files] + [_saved(tmp, n, d) for n, d in uploads], _bounds)


@st.cache_data(max_entries=16, show_spinner="Karte wird vorbereitet …")
def _map_data(key: str, area: str, since: int, scope: str, _changes: gpd.GeoDataFrame,
              _bounds: gpd.GeoDataFrame) -> bm.BuildingMapData:  # fmt: skip
    return bm.prepare_building_map(_changes, since=since, boundaries=_bounds, use_scope=scope)  # type: ignore[arg-type]


@st.cache_data(max_entries=8, show_spinner=False)
def _figure(key: str, area: str, fmt: str, demo: bool, _stats: object, dpi: int = 200) -> bytes:
    sub = None if area[0] == "a" else AREA_LABELS[area[0]].format(area[2:])
    extra = {"title": f"Gebäudebestand – {DEMO_LABEL}", "source": DEMO_SOURCE} if demo else {}
    return figure_bytes(buildings_figure(_stats, subtitle=sub, demo=demo, **extra), fmt=fmt, dpi=dpi)  # type: ignore[arg-type]


left, right = st.columns(2)
offered = list(SOURCES) if h.demo else list(SOURCES)[1:]  # the fictional series only with the demo register
snapshots = snapshot_folders()
source = left.radio("Schnappschüsse", offered, format_func=SOURCES.get, horizontal=True, key="g_source",
                    index=offered.index("folder") if os.environ.get(SNAPSHOT_ENV) else 0)  # fmt: skip
demo = source == "demo"
fictional = f" · {DEMO_LABEL}" if demo else ""  # in every heading of the demo series
folder, uploads = "", []
if source == "demo":
    folder = str(demo_buildings_dir())
    left.caption(f"{DEMO_LABEL}: drei erfundene Häuserblöcke mit jährlichen Ständen, vom Quartiersmonitor "
                 "erzeugt – keine OpenStreetMap-Daten. Eigene Schnappschüsse: „Ordner auf dem Server“ wählen.")
elif source == "folder":
    picked_folder = left.selectbox("Ordner auf dem Server", list(snapshots), key="g_folder",
                                   placeholder="kein Ordner eingerichtet")  # fmt: skip
    folder = str(snapshots[picked_folder]) if picked_folder in snapshots else ""
else:
    uploads = left.file_uploader("Schnappschuss-Dateien (GeoJSON, GPKG; mehrere)", type=["geojson", "json", "gpkg"],
                                 accept_multiple_files=True, key="g_files") or []  # fmt: skip
bsource = right.radio("Ortsteilgrenzen", list(BOUNDS), format_func=BOUNDS.get, horizontal=True, key="g_bsource")
try:
    if bsource == "upload":
        bfile = right.file_uploader("Amtliche Grenzdatei (GeoJSON, GPKG, Shapefile als ZIP)", key="g_bfile",
                                    type=["geojson", "json", "gpkg", "zip"])  # fmt: skip
        if bfile is None:
            explain("Bitte eine Grenzdatei hochladen oder die Grenzen aus dem Register verwenden.")
        bdata = bfile.getvalue()
        bounds, bkey = _upload_bounds(bfile.name, bdata), "upload:" + hashlib.sha256(bdata).hexdigest()
    else:
        bounds, bkey = h.register.boundaries, f"register:{h.path}:{h.stamp}"
        if bounds is None or not len(bounds):
            explain("Das Register enthält keine Ortsteilgrenzen – bitte eine Grenzdatei hochladen.")
        if "approximate" in bounds and bounds["approximate"].fillna(False).astype(bool).any():
            right.caption("Näherungsweise Ortsteilgrenzen des Registers; für eine genaue Zuordnung die amtliche "
                          "Grenzdatei hochladen.")  # fmt: skip
    if not folder and not uploads:
        explain()
    stamp = tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in bm.snapshot_files(folder)) if folder else ()
    files = tuple((u.name, u.getvalue()) for u in uploads)
    akey = hashlib.sha256(repr([stamp, [(n, hashlib.sha256(d).hexdigest()) for n, d in files], bkey]).encode()).hexdigest()
    analysis = _analyse(akey, stamp, files, bounds)
except QuartiersmonitorError as exc:
    explain(str(exc))

quarters = sorted({q for _, q in analysis.quarters})
groups = list(dict.fromkeys(analysis.stats["group"].astype(str)))
choices = ["a:", *(f"q:{q}" for q in quarters), *(f"o:{g}" for g in groups)]  # all, quarters, Ortsteile
if st.session_state.get(_session.BUILDING_AREA) not in choices:
    st.session_state[_session.BUILDING_AREA] = "a:"
picked = st.selectbox("Gebiet", choices, key=_session.BUILDING_AREA, format_func=lambda c: AREA_LABELS[c[0]].format(c[2:]))
view = analysis.subset(quarter=picked[2:] if picked[0] == "q" else None, ortsteil=picked[2:] if picked[0] == "o" else None)
years = analysis.years
st.caption(f"{formats.fmt_int(analysis.files)} Dateien · {len(years)} Stichtage {years[0]}–{years[-1]} · "
           f"{formats.fmt_int(len(groups))} Gebiet{'' if len(groups) == 1 else 'e'} · "
           + (DEMO_SOURCE if demo else f"Gebäudedaten {bm.ATTRIBUTION}"))  # fmt: skip
if analysis.notes:
    with st.expander(f"Hinweise zur Datenbereinigung ({len(analysis.notes)})"):
        st.markdown("\n".join(f"- {n}" for n in analysis.notes))
if demo:
    st.warning(f"{DEMO_LABEL}: erfundene Gebäude zum Ausprobieren, keine OpenStreetMap-Daten.", icon=":material/science:")
st.info(f"Hinweis: {CAVEAT}", icon=":material/info:")  # once, for every chart, table and map below
stem = ("gebaeudebestand", None if picked == "a:" else picked[2:], "demo-fiktiv" if demo else None)

st.subheader(f"Bestand je Ortsteil{fictional}")
for tab, measure in zip(st.tabs(["Gebäude", "Grundfläche", "gewerblich genutzt"]), bf.MEASURES, strict=True):
    _charts.show(bf.stock_chart(view.stats, measure=measure), where=tab)
c3, c4 = st.columns(2)
with c3:
    st.markdown(f"**Neu erfasst und entfernt je Jahr{fictional}**")
    _charts.show(bf.change_chart(view.stats), width=_charts.HALF)
with c4:
    st.markdown("**Diagramm für Berichte** (Gebäude und davon gewerblich genutzte; PNG 200 dpi oder SVG)")
    # shown at 150 dpi (8 in: 1,200 px, within Streamlit's 1,460 px it would otherwise shrink anew every run)
    st.image(_figure(akey, picked, "png", demo, view.stats, dpi=150), width="stretch")
    for col, fmt, mime in zip(st.columns([1, 1, 2]), ("png", "svg"), ("image/png", "image/svg+xml"), strict=False):
        col.download_button(fmt.upper(), key=f"g_{fmt}", file_name=file_name(*stem, suffix=fmt), mime=mime,
                            on_click="ignore", data=lambda fmt=fmt: _figure(akey, picked, fmt, demo, view.stats))  # fmt: skip

st.subheader(f"Kennzahlen je Ortsteil und Stichtag{fictional}")
styler, columns = bf.styled(bf.figures_table(view.stats))
st.dataframe(styler, column_config=columns, hide_index=True, width="stretch")
t1, t2, _ = st.columns([1, 1, 6])
t1.download_button("CSV", bf.figures_csv(view.stats), file_name=file_name(*stem, suffix="csv"), mime="text/csv",
                   key="g_csv")  # fmt: skip
notes = (DEMO_SOURCE, *analysis.notes) if demo else analysis.notes
t2.download_button("XLSX", lambda: bf.figures_xlsx(view.stats, notes=notes), file_name=file_name(*stem, suffix="xlsx"),
                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="g_xlsx",
                   on_click="ignore")  # fmt: skip


@st.fragment
def map_section() -> None:
    st.subheader(f"Karte der Veränderungen{fictional}")
    if len(years) < 2:
        st.info("Für die Karte sind mindestens zwei Stichtage nötig.")
        return
    m1, m2, m3 = st.columns([2, 1, 1])
    since = m1.select_slider("Neu erfasst seit", years[1:], value=years[max(1, len(years) - 5)], key="g_since")
    scope = "all" if m2.toggle("alle Nutzungsänderungen", key="g_scope",
                               help="Aus: nur Änderungen mit gewerblicher Nutzung (z. B. yes → retail).") else "commercial"  # fmt: skip
    basemap = m3.selectbox("Hintergrundkarte", list(maps.BASEMAPS), format_func=maps.BASEMAPS.get, key="g_basemap")
    data = _map_data(akey, picked, since, scope, view.changes, bounds)
    if demo:  # the legend names the source: made up, not OpenStreetMap
        data = replace(data, attribution=f"{DEMO_LABEL}, keine OpenStreetMap-Daten")
    st.caption("Farbe = Jahr des ersten Schnappschusses, der das Gebäude enthält (es kam im Vorjahr in OSM hinzu). "
               "Ebenen (neu erfasst, Nutzung geändert, entfernt) rechts oben ein- und ausblenden. "
               + maps.BASEMAP_NOTE)  # fmt: skip
    st_folium(bm.render_building_map(data, basemap=basemap, **_ui.map_assets()), key="g_map", height=560, use_container_width=True,
              returned_objects=[])  # fmt: skip


map_section()
