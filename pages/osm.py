"""OpenStreetMap: businesses from OSM next to the register -- fetch (online, saved) or file, map, lists, take over.

Thin page: loading and caching are in :mod:`geo.osm.download` (files: :mod:`geo.osm.files`), matching and
the lists in :mod:`geo.osm.matching`, taking rows over in :mod:`geo.osm.takeover`, the map in
:mod:`geo.outputs.osm_maps`.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from geo import dates, formats
from geo.access.accounts import AuditAction
from geo.access.roles import Right
from geo.app.serverfiles import list_server_files, server_file
from geo.errors import QuartiersmonitorError
from geo.osm import download as osm
from geo.osm import matching
from geo.osm.features import OsmTable
from geo.osm.files import load_businesses, load_businesses_upload
from geo.osm.takeover import apply_to_register
from geo.outputs import maps, osm_maps
from pages import _auth, _filters, _router, _session, _ui

_router.ensure(__file__)
_auth.require(Right.EDIT, title="OpenStreetMap")

FIELDS = ("quarter", "ortsteil", "at", "basemap")
SOURCES = {
    "online": "OpenStreetMap (online, mit gespeichertem Zwischenstand)",
    "file": "Datei (.osm, .geojson, .gpkg)",
}
FILE_SUFFIXES = (".osm", ".xml", ".geojson", ".json", ".gpkg")

h = _ui.load()
_ui.page_header(
    "OpenStreetMap",
    h,
    caption="Betriebe aus OpenStreetMap neben dem Register: was im Register fehlt und wo sich beide "
    f"widersprechen. Daten {osm.ATTRIBUTION}.",
)
filters = _filters.filter_widgets(h, FIELDS, page=__file__)
try:
    area, polygon = osm.area_polygon(
        h.register.boundaries, quarter=filters.quarter, ortsteil=filters.ortsteil
    )
except QuartiersmonitorError as exc:
    _ui.show_error(exc)
    st.stop()
if flash := _session.pop(_session.OSM_FLASH):
    st.success(flash[0])
    st.dataframe(flash[1], hide_index=True, width="stretch")


@st.cache_data(max_entries=4, show_spinner="Datei wird gelesen …")
def _from_file(
    data: bytes | None, name: str | None, path: str | None, stamp: float | None, area: str, _poly: object
) -> OsmTable:
    if data is None:
        return load_businesses(path or "", polygon=_poly)
    return load_businesses_upload(data, name or "upload.osm", polygon=_poly)


def _osm_data() -> OsmTable | None:
    """The OSM businesses of the area: fetched now, saved earlier, or from a file."""
    source = st.radio(
        "Quelle der OSM-Daten", list(SOURCES), format_func=SOURCES.get, horizontal=True, key="osm_source"
    )
    if source == "file":
        upload = st.file_uploader(
            "OSM-Datei hochladen", type=["osm", "xml", "geojson", "json", "gpkg"], key="osm_upload"
        )
        names = list_server_files(suffixes=FILE_SUFFIXES)
        chosen = st.selectbox("… oder aus dem Datenordner des Servers", names, index=None, key="osm_server_file",
                              placeholder="Datei wählen") if names else None
        if upload is None and not chosen:
            st.info("OSM-XML (z. B. aus JOSM oder overpass-turbo), GeoJSON oder GeoPackage wählen.")
            return None
        try:
            if upload is not None:
                return _from_file(upload.getvalue(), upload.name, None, None, area, polygon)
            path = server_file(chosen or "", suffixes=FILE_SUFFIXES)
            return _from_file(None, None, str(path), path.stat().st_mtime, area, polygon)
        except (QuartiersmonitorError, OSError) as exc:
            st.error(str(exc))
            return None
    if st.button("OSM-Daten abrufen", type="primary", key="osm_fetch", help=f"Betriebe in {area} neu laden"):
        try:
            with st.spinner(f"OpenStreetMap-Daten für {area} werden abgerufen …"):
                fetched = osm.fetch_businesses(polygon, area_name=area, refresh=True)
        except QuartiersmonitorError as exc:
            _ui.show_error(exc)
            return None
        if fetched.notice:
            st.warning(fetched.notice)
        return fetched
    try:
        cached = osm.cached_businesses(area)
    except QuartiersmonitorError as exc:
        _ui.show_error(exc)
        return None
    if cached is None:
        st.info(
            f"Für {area} liegt noch kein Zwischenstand vor. „OSM-Daten abrufen“ lädt die Betriebe aus "
            "OpenStreetMap (Internet nötig); ohne Internet arbeitet die App mit dem Register weiter."
        )
        return None
    return cached


osm_table = _osm_data()
if osm_table is None:
    st.stop()
businesses = osm_table.frame
st.caption(
    f"{area}: {formats.fmt_int(len(businesses))} Betriebe und Leerstände in OSM · {osm.source_note(osm_table)}"
)
at = filters.date_at()
try:
    comparison = matching.compare_with_osm(h.register, businesses, at=at)
except QuartiersmonitorError as exc:
    _ui.show_error(exc)
    st.stop()
st.caption(
    f"Registerstand am {formats.fmt_date(at)}; gleiche Stelle: höchstens {formats.fmt_number(comparison.tolerance_m, unit='m')} Abstand, "
    f"gleicher Name: Ähnlichkeit ab {formats.fmt_int(comparison.name_threshold)} von 100."
)
st.caption(maps.BASEMAP_NOTE)
st_folium(
    osm_maps.comparison_map(
        comparison, boundaries=h.register.boundaries, basemap=filters.basemap, **_ui.map_assets()
    ),
    key="osm_map",
    height=520,
    use_container_width=True,
    returned_objects=[],
)


@st.fragment
def lists(comparison: matching.OSMComparison, may_import: bool) -> None:
    """One table per list with checkboxes, and the action that takes the ticked rows over."""
    selected: dict[str, pd.DataFrame] = {}
    for kind, frame in comparison.lists().items():
        st.subheader(f"{matching.KINDS[kind]} ({len(frame)})")
        if frame.empty:
            st.caption("Keine Einträge.")
            continue
        table = matching.review_table(frame)
        edited = st.data_editor(
            table,
            key=_session.osm_edit(kind),
            hide_index=True,
            width="stretch",
            disabled=[c for c in table.columns if c != "Übernehmen"],
            column_config={
                "Übernehmen": st.column_config.CheckboxColumn("Übernehmen", help="als Beobachtung übernehmen")
            },
        )
        selected[kind] = frame.loc[edited.index[edited["Übernehmen"].to_numpy(dtype=bool)]]
    count = sum(len(f) for f in selected.values())
    if not may_import:
        st.caption("Übernehmen ins Register: nur mit der Rolle Admin (Import).")
        return
    low, today = dates.plausible_window()
    default_day = dates.clamp_date(comparison.data_date.date()) if comparison.data_date is not None else today
    left, right = st.columns(2)
    observed_on = left.date_input(
        "Datum der Beobachtungen",
        value=default_day,
        min_value=low,
        max_value=today,
        format="DD.MM.YYYY",
        key="osm_day",
        help="Vorgabe: Stand der OSM-Daten",
    )
    right.caption(f"Erfasst von: {_auth.shown_name()} (angemeldetes Konto)")
    st.caption(
        "Übernommen wird mit Sicherheit „gemeldet“ und der Quelle OpenStreetMap; Betriebe, die im Register "
        "fehlen, werden als neue Einheiten (Kennung OSM-…) angelegt."
    )
    if st.button(
        f"Als Beobachtungen übernehmen ({count})", type="primary", disabled=count == 0, key="osm_apply"
    ):
        _auth.require(Right.IMPORT)  # checked again at the write (a fragment rerun skips the page's top)
        try:
            with st.spinner("Wird ins Register geschrieben …"):
                result = apply_to_register(
                    h.store, selected, observed_on=observed_on, recorded_by=_auth.name()
                )
        except QuartiersmonitorError as exc:
            _ui.show_error(exc)
            return
        _auth.audit(AuditAction.IMPORT, f"OpenStreetMap ({area}): {count} Zeilen übernommen")
        st.session_state[_session.OSM_FLASH] = (result.summary, result.table())
        for kind in matching.KINDS:  # the ticks refer to rows of the old lists
            st.session_state.pop(_session.osm_edit(kind), None)
        st.rerun(scope="app")


lists(comparison, _auth.can(Right.IMPORT))
