"""Daten: import a list (validation report first, then import), export the current view, choose the register."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import streamlit as st

from geo import dates, formats, settings
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
from geo.errors import QuartiersmonitorError
from geo.register.io import export_frame
from geo.register.store import open_store, reset_demo_store
from pages import _filters, _router, _session, _ui

_router.ensure(__file__)

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
        st.markdown(f"**Prüfbericht: {len(report.errors)} Fehler, {len(report.warnings)} Warnungen**")
        st.dataframe(report.to_frame(), hide_index=True, width="stretch")
        st.download_button("Prüfbericht herunterladen (.txt)", report.to_text().encode("utf-8"),
                           file_name="pruefbericht.txt", mime="text/plain", on_click="ignore")


@st.fragment
def import_section() -> None:
    st.subheader("Liste importieren")
    st.caption("CSV, Excel (XLSX), GeoJSON, GeoPackage oder gezipptes Shapefile. "
               "Die Datei wird zuerst geprüft; geschrieben wird erst nach „Importieren“.")
    upload = st.file_uploader("Datei hochladen", type=list(IMPORT_SUFFIXES), key="d_upload")
    server_path = st.text_input("… oder Pfad einer Datei auf dem Server/Netzlaufwerk", key="d_path",
                                placeholder="z. B. /mnt/netzlaufwerk/begehung-2024.xlsx").strip()
    left, right = st.columns(2)
    on_error = left.radio("Bei fehlerhaften Zeilen", list(ON_ERROR), format_func=ON_ERROR.get, key="d_on_error")
    low, today = dates.plausible_window()
    as_of = right.date_input("Datum für Zeilen ohne Datum", value=today, min_value=low, max_value=today,
                             format="DD.MM.YYYY", key="d_as_of")
    if upload is None and not server_path:
        return
    data, name = (upload.getvalue(), upload.name) if upload is not None else (None, None)
    source = server_path if upload is None else None
    try:
        with st.spinner("Datei wird geprüft …"):
            plan = _ui.plan(h, data=data, name=name, source=source, as_of=as_of, on_error=on_error)
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
        try:
            with st.spinner("Import läuft …"):
                done = import_upload(h.store, data=data, name=name, path=source, as_of=as_of,
                                           on_error=on_error)
        except QuartiersmonitorError as exc:
            _ui.show_error(exc)
            return
        st.session_state[_session.DATA_FLASH] = (f"Import abgeschlossen: {done.units_added} neue Einheiten, "
                                   f"{done.observations_added} neue Beobachtungen.")
        st.rerun()


@st.fragment
def export_section() -> None:
    st.subheader("Aktuelle Auswahl exportieren")
    register = _ui.filtered(h, view)
    st.caption(f"{describe(view)} (Filter in der Seitenleiste) · Export: "
               f"{counts_note(register, at=view.date_at())}")
    left, right = st.columns(2)
    fmt = left.radio("Format", list(EXPORT_LABELS), format_func=EXPORT_LABELS.get, key="d_fmt")
    if _filters.presentation_on():
        internal = False
        right.caption("Präsentationsmodus: nur der öffentliche Export ohne personenbezogene Daten.")
    else:
        internal = right.checkbox("interner Export (mit personenbezogenen Daten)", key="d_internal",
                                  help="Ohne Haken fehlen Eigentümer, Kontakte, Notizen, Bearbeiter, "
                                  "Adresszusätze und frei eingetragene Quellen.")
    if internal:
        right.warning("Enthält personenbezogene Daten (DSGVO): nur intern verwenden.")
    at = view.date_at()
    st.download_button(
        f"{EXPORT_LABELS[fmt].split(' (')[0]} herunterladen",
        data=lambda: export_bytes(register, fmt=fmt, at=at, internal=internal),
        file_name=export_name(view, fmt, internal=internal),
        mime=EXPORT_MIME[fmt],
        on_click="ignore",
        type="primary",
        key="d_download",
    )
    with st.expander("Vorschau (erste 20 Zeilen)"):
        preview = export_frame(register.subset(np.arange(len(register.units)) < 20), at=at, internal=internal)
        st.dataframe(preview.drop(columns="geometry"), hide_index=True, width="stretch")


@st.fragment
def store_section() -> None:
    st.subheader("Register")
    st.caption(f"Aktuelles Register: {h.path}")
    path = st.text_input("Anderes Register öffnen (Pfad zu einer .gpkg-Datei)", key="d_store").strip()
    if st.button("Öffnen", key="d_open", disabled=not path):
        try:
            open_store(Path(path).expanduser())
        except QuartiersmonitorError as exc:
            _ui.show_error(exc)
            return
        st.session_state[_session.STORE] = str(Path(path).expanduser())
        st.rerun()
    # only a store flagged as demo can be reset (reset_demo_store refuses any other), never the shipped demo
    resettable = h.demo and Path(h.path).resolve() != Path(settings.demo_store_path).resolve()
    if resettable and st.button("Demo-Arbeitskopie zurücksetzen", key="d_reset",
                                help="Verwirft alle Änderungen an der Demo und stellt das ausgelieferte Demo-Register wieder her."):
        try:
            reset_demo_store(Path(h.path))
            _ui.forget_store()
        except QuartiersmonitorError as exc:
            _ui.show_error(exc)
            return
        st.session_state[_session.DATA_FLASH] = "Demo-Register zurückgesetzt."
        st.rerun()


import_section()
st.divider()
export_section()
st.divider()
store_section()
