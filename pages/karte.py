"""Karte: units by status on a date, boundaries, new settlements, vacancy heat map, and the list of the units.

A click on a unit -- its dot on the map, its row in the list, or a search hit --
shows its details and full history (observations and visits), and a form
records a new observation (role Büro; the role Stadt sees no personal data and
cannot edit). The list (public columns only) downloads as CSV or XLSX. List and unit panel are
one fragment kept light (Markdown tables, two dataframes, the timeline chart
only on request), so their controls answer without rebuilding the map.
"""

from __future__ import annotations

from datetime import date
from itertools import zip_longest

import pandas as pd
import pyarrow as pa
import streamlit as st

from geo import dates, formats, settings
from geo.access.accounts import AuditAction
from geo.access.roles import Right
from geo.app.display import markdown_table, sector_choices, sector_text
from geo.app.filters import DATA_FIELDS, Filters, describe
from geo.app.unitlist import DATE_COLUMN, list_bytes, list_name, unit_list
from geo.app.units import UnitDetails, history_table, search_keys, search_units, unit_details, unit_labels
from geo.dates import local_today
from geo.errors import QuartiersmonitorError, StoreConflict
from geo.outputs import charts, maps
from geo.register.io import record_observation
from geo.register.model import CONFIDENCE_LABELS, OBSERVATION_SOURCES, STATUS_LABELS, STATUSES
from pages import _auth, _charts, _downloads, _filters, _router, _session, _ui

_router.ensure(__file__)
_auth.require(Right.UNIT_VIEW, title="Karte")

h = _ui.load()
_ui.page_header("Karte", h)
filters = _filters.filter_widgets(h, _filters.ALL_FIELDS, page=__file__)
public = not _auth.can(Right.PERSONAL_DATA)
st.caption(describe(filters))

data = _ui.map_data(h, filters)
if data.units.n == 0:
    st.info("Keine Einheiten für diese Auswahl – Filter in der Seitenleiste ändern.")
clicked = _ui.show_map(data, key="karte", basemap=filters.basemap, height=580)
_downloads.image_downloads(h, filters, "status_map", key="k_map", by_status=True)
clicked_id = maps.unit_id_from_tooltip(clicked.get("last_object_clicked_tooltip"))
if clicked_id and clicked_id != st.session_state.get(_session.LAST_CLICK):
    st.session_state[_session.LAST_CLICK] = clicked_id
    st.session_state[_session.UNIT_QUERY] = clicked_id
    st.session_state[_session.UNIT] = clicked_id


def _details(details: UnitDetails, at: date) -> None:
    """Unit and its state on ``at`` side by side in one light Markdown table."""
    pairs = zip_longest(details.unit_rows(), details.state_rows(), fillvalue=("", ""))
    rows = [(f"{k}", v, f"{k2}", v2) for (k, v), (k2, v2) in pairs]
    st.markdown(markdown_table(("Einheit", "", f"Stand am {formats.fmt_date(at)}", ""), rows))


HISTORY_COLUMNS = {
    "Datum": st.column_config.TextColumn(width="small"),
    "Neuansiedlung": st.column_config.CheckboxColumn("neu", help="als Neuansiedlung markiert", width="small"),
    "ersetzt": st.column_config.CheckboxColumn(help="durch eine spätere Korrektur ersetzt", width="small"),
    "Notiz": st.column_config.TextColumn(width="large"),
}


