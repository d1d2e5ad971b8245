"""Begehung planen: stops by rules or picks, the shortest walking route, the sheet and files to take along.

Thin page: selection (:mod:`geo.walks.stops`), planning and every file (:mod:`geo.walks.outreach`) come
from the library; the walking network from :mod:`geo.walks.network`.
The last plan stays in ``st.session_state[_session.WALK]`` for the page „Besuche erfassen“.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import streamlit as st
from streamlit_folium import st_folium

from geo import settings
from geo.app.filters import Filters
from geo.app.units import unit_label
from geo.errors import QuartiersmonitorError
from geo.outputs import maps
from geo.places.areas import load_quarters
from geo.walks import outreach
from geo.walks.network import (
    DEMO_NETWORK_CREDIT,
    graph_files,
    load_graph_upload,
    load_walk_graph,
    network_credit,
)
from geo.walks.stops import Rule, select_stops
from pages import _router, _session, _ui

_router.ensure(__file__)

#: Session key of the last planned walk (an ``OutreachWalk``), shared with „Besuche erfassen“.

RULES = (
    ("vacant", "Leerstand länger als … Monate", True, 6),
    ("new", "Neuansiedlungen der letzten … Monate, noch nicht begrüßt", True, 3),
    ("unvisited", "Nicht besucht seit … Monaten (oder nie)", False, 12),
)
NO_NETWORK = (
    "Für die Route wird ein Wegenetz gebraucht: OpenStreetMap-Daten als .osm-Datei (z. B. mit osmium auf das "
    "Quartier zugeschnitten) oder eine GraphML-Datei von osmnx – bitte oben eine Datei angeben oder hochladen. "
    "Die Auswahl der Stopps geht auch ohne."
)
#: Fictional demo walking network (geo.register.demo_network.write_demo_walk_network), the default on the demo
#: register only.
DEMO_NETWORK = settings.data_dir / "demo-walk-network.osm"

h = _ui.load()
_ui.page_header(
    "Begehung planen", h,
    caption="Stopps nach Regeln oder Auswahl wählen, den kürzesten Fußweg über das Wegenetz planen und "
    "Laufzettel, GPX und GeoPackage für QField mitnehmen.",
)
filters = st.session_state.get(_session.FILTERS) or Filters()


@st.cache_resource(max_entries=2, show_spinner="Wegenetz wird geladen …")
def _graph_file(path: str, stamp: float) -> Any:
    return load_walk_graph(path)


@st.cache_resource(max_entries=2, show_spinner="Wegenetz wird geladen …")
def _graph_upload(data: bytes, name: str) -> Any:
    return load_graph_upload(data, name)


def network() -> tuple[Any, str | None]:
    """The walking network chosen by file path or upload, and its attribution; (None, None) without."""
    st.subheader("Wegenetz")
    found = [str(p) for p in graph_files() if h.demo or p != DEMO_NETWORK]
    demo_net = h.demo and DEMO_NETWORK.is_file()
    st.session_state.setdefault(_session.GRAPH_PATH, str(DEMO_NETWORK) if demo_net else found[0] if found else "")
    left, right = st.columns(2)
    path = left.text_input("Datei auf dem Server (.osm oder .graphml)", key=_session.GRAPH_PATH).strip()
    if found:
        left.caption("Vorhanden: " + ", ".join(Path(f).name for f in found))
    upload = right.file_uploader("… oder hochladen", type=["osm", "graphml", "xml"], key="b_graph_upload")
    try:
        if upload is not None:
            data = upload.getvalue()
            return _graph_upload(data, upload.name), network_credit(data, name=upload.name)
        if path:
            file = Path(path).expanduser()
            if file == DEMO_NETWORK:
                st.caption(f"{DEMO_NETWORK_CREDIT}: die Demo-Straßen und erfundene Verbindungswege, "
                           "keine echten Kartendaten – Wege und Zeiten sind nur zur Vorführung.")
            stamp = file.stat().st_mtime if file.is_file() else 0.0
            return _graph_file(str(file), stamp), network_credit(file)
    except QuartiersmonitorError as exc:
        _ui.show_error(exc)
        return None, None
    st.info(NO_NETWORK)
    return None, None


@st.fragment
def planner(graph: Any, credit: str | None) -> None:
    """Area, rules, picks and options; plans on click and keeps the walk in the session."""
    st.subheader("Stopps")
    quarters = load_quarters()
    c1, c2, c3 = st.columns(3)
    quarter = c1.selectbox("Quartier", list(quarters), key="b_quarter")
    units = h.register.units
    ortsteile = sorted({str(o) for o in units.loc[units["quarter"] == quarter, "ortsteil"].dropna()})
    ortsteil = c2.selectbox("Ortsteil", [None, *ortsteile], key="b_ortsteil",
                            format_func=lambda v: "ganzes Quartier" if v is None else v)
    day = c3.date_input("Datum der Begehung", value=date.today(), key="b_at", format="DD.MM.YYYY")
    rules = []
    for kind, label, on, months in RULES:
        a, b = st.columns([3, 1], vertical_alignment="center")
        chosen = a.checkbox(label, value=on, key=f"b_rule_{kind}")
        n = b.number_input(label, 0, 240, months, key=f"b_months_{kind}", label_visibility="collapsed")
        if chosen:
            rules.append(Rule(kind, int(n)))
    frame = _ui.status_frame(h, Filters(quarter=quarter))
    frame = frame.loc[frame["status"] != "demolished"]
    labels = {r["unit_id"]: unit_label(r) for r in frame.to_dict("records")}
    picked = st.multiselect("Zusätzlich diese Einheiten", list(labels), format_func=labels.get, key="b_picked",
                            placeholder="Einheiten suchen …")
    with st.expander("Eigenes Gebiet zeichnen (GeoJSON)"):
        drawn = st.text_area("Polygon als GeoJSON in Längen-/Breitengrad (EPSG:4326), z. B. gezeichnet auf "
                             "geojson.io; ersetzt Quartier/Ortsteil für die Regeln.", key="b_polygon").strip()
    try:
        area: Any = json.loads(drawn) if drawn else (ortsteil or quarter)
        selection = select_stops(h.register, at=day, rules=rules, area=area, picked=picked)
    except (QuartiersmonitorError, json.JSONDecodeError) as exc:
        st.error(f"Auswahl nicht möglich: {exc}")
        return
    stops = selection.frame
    st.caption(f"{len(stops)} Stopps ausgewählt." + "".join(f" {n}" for n in selection.notes))
    if len(stops):
        with st.expander("Ausgewählte Stopps ansehen"):
            shown = stops[["unit_id", "label", "state", "reason", "priority"]]
            st.dataframe(shown.rename(columns={"unit_id": "Einheit", "label": "Adresse", "state": "Betrieb / Stand",
                                               "reason": "Grund", "priority": "Priorität"}),
                         hide_index=True, width="stretch")

    st.subheader("Weg und Zeit")
    c1, c2, c3, c4 = st.columns(4)
    budget = c1.number_input("Zeitbudget (min, 0 = ohne)", 0, 720, 120, step=15, key="b_budget")
    speed = c2.number_input("Gehgeschwindigkeit (km/h)", 2.0, 7.0, float(settings.walk_speed_kmh), step=0.5,
                             key="b_speed")
    per_visit = c3.number_input("Minuten je Besuch", 0, 90, 10, key="b_minutes")
    round_trip = c4.radio("Ende", [True, False], key="b_round",
                          format_func=lambda v: "zurück zum Büro" if v else "am letzten Stopp")
    office = quarters[quarter]
    st.caption(f"Start: {office.office_name}, {office.office_address}")
    if not st.button("Route planen", type="primary", key="b_plan", disabled=graph is None or stops.empty):
        return
    with st.spinner("Route wird berechnet …"):
        try:
            walk = outreach.plan_outreach(
                h.register, graph, at=day, rules=rules, area=area, picked=picked, start=quarter,
                round_trip=round_trip, speed_kmh=speed, minutes_per_visit=per_visit,
                time_budget_min=budget or None, network_credit=credit,
            )
        except QuartiersmonitorError as exc:
            _ui.show_error(exc)
            return
    st.session_state[_session.WALK] = walk
    st.rerun()


def result(walk: outreach.OutreachWalk) -> None:
    """The planned walk: map, order, dropped stops and the downloads."""
    st.divider()
    st.subheader(walk.title)
    st.success(walk.plan.summary)
    for note in [*walk.notes, *walk.plan.notes]:
        st.info(note)
    st.caption(maps.BASEMAP_NOTE)
    st_folium(walk.route_map(basemap=filters.basemap, **_ui.map_assets()), key="b_map", height=520, use_container_width=True,
              returned_objects=[])
    st.dataframe(outreach.stop_table(walk.plan), hide_index=True, width="stretch")
    if walk.plan.dropped:
        st.markdown("**Nicht eingeplant**")
        st.dataframe(outreach.dropped_table(walk.plan), hide_index=True, width="stretch")
    internal = not filters.presentation and st.checkbox("Mit Kontaktdaten (intern, personenbezogen)", key="b_internal")
    if internal:
        st.warning("Die interne Fassung enthält personenbezogene Daten: nicht weitergeben, nach der Begehung vernichten.")
    c1, c2, c3, c4 = st.columns(4)
    c1.download_button("Laufzettel (PDF)", data=lambda: walk.sheet_pdf(internal=internal), key="b_pdf",
                       file_name=walk.file_name("pdf", internal=internal), mime="application/pdf")
    c2.download_button("GPX", data=walk.to_gpx(), file_name=walk.file_name("gpx"), mime="application/gpx+xml",
                       key="b_gpx")
    c3.download_button("GeoPackage für QField", data=lambda: walk.qfield_gpkg(internal=internal), key="b_gpkg",
                       file_name=walk.file_name("gpkg", internal=internal), mime="application/geopackage+sqlite3")
    c4.download_button("JSON", data=json.dumps(walk.to_json(), ensure_ascii=False, indent=2), key="b_json",
                       file_name=walk.file_name("json"), mime="application/json")
    st.caption("Unterwegs erfassen: Seite „Besuche erfassen“ (diese Begehung ist dort vorausgewählt) oder das "
               "GeoPackage in QField öffnen und danach dort hochladen.")


graph, credit = network()
planner(graph, credit)
if (walk := st.session_state.get(_session.WALK)) is not None:
    result(walk)
