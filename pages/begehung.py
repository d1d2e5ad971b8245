"""Begehung planen: stops by rules or picks, the shortest walking route, the sheet and files to take along.

Thin page: selection (:mod:`geo.walks.stops`), planning and every file (:mod:`geo.walks.outreach`) come
from the library; the walking networks on offer from :mod:`geo.walks.quarter_network` (the quarter's
saved real network first, the fictional demo network only on the demo register). Quarter, Ortsteil and
street are the shared filters (:mod:`pages._filters`), so the area chosen on *Karte* carries over.
The last plan stays in ``st.session_state[_session.WALK]`` for the page „Besuche erfassen“.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import streamlit as st
from streamlit_folium import st_folium

from geo import settings
from geo.access.accounts import AuditAction
from geo.access.roles import Right
from geo.app.filters import Filters
from geo.app.serverfiles import list_server_files, server_file
from geo.app.units import UnitChoices
from geo.dates import local_today
from geo.errors import QuartiersmonitorError
from geo.outputs import maps
from geo.places.areas import get_quarter
from geo.walks import outreach
from geo.walks.network import load_graph_upload, load_walk_graph, network_credit
from geo.walks.quarter_network import fetch_quarter_network, network_options
from geo.walks.stops import Rule, StopSelection, select_stops
from geo.walks.tour import FIRST_STOP_NOTE
from pages import _auth, _filters, _router, _session, _ui

_router.ensure(__file__)
_auth.require(Right.WALKS, title="Begehung planen")

RULES = (
    ("vacant", "Leerstand länger als … Monate", True, 6),
    ("new", "Neuansiedlungen der letzten … Monate, noch nicht begrüßt", True, 3),
    ("unvisited", "Nicht besucht seit … Monaten (oder nie)", False, 12),
)
NO_NETWORK = (
    "Für die Route wird ein Wegenetz gebraucht: das echte Straßennetz des Quartiers (Knopf oben oder "
    "„python -m geo network --quarter NAME“), eine OpenStreetMap-Datei (.osm, z. B. mit osmium auf das "
    "Quartier zugeschnitten) oder eine GraphML-Datei von osmnx. Die Auswahl der Stopps geht auch ohne."
)
#: Fictional demo walking network (geo.register.demo_network.write_demo_walk_network), demo register only.
DEMO_NETWORK = settings.data_dir / "demo-walk-network.osm"
GRAPH_SUFFIXES = (".osm", ".graphml")  # walking network files offered from the server data folder

h = _ui.load()
_ui.page_header(
    "Begehung planen", h,
    caption="Stopps nach Regeln oder Auswahl wählen, den kürzesten Fußweg über das Straßennetz planen und "
    "Laufzettel, GPX und GeoPackage für QField mitnehmen.",
)
filters = _filters.filter_widgets(h, ("quarter", "ortsteil", "street"), page=__file__)


@st.cache_resource(max_entries=2, show_spinner="Wegenetz wird geladen …")
def _graph_file(path: str, stamp: float) -> Any:
    return load_walk_graph(path)


@st.cache_resource(max_entries=2, show_spinner="Wegenetz wird geladen …")
def _graph_upload(data: bytes, name: str) -> Any:
    return load_graph_upload(data, name)


def _download_button(quarter: str) -> None:
    """Offer to download the quarter's real network when none is saved."""
    st.info(f"Für {quarter} ist noch kein echtes Straßennetz gespeichert.")
    if st.button(f"Straßennetz {quarter} von OpenStreetMap laden", key="b_fetch_network"):
        with st.spinner("Straßennetz wird von OpenStreetMap geladen …"):
            try:
                fetch_quarter_network(quarter, boundaries=h.register.boundaries)
            except QuartiersmonitorError as exc:
                _ui.show_error(exc)
                return
        st.session_state[_session.network_choice(quarter)] = f"quarter:{quarter}"
        st.rerun()


def _other_file() -> tuple[Any, str | None]:
    """A walking network from the server data folder (by name) or uploaded; never a typed path."""
    left, right = st.columns(2)
    names = list_server_files(suffixes=GRAPH_SUFFIXES)
    chosen = left.selectbox("Datei aus dem Datenordner des Servers (.osm oder .graphml)", names, index=None,
                            key=_session.GRAPH_FILE, placeholder="Datei wählen" if names else "keine Datei im Ordner")
    upload = right.file_uploader("… oder hochladen", type=["osm", "graphml", "xml"], key="b_graph_upload")
    if upload is not None:
        data = upload.getvalue()
        return _graph_upload(data, upload.name), network_credit(data, name=upload.name)
    if chosen:
        file = server_file(chosen, suffixes=GRAPH_SUFFIXES)
        return _graph_file(str(file), file.stat().st_mtime), network_credit(file)
    return None, None