def _observation_form(h: _ui.Handle, unit_id: str, current: dict) -> None:
    today = local_today()
    status_now = current.get("status") if current.get("status") in STATUSES else "vacant"
    if not st.session_state.get(_session.OBSERVATION_SAVE):  # shown, not submitted: the version the user sees
        st.session_state[_session.FORM_VERSION] = h.stamp
    with st.form("beobachtung", clear_on_submit=True):
        st.markdown("**Neue Beobachtung erfassen**")
        left, right = st.columns(2)
        observed = left.date_input("Datum", value=today, min_value=dates.plausible_window()[0], max_value=today,
                                   format="DD.MM.YYYY")
        status = right.selectbox("Status", STATUSES, index=STATUSES.index(status_now), format_func=STATUS_LABELS.get)
        business = left.text_input("Betrieb (Name)", value=formats.display_text(current.get("business_name")))
        sector_now = formats.display_text(current.get("sector"))
        sectors = sector_choices(sector_now)
        sector = right.selectbox(
            "Branche", sectors, index=sectors.index(sector_now) if sector_now in sectors else None,
            format_func=sector_text, placeholder="Nutzungsart oder WZ-Abschnitt",
        )
        confidence = left.selectbox("Sicherheit", list(CONFIDENCE_LABELS), format_func=CONFIDENCE_LABELS.get)
        source = right.selectbox(
            "Quelle", OBSERVATION_SOURCES, help="Wer hat den Stand geliefert? Namen bitte nur in die interne Notiz."
        )
        new_settlement = left.checkbox("Neuansiedlung", help="Auch wenn die Einheit vorher nicht erfasst war.")
        right.caption(f"Erfasst von: {_auth.shown_name()} (angemeldetes Konto)")
        note = st.text_area("Notiz (intern, nicht in öffentlichen Ansichten)", max_chars=settings.max_field_chars)
        submitted = st.form_submit_button("Beobachtung speichern", type="primary", key=_session.OBSERVATION_SAVE)
    if not submitted:
        return
    _auth.require(Right.EDIT)  # checked again at the write (a fragment rerun skips the page's top)
    try:
        with st.spinner("Beobachtung wird gespeichert …"):
            obs_id = record_observation(
                h.store,
                unit_id=unit_id,
                observed_on=observed,
                status=status,
                business_name=business,
                sector=sector,
                confidence=confidence,
                source=source,
                note=note,
                new_settlement=new_settlement,
                recorded_by=_auth.name(),
                expected_version=st.session_state.get(_session.FORM_VERSION, h.stamp),
            )
    except StoreConflict as exc:  # someone else wrote meanwhile: show the current state, record again
        st.session_state[_session.CONFLICT] = (
            f"Nicht gespeichert: das Register wurde inzwischen geändert (Version {exc.version}, erwartet "
            f"{exc.expected}), z. B. in einer anderen Sitzung. Der aktuelle Stand ist jetzt geladen – bitte den "
            "Verlauf prüfen und die Beobachtung erneut erfassen."
        )
        st.rerun()
    except QuartiersmonitorError as exc:
        _ui.show_error(exc)
        return
    _auth.audit(AuditAction.WRITE, f"Beobachtung Nr. {obs_id} zu Einheit {unit_id}")
    st.session_state[_session.MAP_FLASH] = f"Beobachtung Nr. {obs_id} für {unit_id} gespeichert."
    st.rerun()


@st.cache_resource(max_entries=16, show_spinner=False)
def _search_keys(path: str, stamp: int, key: str, at: date) -> pd.DataFrame:  # shared and only read
    return search_keys(_ui._status(path, stamp, key, True, at))


@st.cache_resource(max_entries=16, show_spinner=False)
def _unit_table(path: str, stamp: int, key: str) -> tuple[pd.DataFrame, pa.Table]:  # shared and only read
    # a resource with its Arrow table: a row click no longer unpickles and converts 50,000 rows (0.03 s)
    table = unit_list(_ui._status(path, stamp, key, True, Filters.from_key(key).date_at()))
    return table, pa.Table.from_pandas(table, preserve_index=False)


LIST_CONFIG = {
    "Kennung": st.column_config.TextColumn(width="small"),
    DATE_COLUMN: st.column_config.DateColumn(format="DD.MM.YYYY", help="seit wann die Einheit diesen Status hat"),
}


