"""Daten, part: „Adressen ohne Koordinaten verorten“ for an import, and the list „Zu prüfen: Verortung“.

Rendered from ``pages/daten.py`` (not a page of its own). Only widgets here: the geocoders, the
review list and the writes come from :mod:`geo.app.geocode_review` and
:mod:`geo.register.relocation`. Accepting or moving a unit's place is an edit: offered only
when :func:`may_edit` (role Büro), recorded with the signed-in account and in the audit trail.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from geo import formats, settings
from geo.access.accounts import AuditAction
from geo.access.roles import Right
from geo.app.geocode_review import (
    ADDRESS_UPLOAD_TYPES,
    GEOCODE_CHOICES,
    clicked_point,
    geocoder_key,
    move_text,
    new_point_layer,
    nominatim_note,
    offline_geocoder,
    placement_map,
    review_label,
    review_list,
    review_table,
    server_address_files,
)
from geo.errors import QuartiersmonitorError, StoreConflict
from geo.places.geocoding import NominatimGeocoder, OfflineGeocoder
from geo.register.relocation import accept_location, check_point, relocate_unit
from geo.register.store import Store, WriteResult
from pages import _auth, _session, _ui


def may_edit() -> bool:
    """Whether this session may change the register (its role holds :attr:`Right.EDIT`)."""
    return _auth.can(Right.EDIT)


@dataclass(frozen=True)
class Geocoding:
    """The geocoding chosen for an import: the geocoder (None: none), its cache key, the spinner text."""

    geocoder: Any = None
    key: str | None = None
    spinner: str = "Datei wird geprüft …"


@st.cache_resource(max_entries=2, show_spinner="Adressdateien werden gelesen …")
def _offline(key: str, _uploads: tuple[tuple[str, bytes], ...], _names: tuple[str, ...]) -> OfflineGeocoder:
    return offline_geocoder(_uploads, _names)


def geocoding_options() -> Geocoding | None:
    """The option „Adressen ohne Koordinaten verorten“; None while offline address files are missing or unreadable."""
    kind = st.radio("Adressen ohne Koordinaten verorten", list(GEOCODE_CHOICES), format_func=GEOCODE_CHOICES.get,
                    key="d_geocode", help="Neue Einheiten ohne lon/lat bzw. x/y in der Liste werden über ihre "
                    "Adresse verortet; was nicht genau passt, steht danach unter „Zu prüfen: Verortung“.")
    if kind == "nominatim":
        st.caption(nominatim_note())
        try:
            geocoder = NominatimGeocoder()
        except QuartiersmonitorError as exc:
            _ui.show_error(exc)
            return None
        return Geocoding(geocoder, f"nominatim:{settings.nominatim_url}",
                         "Adressen werden bei Nominatim gesucht (höchstens eine Anfrage je Sekunde) …")
    if kind != "offline":
        return Geocoding()
    uploads = st.file_uploader("Adressdateien hochladen (OSM-XML, GeoJSON, GeoPackage; Hauskoordinaten als CSV/XLSX)",
                               type=list(ADDRESS_UPLOAD_TYPES), accept_multiple_files=True, key="d_addr_upload")
    names = server_address_files()
    chosen = st.multiselect("… oder aus dem Datenordner des Servers", names, key="d_addr_server") if names else []
    files = tuple((u.name, u.getvalue()) for u in uploads or ())
    if not files and not chosen:
        st.info("Für die Verortung offline bitte Adressdateien hochladen"
                + (" oder aus dem Datenordner wählen." if names else "."))
        return None
    try:
        key = geocoder_key(files, chosen)
        geocoder = _offline(key, files, tuple(chosen))
    except QuartiersmonitorError as exc:
        _ui.show_error(exc)
        return None
    return Geocoding(geocoder, f"offline:{key}", "Datei wird geprüft, Adressen werden verortet …")


@st.cache_data(max_entries=4, show_spinner=False)
def _review(path: str, stamp: int, _store: Store) -> pd.DataFrame:
    return review_list(_ui._read(path, stamp).units, _store.imports())


def _write(h: _ui.Handle, action: Callable[[int | None], WriteResult], done: str) -> None:
    """Run a write on the version the list was shown on; a flash and a full rerun either way, or the error.

    The write is recorded in the audit trail with ``done`` (unit id and what happened, nothing personal).
    """
    _auth.require(Right.EDIT)  # checked again at the write (a fragment rerun skips the page's top)
    try:
        with st.spinner("Wird gespeichert …"):
            action(st.session_state.get(_session.GEOCODE_VERSION, h.stamp))
    except StoreConflict as exc:  # someone else wrote meanwhile: show the current state, decide again
        st.session_state[_session.GEOCODE_FLASH] = (
            "warning", f"Nicht gespeichert: das Register wurde inzwischen geändert (Version {exc.version}, erwartet "
            f"{exc.expected}), z. B. in einer anderen Sitzung. Die Liste zeigt jetzt den aktuellen Stand – bitte "
            "erneut prüfen.")
    except QuartiersmonitorError as exc:
        _ui.show_error(exc)
        return
    else:
        _auth.audit(AuditAction.WRITE, done)
        st.session_state[_session.GEOCODE_FLASH] = ("success", done)
    st.session_state.pop(_session.GEOCODE_MAP, None)
    st.rerun()


def _forget_click() -> None:
    st.session_state.pop(_session.GEOCODE_MAP, None)


@st.fragment
def review_section(h: _ui.Handle) -> None:
    """„Zu prüfen: Verortung“: the units placed not exactly; accept a place or set it on the map."""
    st.subheader("Zu prüfen: Verortung")
    if not any(st.session_state.get(k) for k in (_session.GEOCODE_ACCEPT, _session.GEOCODE_SAVE)):
        _ui.rerun_if_changed(h)  # written meanwhile (another session or server): the whole page anew
    if flash := _session.pop(_session.GEOCODE_FLASH):
        (st.success if flash[0] == "success" else st.warning)(flash[1])
    frame = _review(h.path, h.stamp, h.store)
    if frame.empty:
        st.caption("Keine Einheit zu prüfen: alle über ihre Adresse verorteten Einheiten liegen genau oder sind "
                   "geprüft.")
        return
    many = f"{formats.fmt_int(len(frame))} Einheiten wurden" if len(frame) != 1 else "Eine Einheit wurde"
    st.caption(f"{many} über die Adresse verortet, aber nicht genau: bitte den Ort prüfen und übernehmen oder auf "
               "der Karte richtig setzen.")
    st.dataframe(review_table(frame), hide_index=True, width="stretch", placeholder="–")
    if not may_edit():
        st.caption("Nur Ansicht: Orte übernehmen oder setzen kann die Rolle Büro.")
        return
    if not any(st.session_state.get(k) for k in (_session.GEOCODE_ACCEPT, _session.GEOCODE_SAVE)):
        # shown, not acted on: the version the user sees, the edits are made on it
        st.session_state[_session.GEOCODE_VERSION] = h.stamp
    rows = {r["unit_id"]: r for r in frame.to_dict("records")}
    unit_id = st.selectbox("Einheit", list(rows), format_func=lambda u: review_label(rows[u]),
                           key=_session.GEOCODE_UNIT, on_change=_forget_click)
    row = rows[unit_id]
    if st.button("Übernehmen", key=_session.GEOCODE_ACCEPT, help="Der Ort stimmt: als geprüft vermerken."):
        _write(h, lambda v: accept_location(h.store, unit_id, expected_version=v, recorded_by=_auth.name()),
               f"Ort von {unit_id} übernommen (geprüft).")
    st.markdown("**Auf der Karte setzen:** in die Karte klicken (grau: bisheriger Ort), dann „Speichern“.")
    current = (row["lon"], row["lat"])
    point = clicked_point(st.session_state.get(_session.GEOCODE_MAP))
    m = placement_map(current=current, label=review_label(row), boundaries=h.register.boundaries, **_ui.map_assets())
    st_folium(m, key=_session.GEOCODE_MAP, height=380, use_container_width=True, returned_objects=["last_clicked"],
              feature_group_to_add=new_point_layer(point))
    if point is None:
        return
    try:
        check_point(*point, boundaries=h.register.boundaries)
    except QuartiersmonitorError as exc:
        _ui.show_error(exc)
        return
    st.caption(move_text(current, point))
    if st.button("Speichern", key=_session.GEOCODE_SAVE, type="primary"):
        _write(h, lambda v: relocate_unit(h.store, unit_id, lon=point[0], lat=point[1], expected_version=v,
                                          recorded_by=_auth.name()),
               f"Ort von {unit_id} von Hand gesetzt ({move_text(current, point)}).")