def network() -> tuple[Any, str | None]:
    """The walking network to plan on and its attribution; (None, None) without."""
    st.subheader("Wegenetz")
    options = network_options(quarter=filters.quarter, demo=h.demo, demo_path=DEMO_NETWORK)
    if filters.quarter and not any(o.key == f"quarter:{filters.quarter}" for o in options):
        _download_button(filters.quarter)
    by_key = {o.key: o for o in options}
    key = st.selectbox("Straßennetz", list(by_key), key=_session.network_choice(filters.quarter),
                       format_func=lambda k: by_key[k].label)
    chosen = by_key[key]
    try:
        if chosen.path is None:
            graph, credit = _other_file()
        else:
            st.caption(f"Verwendet: {chosen.description}")
            graph, credit = _graph_file(str(chosen.path), chosen.path.stat().st_mtime), chosen.credit
    except (QuartiersmonitorError, OSError) as exc:
        st.error(f"Wegenetz nicht lesbar: {exc}")
        return None, None
    if graph is None:
        st.info(NO_NETWORK)
    return graph, credit


def start_caption(quarter: str | None) -> str:
    if quarter is None:
        return "Start: Büro des Quartiers der Stopps."
    office = get_quarter(quarter)
    if not office.office_configured:
        return f"{FIRST_STOP_NOTE} ({quarter}; eintragen in data/quarters.toml)."
    return f"Start: {office.office_name}, {office.office_address}"


@st.cache_resource(max_entries=8, show_spinner=False)
def _choices(path: str, stamp: int, quarter: str | None, at: date) -> UnitChoices:  # shared and only read
    """The quarter's units that still exist on ``at``, to pick by searching (once per store version)."""
    frame = _ui._status(path, stamp, Filters(quarter=quarter).key(), True, at)
    return UnitChoices.of(frame.loc[frame["status"] != "demolished"])


@st.cache_resource(max_entries=8, show_spinner="Stopps werden ausgewählt …")
def _stops(path: str, stamp: int, day: date, rules: tuple[Rule, ...], area: Any, street: str | None,
           picked: tuple[str, ...]) -> StopSelection:  # shared and read-only: the planner only reads it
    return select_stops(_ui._read(path, stamp), at=day, rules=rules, area=area, street=street, picked=picked)