def unit_list_view(h: _ui.Handle, filters: Filters) -> None:
    """The units of the view as a sortable list; a click on a row selects the unit, as a click on its dot."""
    view = filters.only(*DATA_FIELDS).key()
    table, arrow = _unit_table(h.path, h.stamp, view)
    st.subheader(f"Einheiten in der Auswahl ({formats.fmt_int(len(table))})")
    key = _session.unit_list(view)
    event = st.dataframe(arrow, key=key, on_select="rerun", selection_mode="single-row", hide_index=True,
                         width="stretch", height=380, placeholder="–", column_config=LIST_CONFIG)
    rows = event.selection.rows
    picked = str(table["Kennung"].iloc[rows[0]]) if rows and rows[0] < len(table) else None
    if picked and (key, picked) != st.session_state.get(_session.LAST_LIST_PICK):
        st.session_state[_session.UNIT_QUERY] = picked
        st.session_state[_session.UNIT] = picked
    st.session_state[_session.LAST_LIST_PICK] = (key, picked)
    _downloads.table_downloads(lambda fmt: list_bytes(table, fmt, filters=filters, demo=h.demo),
                               name=lambda fmt: list_name(filters, fmt), key="k_list")


@st.fragment
def unit_panel(h: _ui.Handle, filters: Filters, public: bool) -> None:
    """Details, history and the observation form of one unit; its controls rerun it alone, not the list."""
    if not st.session_state.get(_session.OBSERVATION_SAVE):
        _ui.rerun_if_changed(h)
    st.subheader("Einheit")
    if message := _session.pop(_session.MAP_FLASH):
        st.success(message)
    if message := _session.pop(_session.CONFLICT):
        st.warning(message)
    frame = _ui.status_frame(h, filters)
    query = st.text_input(
        "Einheit suchen (Kennung, Straße oder Betrieb)", key=_session.UNIT_QUERY,
        placeholder="… oder in Karte oder Liste anklicken", on_change=_session.pop, args=(_session.UNIT,),
    )
    hits = search_units(frame, query, keys=_search_keys(h.path, h.stamp, filters.key(), filters.date_at()))
    if hits.empty:
        if query:
            st.info("Keine Einheit in der aktuellen Auswahl gefunden.")
        return
    labels = unit_labels(hits, public=public)
    if st.session_state.get(_session.UNIT) not in labels:  # a new search preselects its best hit
        st.session_state[_session.UNIT] = next(iter(labels))
    unit_id = st.selectbox(f"Treffer ({len(labels)})", list(labels), key=_session.UNIT, format_func=labels.get)
    try:
        details = unit_details(frame, unit_id, public=public)
        history = h.register.unit_history(unit_id)
        table = history_table(h.register, unit_id, public=public)
    except QuartiersmonitorError as exc:
        _ui.show_error(exc)
        return
    _details(details, filters.date_at())
    if details.contact is not None:
        with st.expander("Eigentümer und Kontakt – personenbezogen", icon=":material/lock:"):
            st.caption("Personenbezogene Daten: nur für die interne Arbeit, nicht weitergeben.")
            st.markdown(markdown_table(("Merkmal", "Wert"), details.contact.rows()))
    head, switch = st.columns([3, 1], vertical_alignment="bottom")
    head.markdown("**Verlauf**")
    if len(history) and switch.toggle("Zeitleiste zeigen", key="qm_unit_chart",
                                      help="Status der Einheit als farbige Zeitleiste"):
        _charts.show(charts.unit_timeline_chart(history), width=_charts.HALF)
    if len(table):
        st.dataframe(table, hide_index=True, width="stretch", placeholder="–", column_config=HISTORY_COLUMNS,
                     height="content" if len(table) <= 12 else "auto")
    else:
        st.caption("Noch keine Beobachtung und kein Besuch erfasst.")
    if not _auth.can(Right.EDIT):
        st.caption("Nur Ansicht: Beobachtungen erfassen kann die Rolle Büro.")
        return
    current = frame.loc[frame["unit_id"] == unit_id].iloc[0].to_dict()
    _observation_form(h, unit_id, current)


@st.fragment
def units_section(h: _ui.Handle, filters: Filters, public: bool) -> None:
    """List and unit panel side by side (stacked on a phone); reruns on its own, the map stays as it is."""
    if not st.session_state.get(_session.OBSERVATION_SAVE):  # a submission: the write checks the version itself
        _ui.rerun_if_changed(h)  # written meanwhile (another session or server): the whole page anew
    left, right = st.columns([6, 5], gap="large")
    with left:
        unit_list_view(h, filters)
    with right:
        unit_panel(h, filters, public)


units_section(h, filters, public)
