"""Daten: import a list (validation report first, then import), export the current view, choose the register.

Export (public and internal) for the role Büro; import and the register for the role Admin. A file
comes by upload or by name from the server data folder (:mod:`geo.app.serverfiles`), never as a
typed path. An import may place new units by their address; units placed not exactly are checked in
„Zu prüfen: Verortung“ (``pages/_geocode_review.py``). Imports, internal exports and register
changes are recorded in the audit trail.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import streamlit as st

from geo import dates, formats, settings
from geo.access.accounts import AuditAction
from geo.access.roles import Right
from geo.app.access import reset_demo_keeping_access
from geo.app.display import german_style
from geo.app.exchange import (
    EXPORT_LABELS,
    EXPORT_MIME,
    IMPORT_SUFFIXES,
    export_bytes,
    export_name,
    import_upload,
)
from geo.app.figures import counts_note
from geo.app.filters import describe
from geo.app.geocode_review import unavailable_message
from geo.app.serverfiles import list_server_files, server_file
from geo.errors import QuartiersmonitorError
from geo.places.geocoding import GeocodingUnavailable
from geo.register.io import export_frame, export_headers
from geo.register.store import open_store
from geo.text import file_name
from pages import _auth, _filters, _geocode_review, _router, _session, _ui

_router.ensure(__file__)
_auth.require(Right.INTERNAL_EXPORT, title="Daten")

FIELDS = ("quarter", "ortsteil", "street", "statuses", "use_classes", "at")
ON_ERROR = {
    "reject": "Alles oder nichts: bei Fehlern nichts importieren",
    "skip": "Fehlerhafte Zeilen überspringen, den Rest importieren",
}

h = _ui.load()
_ui.page_header("Daten", h)
filters = _filters.filter_widgets(h, FIELDS, page=__file__)
view = filters.only(*FIELDS)
if message := _session.pop(_session.DATA_FLASH):
    st.success(message)


def _show_report(report) -> None:  # noqa: ANN001 - geo.register.imports.ImportReport
    cols = st.columns(4)
    cols[0].metric("Zeilen gelesen", formats.fmt_int(report.rows_read))
    cols[1].metric("Neue Einheiten", formats.fmt_int(report.units_added))
    cols[2].metric("Neue Beobachtungen", formats.fmt_int(report.observations_added))
    cols[3].metric("Abgelehnte Zeilen", formats.fmt_int(report.rows_rejected))
    for note in report.notes:
        st.caption(note)
    if report.issues:
        st.markdown(f"**Prüfbericht: {formats.fmt_int(len(report.errors))} Fehler, "
                    f"{formats.fmt_int(len(report.warnings))} Warnungen**")
        st.dataframe(german_style(report.to_frame()), hide_index=True, width="stretch")  # no "None", "<NA>"
        st.download_button("Prüfbericht herunterladen (.txt)", report.to_text().encode("utf-8"),
                           file_name=file_name("pruefbericht", Path(report.file).stem, suffix="txt"), mime="text/plain",
                           on_click="ignore")
    if report.review:  # placed from the address, not exactly: checked below after the import
        st.markdown(f"**Zu prüfen: Verortung ({formats.fmt_int(len(report.review))} Einheiten, nach dem Import unten)**")
        st.dataframe(german_style(report.review_frame().drop(columns=["lon", "lat"])), hide_index=True, width="stretch")


@st.fragment
def import_section() -> None:
    st.subheader("Liste importieren")
    st.caption("CSV, Excel (XLSX), GeoJSON, GeoPackage oder gezipptes Shapefile. "
               "Die Datei wird zuerst geprüft; geschrieben wird erst nach „Importieren“.")
    upload = st.file_uploader("Datei hochladen", type=list(IMPORT_SUFFIXES), key="d_upload")
    suffixes = tuple(f".{s}" for s in IMPORT_SUFFIXES)
    names = list_server_files(suffixes=suffixes)
    server_name = st.selectbox("… oder aus dem Datenordner des Servers", names, index=None, key="d_server_file",
                               placeholder="Datei wählen") if names else None
    left, right = st.columns(2)
    on_error = left.radio("Bei fehlerhaften Zeilen", list(ON_ERROR), format_func=ON_ERROR.get, key="d_on_error")
    low, today = dates.plausible_window()
    as_of = right.date_input("Datum für Zeilen ohne Datum", value=today, min_value=low, max_value=today,
                             format="DD.MM.YYYY", key="d_as_of")
    geocoding = _geocode_review.geocoding_options()
    if (upload is None and not server_name) or geocoding is None:
        return
    data, name = (upload.getvalue(), upload.name) if upload is not None else (None, None)
    try:
        source = str(server_file(server_name or "", suffixes=suffixes)) if upload is None else None
        with st.spinner(geocoding.spinner):
            plan = _ui.plan(h, data=data, name=name, source=source, as_of=as_of, on_error=on_error,
                            geocoder=geocoding.geocoder, geocode_key=geocoding.key)
    except GeocodingUnavailable as exc:
        st.error(unavailable_message(exc))
        return
    except QuartiersmonitorError as exc:
        _ui.show_error(exc)
        return
    report = plan.report
    _show_report(report)
    if not plan.accepted:
        st.error("Import abgelehnt: Die Datei enthält Fehler, es würde nichts geschrieben. Fehler in der Datei "
                 "beheben oder „Fehlerhafte Zeilen überspringen“ wählen.")
        return
    if not (report.units_added or report.observations_added or report.units_updated):
        st.info("Die Datei enthält nichts Neues für das Register.")
        return
    if st.button("Importieren", type="primary", key="d_import"):
        _auth.require(Right.IMPORT)  # checked again at the write (a fragment rerun skips the page's top)
        try:
            with st.spinner("Import läuft …"):
                done = import_upload(h.store, data=data, name=name, path=source, as_of=as_of,
                                     on_error=on_error, geocoder=geocoding.geocoder, recorded_by=_auth.name())
        except QuartiersmonitorError as exc:
            _ui.show_error(exc)
            return
        _auth.audit(AuditAction.IMPORT, f"{name or server_name}: {done.units_added} neue Einheiten, "
                    f"{done.observations_added} neue Beobachtungen")
        check = " Verortung prüfen: unten unter „Zu prüfen: Verortung“." if done.review else ""
        st.session_state[_session.DATA_FLASH] = (f"Import abgeschlossen: {formats.fmt_int(done.units_added)} neue "
                                                 f"Einheiten, {formats.fmt_int(done.observations_added)} neue "
                                                 f"Beobachtungen.{check}")
        st.rerun()


@st.fragment
def export_section() -> None:
    st.subheader("Aktuelle Auswahl exportieren")
    register = _ui.filtered(h, view)
    st.caption(f"{describe(view)} (Filter in der Seitenleiste) · Export: "
               f"{counts_note(register, at=view.date_at())}")
    left, right = st.columns(2)
    fmt = left.radio("Format", list(EXPORT_LABELS), format_func=EXPORT_LABELS.get, key="d_fmt")
    internal = _auth.can(Right.INTERNAL_EXPORT) and right.checkbox(
        "interner Export (mit personenbezogenen Daten)", key="d_internal",
        help="Ohne Haken fehlen Eigentümer, Kontakte, Notizen, Bearbeiter, Adresszusätze und frei eingetragene "
        "Quellen. Jeder interne Export wird protokolliert.")
    if internal:
        right.warning("Enthält personenbezogene Daten (DSGVO): nur intern verwenden.")
    headers = "en" if right.checkbox("Feldnamen des Registers als Spaltennamen (englisch, für GIS und Skripte)",
                                     key="d_headers", disabled=fmt not in ("csv", "xlsx")) else "de"
    at = view.date_at()
    out = export_name(view, fmt, internal=internal)
    make = lambda: export_bytes(register, fmt=fmt, at=at, internal=internal, headers=headers)  # noqa: E731
    st.download_button(
        f"{EXPORT_LABELS[fmt].split(' (')[0]} herunterladen",
        data=_auth.audited(make, AuditAction.EXPORT_PERSONAL, out) if internal else make,
        file_name=out,
        mime=EXPORT_MIME[fmt],
        on_click="ignore",
        type="primary",
        key="d_download",
    )
    with st.expander("Vorschau (erste 20 Zeilen)"):
        preview = export_frame(register.subset(np.arange(len(register.units)) < 20), at=at, internal=internal)
        st.dataframe(export_headers(preview.drop(columns="geometry"), headers), hide_index=True, width="stretch")


@st.fragment
def store_section() -> None:
    st.subheader("Register")
    st.caption(f"Aktuelles Register: {h.store.location}")  # a server URL without its password
    if settings.named_store_path() is not None:  # one register for every server of the team
        st.caption("Dieser Server arbeitet fest auf diesem Register (QM_STORE); ein anderes wird beim Start gewählt.")
    else:
        names = [None, *list_server_files(suffixes=(".gpkg",))]
        picked = st.selectbox("Anderes Register öffnen (GeoPackage aus dem Datenordner des Servers)", names,
                              index=None, placeholder="Register wählen", key="d_store",
                              format_func=lambda n: "Standard: Arbeitskopie der Demo" if n is None else n)
        if st.button("Öffnen", key="d_open", disabled=picked is None and _session.STORE not in st.session_state):
            _auth.require(Right.STORE)
            try:
                path = None if picked is None else server_file(picked, suffixes=(".gpkg",))
                open_store(path)
            except QuartiersmonitorError as exc:
                _ui.show_error(exc)
                return
            st.session_state[_session.STORE] = None if path is None else str(path)
            _auth.audit(AuditAction.STORE, f"Register geöffnet: {picked or 'Standard'}")
            st.rerun()
    # only a store flagged as demo can be reset (reset_demo_store refuses any other), never the shipped demo
    resettable = (
        h.demo
        and isinstance(settings.store_location(h.path), Path)  # a demo copied to a server is not reset
        and Path(h.path).resolve() != Path(settings.demo_store_path).resolve()
    )
    if resettable and st.button("Demo-Arbeitskopie zurücksetzen", key="d_reset",
                                help="Verwirft alle Änderungen an der Demo und stellt das ausgelieferte Demo-Register wieder her."):
        _auth.require(Right.STORE)
        try:
            reset_demo_keeping_access(Path(h.path))  # the accounts and the audit trail stay
            _ui.forget_store()
        except QuartiersmonitorError as exc:
            _ui.show_error(exc)
            return
        _auth.audit(AuditAction.STORE, "Demo-Arbeitskopie zurückgesetzt")
        st.session_state[_session.DATA_FLASH] = "Demo-Register zurückgesetzt."
        st.rerun()


if _auth.can(Right.IMPORT):
    import_section()
    st.divider()
_geocode_review.review_section(h)
st.divider()
export_section()
if _auth.can(Right.STORE):
    st.divider()
    store_section()
