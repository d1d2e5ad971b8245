"""Besuche erfassen: record each stop's outcome on the way (phone-friendly), take over QField data, follow-ups.

Thin page: every visit is written by :func:`geo.walks.visits.log_visit` or
:func:`geo.walks.qfield.import_qfield`. The planned walk comes from the page
„Begehung planen“ (``st.session_state[_session.WALK]``).
"""

from __future__ import annotations

import re
from typing import Any

import streamlit as st

from geo import dates, formats, settings
from geo.access.accounts import AuditAction
from geo.access.roles import Right
from geo.app.filters import Filters
from geo.app.units import search_units, unit_labels
from geo.dates import local_today
from geo.errors import QuartiersmonitorError
from geo.register.model import STATUS_LABELS, STATUSES, VISIT_OUTCOME_LABELS
from geo.walks import outreach, visits
from geo.walks.qfield import VisitImportRejected, import_qfield
from pages import _auth, _router, _session, _ui

_router.ensure(__file__)
_auth.require(Right.WALKS, title="Besuche erfassen")


h = _ui.load()
_ui.page_header("Besuche erfassen", h, caption="Je Stopp das Ergebnis eintragen – auch unterwegs auf dem Handy.")
walk: outreach.OutreachWalk | None = st.session_state.get(_session.WALK)


