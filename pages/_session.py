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
:data:`STORE`          the register opened on page *Daten* (path as text), read
                       by :func:`pages._ui.load` on every page
:data:`FILTERS`        the sidebar filters (:class:`geo.app.filters.Filters`)
:data:`FILTERS_PAGE`   the page that drew the filter widgets last
:data:`WALK`           the last walk planned on *Begehung planen*, visited on
                       *Besuche erfassen*
=====================  =========================================================

One page each: the rest, grouped by page below. A *flash* is a message set
before ``st.rerun()`` and shown (and popped) on the next run.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

# -- shared by several pages ----------------------------------------------------------------------

#: The register file opened on page *Daten* (path as text); ``None``/absent: the named or demo register.
STORE = "qm_store_path"
#: The sidebar filters shared by all pages (:class:`geo.app.filters.Filters`).
FILTERS = "qm_filters"
#: The page that rendered the filter widgets last (widget state does not carry over between pages).
FILTERS_PAGE = "qm_filters_page"
#: The last planned walk (:class:`geo.walks.outreach.OutreachWalk`), from *Begehung planen* for
#: *Besuche erfassen*.
WALK = "qm_walk"

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

# -- Daten ----------------------------------------------------------------------------------------

#: Message after an import or a reset of the demo working copy.
DATA_FLASH = "qm_data_flash"

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
#: Message after a visit was saved.
VISIT_FLASH = "v_flash"
#: Message after a QField GeoPackage was taken over.
QFIELD_FLASH = "v_qflash"

# -- Begehung planen ------------------------------------------------------------------------------

#: Path of the walking network on the server (widget key, preset with the demo network).
GRAPH_PATH = "b_graph_path"

# -- Bericht --------------------------------------------------------------------------------------

#: The report asked for with „Bericht erstellen“ (quarters, start, end, public, unit level, folder).
REPORT_REQUEST = "b_request"

# -- Gebäudebestand -------------------------------------------------------------------------------

#: The chosen area (widget key: ``"a:"`` for all, ``"q:NAME"``, ``"o:NAME"``).
BUILDING_AREA = "g_area"


def pop(key: str) -> Any:
    """Take ``key`` out of the session (``None`` when absent): a flash message is shown once."""
    return st.session_state.pop(key, None)