@st.fragment
def planner(graph: Any, credit: str | None) -> None:
    """Rules, picks and options; plans on click and keeps the walk in the session."""
    st.subheader("Stopps")
    where = ", ".join(p for p in (filters.ortsteil or filters.quarter, filters.street) if p) or "alle Quartiere"
    st.caption(f"Gebiet: {where} (Filter in der Seitenleiste, wie auf der Karte).")
    day = st.date_input("Datum der Begehung", value=local_today(), key="b_at", format="DD.MM.YYYY")
    rules = []
    for kind, label, on, months in RULES:
        a, b = st.columns([3, 1], vertical_alignment="center")
        chosen = a.checkbox(label, value=on, key=f"b_rule_{kind}")
        n = b.number_input(label, 0, 240, months, key=f"b_months_{kind}", label_visibility="collapsed")
        if chosen:
            rules.append(Rule(kind, int(n)))
    choices = _choices(h.path, h.stamp, filters.quarter, Filters(quarter=filters.quarter).date_at())
    query = st.text_input("Zusätzlich diese Einheiten", key="b_pick_query", placeholder="suchen: Kennung, Adresse, Betrieb")
    st.session_state[_session.WALK_PICKED] = kept = choices.known(st.session_state.get(_session.WALK_PICKED, []))
    picked = st.multiselect("Gewählt", choices.options(query, kept), format_func=choices.label, key=_session.WALK_PICKED,
                            placeholder="Treffer der Suche hier wählen …" if query else "erst oben suchen")
    with st.expander("Eigenes Gebiet zeichnen (GeoJSON)"):
        drawn = st.text_area("Polygon als GeoJSON in Längen-/Breitengrad (EPSG:4326), z. B. gezeichnet auf "
                             "geojson.io; ersetzt Quartier/Ortsteil für die Regeln.", key="b_polygon").strip()
    try:
        area: Any = json.loads(drawn) if drawn else (filters.ortsteil or filters.quarter)
        selection = _stops(h.path, h.stamp, day, tuple(rules), area, filters.street, tuple(picked))
    except (QuartiersmonitorError, json.JSONDecodeError) as exc:
        st.error(f"Auswahl nicht möglich: {exc}")
        return
    stops = selection.frame
    st.caption(f"{len(stops)} Stopps ausgewählt." + "".join(f" {n}" for n in selection.notes))
    if len(stops):
        with st.expander("Ausgewählte Stopps ansehen (nach Dringlichkeit)"):
            shown = stops[["unit_id", "label", "state", "reason", "ranking"]]
            st.dataframe(shown.rename(columns={"unit_id": "Einheit", "label": "Adresse", "state": "Betrieb / Stand",
                                               "reason": "Grund", "ranking": "Dringlichkeit"}),
                         hide_index=True, width="stretch")

    st.subheader("Weg und Zeit")
    c1, c2, c3, c4 = st.columns(4)
    budget = c1.number_input("Zeitbudget (min, 0 = ohne)", 0, 720, 120, step=15, key="b_budget")
    speed = c2.number_input("Gehgeschwindigkeit (km/h)", 2.0, 7.0, float(settings.walk_speed_kmh), step=0.5,
                             key="b_speed")
    per_visit = c3.number_input("Minuten je Besuch", 0, 90, 10, key="b_minutes")
    round_trip = c4.radio("Ende", [True, False], key="b_round",
                          format_func=lambda v: "zurück zum Start" if v else "am letzten Stopp")
    st.caption(start_caption(filters.quarter) + " Bei einem Zeitbudget bleiben die dringlichsten Stopps: "
               "lange leer, Nachfassen fällig, lange nicht besucht.")
    if not st.button("Route planen", type="primary", key="b_plan", disabled=graph is None or stops.empty):
        return
    with st.spinner("Route wird berechnet …"):
        try:
            walk = outreach.plan_outreach(
                h.register, graph, at=day, rules=rules, area=area, street=filters.street, picked=picked,
                start=filters.quarter, round_trip=round_trip, speed_kmh=speed, minutes_per_visit=per_visit,
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
    st.caption(f"Wegenetz: {walk.network_credit or 'ohne Angabe'} · {maps.BASEMAP_NOTE}")
    st_folium(walk.route_map(basemap=filters.basemap, **_ui.map_assets()), key="b_map", height=520, use_container_width=True,
              returned_objects=[])
    st.dataframe(outreach.stop_table(walk.plan), hide_index=True, width="stretch")
    if walk.plan.dropped:
        st.markdown("**Nicht eingeplant**")
        st.dataframe(outreach.dropped_table(walk.plan), hide_index=True, width="stretch")
    internal = _auth.can(Right.INTERNAL_EXPORT) and st.checkbox("Mit Kontaktdaten (intern, personenbezogen)",
                                                                key="b_internal")
    if internal:
        st.warning("Die interne Fassung enthält personenbezogene Daten: nicht weitergeben, nach der Begehung vernichten.")

    def logged(make: Any, kind: str) -> Any:  # an internal file is recorded in the audit trail when asked for
        return _auth.audited(make, AuditAction.EXPORT_PERSONAL, walk.file_name(kind, internal=True)) if internal else make

    c1, c2, c3, c4 = st.columns(4)
    c1.download_button("Laufzettel (PDF)", data=logged(lambda: walk.sheet_pdf(internal=internal), "pdf"), key="b_pdf",
                       file_name=walk.file_name("pdf", internal=internal), mime="application/pdf")
    c2.download_button("GPX", data=walk.to_gpx(), file_name=walk.file_name("gpx"), mime="application/gpx+xml",
                       key="b_gpx")
    c3.download_button("GeoPackage für QField", data=logged(lambda: walk.qfield_gpkg(internal=internal), "gpkg"),
                       key="b_gpkg",
                       file_name=walk.file_name("gpkg", internal=internal), mime="application/geopackage+sqlite3")
    c4.download_button("JSON", data=json.dumps(walk.to_json(), ensure_ascii=False, indent=2), key="b_json",
                       file_name=walk.file_name("json"), mime="application/json")
    st.caption("Unterwegs erfassen: Seite „Besuche erfassen“ (diese Begehung ist dort vorausgewählt) oder das "
               "GeoPackage in QField öffnen und danach dort hochladen.")


graph, credit = network()
planner(graph, credit)
if (walk := st.session_state.get(_session.WALK)) is not None:
    result(walk)