def _md(text: Any) -> str:
    """Plain text for markdown (names and notes are user input)."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~$])", r"\\\1", formats.display_text(text))


def choose_unit() -> tuple[str | None, str | None, list[str]]:
    """The unit to record, the walk id (for planned stops) and the stop order."""
    modes = (["Stopps der geplanten Begehung"] if walk is not None else []) + ["Beliebige Einheit"]
    mode = st.radio("Was besuchen?", modes, horizontal=True, key="v_mode")
    if walk is not None and mode == modes[0]:
        labels = outreach.stop_labels(walk.plan)
        if (upcoming := _session.pop(_session.VISIT_NEXT)) in labels:
            st.session_state[_session.VISIT_STOP] = upcoming
        unit_id = st.selectbox(walk.title, list(labels), format_func=labels.get, key=_session.VISIT_STOP)
        row = walk.plan.stops.set_index("unit_id").loc[unit_id]
        st.caption(_md(f"{formats.display_text(row.get('reason'))} – {formats.display_text(row.get('check'))}"))
        return unit_id, walk.walk_id, list(labels)
    frame = _ui.status_frame(h, Filters())
    # a new search forgets the unit chosen before: the best hit (exact address first) is preselected
    query = st.text_input("Einheit suchen (Kennung, Straße oder Betrieb)", key="v_query", on_change=_session.pop,
                          args=(_session.VISIT_UNIT,))
    hits = search_units(frame, query)
    if hits.empty:
        st.caption("Einheit suchen, um einen Besuch zu erfassen.")
        return None, None, []
    labels = unit_labels(hits)
    return st.selectbox("Einheit", list(labels), format_func=labels.get, key=_session.VISIT_UNIT), None, []


@st.fragment
def visit_form() -> None:
    """One visit: outcome, changed status or business, follow-up date, note."""
    st.subheader("Besuch erfassen")
    if message := _session.pop(_session.VISIT_FLASH):
        st.success(message)
    unit_id, walk_id, order = choose_unit()
    if unit_id is None:
        return
    today = local_today()
    with st.form("v_form", clear_on_submit=True):
        outcome = st.radio("Ergebnis", list(VISIT_OUTCOME_LABELS), format_func=VISIT_OUTCOME_LABELS.get, index=None,
                           key="v_outcome")
        status = st.selectbox("Neuer Status (nur bei Änderung)", [None, *STATUSES], key="v_status",
                              format_func=lambda s: "unverändert" if s is None else STATUS_LABELS[s])
        business = st.text_input("Neuer Betrieb (nur bei Änderung)", key="v_business", max_chars=settings.max_field_chars)
        follow_up = st.date_input("Nachfassen am", value=None, min_value=today, format="DD.MM.YYYY", key="v_follow")
        note = st.text_area("Notiz (intern, nicht in öffentlichen Ansichten)", key="v_note",
                            max_chars=settings.max_field_chars)
        visited_on = st.date_input("Besucht am", value=today, min_value=dates.plausible_window()[0], max_value=today,
                                   format="DD.MM.YYYY", key="v_day")
        submitted = st.form_submit_button("Besuch speichern", type="primary", use_container_width=True)
    if not submitted:
        return
    if outcome is None:
        st.warning("Bitte ein Ergebnis wählen.")
        return
    _auth.require(Right.WALKS)  # checked again at the write (a fragment rerun skips the page's top)
    try:
        logged = visits.log_visit(
            h.store, unit_id=unit_id, visited_on=visited_on, outcome=outcome, status=status,
            business_name=business, follow_up_on=follow_up, note=note, walk_id=walk_id, recorded_by=_auth.name(),
        )
    except QuartiersmonitorError as exc:
        _ui.show_error(exc)
        return
    _auth.audit(AuditAction.WRITE, f"Besuch bei Einheit {unit_id}" + (f", Beobachtung Nr. {logged.obs_id}"
                                                                   if logged.obs_id is not None else ""))
    extra = " mit neuer Beobachtung" if logged.obs_id is not None else ""
    st.session_state[_session.VISIT_FLASH] = f"Besuch bei {unit_id}{extra} gespeichert."
    if unit_id in order and order.index(unit_id) + 1 < len(order):
        st.session_state[_session.VISIT_NEXT] = order[order.index(unit_id) + 1]
    st.rerun()


@st.fragment
def qfield() -> None:
    """Take over the filled-in visit table of a QField GeoPackage."""
    st.subheader("QField-GeoPackage übernehmen")
    if message := _session.pop(_session.QFIELD_FLASH):
        st.success(message)
    upload = st.file_uploader("Ausgefülltes GeoPackage der Begehung (.gpkg)", type=["gpkg"], key="v_qfield")
    if upload is None or not st.button("Übernehmen", key="v_import"):
        return
    _auth.require(Right.WALKS)
    try:
        result = import_qfield(h.store, upload.getvalue(), recorded_by=_auth.name())
    except VisitImportRejected as exc:
        st.error(str(exc).split(" – ")[0] + ". Bitte in QField korrigieren und erneut hochladen.")
        st.dataframe(exc.errors, hide_index=True, width="stretch")
        return
    except QuartiersmonitorError as exc:
        _ui.show_error(exc)
        return
    _auth.audit(AuditAction.IMPORT, "QField-GeoPackage übernommen (Besuche)")
    st.session_state[_session.QFIELD_FLASH] = result.summary
    st.rerun()


@st.fragment
def follow_ups() -> None:
    """Follow-ups due this week and overdue ones, each with an „erledigt“ button."""
    st.subheader("Nachfassen diese Woche")
    due = visits.due_follow_ups(_ui.load().register, week_of=local_today())
    if due.empty:
        st.caption("Keine offenen Termine für diese Woche.")
        return
    for row in due.head(60).to_dict("records"):
        with st.container(border=True):
            left, right = st.columns([4, 1], vertical_alignment="center")
            late = " · **überfällig**" if row["overdue"] else ""
            left.markdown(f"**{_md(row['label'])}** – fällig {formats.fmt_date(row['follow_up_on'])}{late}")
            left.caption(_md(f"{row['state']} · Besuch {formats.fmt_date(row['visited_on'])}: {row['outcome_label']}"
                             + (f" · {formats.display_text(row.get('note'))}" if formats.display_text(row.get("note")) else "")))
            if right.button("erledigt", key=f"v_done_{row['visit_id']}", use_container_width=True):
                _auth.require(Right.WALKS)
                try:
                    visits.mark_follow_up_done(h.store, [int(row["visit_id"])])
                except QuartiersmonitorError as exc:
                    _ui.show_error(exc)
                    return
                _auth.audit(AuditAction.WRITE, f"Nachfassen erledigt: Besuch Nr. {row['visit_id']}")
                st.rerun()


visit_form()
qfield()
follow_ups()
