"""Every name the pages keep in ``st.session_state``: one home, so a reader sees all state at once.

Streamlit's session state is one dictionary for all pages of a session. The keys
below are the ones the pages read or write through ``st.session_state``; keys of
widgets that only the widget itself uses stay next to the widget in its page.
Widget keys listed here are set from code as well (a map click selects a unit,
a saved visit moves to the next stop); ``tests/app`` and ``bench/bench_app.py``
use their names. The keys of the filter widgets (``f_<name>``) are
:data:`pages._filters.WIDGET_KEYS`.

Shared by several pages

=====================  =========================================================
:data:`ACCOUNT`        the local account signed in (its name); the role is read
                       from the account store on every run (:mod:`pages._auth`)
:data:`OIDC_SEEN`      the city account whose sign-in was recorded in the audit
:data:`STORE`          the register opened on page *Daten* (admin; path as text),
                       read by :func:`pages._ui.load` on every page
:data:`FILTERS`        the sidebar filters (:class:`geo.app.filters.Filters`)
:data:`FILTERS_PAGE`   the page that drew the filter widgets last
:data:`WALK`           the last walk planned on *Begehung planen*, visited on
                       *Besuche erfassen*
=====================  =========================================================

One page each: the rest, grouped by page below. A *flash* is a message set
before ``st.rerun()`` and shown (and popped) on the next run.
"""

from __future__ import annotations

import hashlib
from typing import Any

import streamlit as st

# -- shared by several pages ----------------------------------------------------------------------

#: The local account signed in this session (its name); absent: nobody or an identity-provider account.
#: Never bound to a widget, so a browser cannot set it.
ACCOUNT = "qm_account"
#: The e-mail of the identity-provider (OIDC) sign-in already recorded in the audit trail.
OIDC_SEEN = "qm_oidc_seen"
#: The register file opened on page *Daten* (path as text); ``None``/absent: the named or demo register.
STORE = "qm_store_path"
#: The sidebar filters shared by all pages (:class:`geo.app.filters.Filters`).
FILTERS = "qm_filters"
#: The page that rendered the filter widgets last (widget state does not carry over between pages).
FILTERS_PAGE = "qm_filters_page"
#: The last planned walk (:class:`geo.walks.outreach.OutreachWalk`), from *Begehung planen* for
#: *Besuche erfassen*.
WALK = "qm_walk"
#: The units picked for the walk besides the rules (widget key; units gone from the register are dropped).
WALK_PICKED = "b_picked"

# -- Karte ----------------------------------------------------------------------------------------

#: The unit selected for the form (widget key of the hit list; a map click sets it).
UNIT = "qm_unit"
#: The unit search text (widget key; a map click sets it).
UNIT_QUERY = "qm_unit_query"
#: The unit id of the last map click handled (so a click is handled once).
LAST_CLICK = "qm_last_click"
#: Message after an observation was saved.
MAP_FLASH = "qm_flash"
#: The store version the observation form was last shown on (the edit is made on it).
FORM_VERSION = "qm_form_version"
#: Message when the store changed between showing and saving the observation form.
CONFLICT = "qm_conflict"
#: Widget key of the form's save button (set while the form is submitted).
OBSERVATION_SAVE = "k_obs_save"
#: The last row picked in the unit list, as ``(widget key, unit id)`` (so a pick is handled once).
LAST_LIST_PICK = "qm_last_list_pick"


def unit_list(view: str) -> str:
    """Widget key of the unit list of a view (``Filters.key()``): a new view starts without a selected row."""
    return "qm_unit_list_" + hashlib.sha1(view.encode("utf-8")).hexdigest()[:12]

# -- Daten ----------------------------------------------------------------------------------------

#: Message after an import or a reset of the demo working copy.
DATA_FLASH = "qm_data_flash"
#: The store version the review list „Zu prüfen: Verortung“ was last shown on (its edits are made on it).
GEOCODE_VERSION = "qm_geocode_version"
#: Message after a unit's place was accepted or set on the map (or refused: the store changed meanwhile).
GEOCODE_FLASH = "qm_geocode_flash"
#: The unit chosen in the review list (widget key).
GEOCODE_UNIT = "gr_unit"
#: The small map where a click sets the unit's new place (``st_folium`` key; its value holds ``last_clicked``).
GEOCODE_MAP = "gr_map"
#: Widget keys of the buttons „Übernehmen“ and „Speichern“ (set while clicked: the list's version is kept).
GEOCODE_ACCEPT = "gr_accept"
GEOCODE_SAVE = "gr_save"

# -- Konten ---------------------------------------------------------------------------------------

#: Message after an account was saved or removed.
ACCOUNTS_FLASH = "qm_accounts_flash"

# -- OpenStreetMap --------------------------------------------------------------------------------

#: Summary and table after OSM findings were taken over as observations.
OSM_FLASH = "qm_osm_flash"


def osm_edit(kind: str) -> str:
    """Widget key of the editable list of OSM findings of ``kind`` (forgotten after taking them over)."""
    return f"osm_edit_{kind}"


# -- Besuche erfassen -----------------------------------------------------------------------------

#: The stop of the walk being visited (widget key; after saving, the next stop).
VISIT_STOP = "v_stop"
#: The stop to select on the next run (set after saving a visit).
VISIT_NEXT = "v_next"
#: The unit chosen among the search hits (widget key; forgotten when the search changes, so the best hit is
#: preselected).
VISIT_UNIT = "v_unit"
#: Message after a visit was saved.
VISIT_FLASH = "v_flash"
#: Message after a QField GeoPackage was taken over.
QFIELD_FLASH = "v_qflash"

# -- Begehung planen ------------------------------------------------------------------------------

#: The walking network file chosen by name from the server data folder (widget key, for „andere Datei“).
GRAPH_FILE = "b_graph_file"


def network_choice(quarter: str | None) -> str:
    """Widget key of the chosen walking network, one per quarter: each starts at that quarter's saved network."""
    return f"b_network:{quarter or ''}"

# -- Bericht --------------------------------------------------------------------------------------

#: The report asked for with „Bericht erstellen“ (quarters, start, end, public, unit level, folder).
REPORT_REQUEST = "b_request"

# -- Gebäudebestand -------------------------------------------------------------------------------

#: The chosen area (widget key: ``"a:"`` for all, ``"q:NAME"``, ``"o:NAME"``).
BUILDING_AREA = "g_area"


def pop(key: str) -> Any:
    """Take ``key`` out of the session (``None`` when absent): a flash message is shown once."""
    return st.session_state.pop(key, None)
