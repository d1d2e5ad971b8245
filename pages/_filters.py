"""The filter widgets shared by the pages; their state lives in the session and the URL.

(De)serialisation and validation of the state are in :mod:`geo.app.filters`; this
module only draws the widgets and keeps widget state, session and URL in step.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import streamlit as st

from geo import dates
from geo.app.filters import (
    BASEMAP_KEYS,
    QUERY_NAMES,
    STATUS_FILTER_LABELS,
    Filters,
    filter_options,
    has_filter_params,
)
from geo.outputs import maps
from geo.register.model import USE_CLASS_LABELS
from pages import _session
from pages._ui import Handle

#: Widget key of each filter field.
WIDGET_KEYS = {name: f"f_{name}" for name in QUERY_NAMES}

ALL_FIELDS = ("quarter", "ortsteil", "street", "statuses", "use_classes", "at", "since", "basemap")


def _widget_value(filters: Filters, name: str) -> Any:
    value = getattr(filters, name)
    if name == "at":
        return dates.clamp_date(filters.date_at())
    if name == "since":
        return dates.clamp_date(filters.period_start())
    if isinstance(value, tuple):
        return list(value)
    return value


def filter_widgets(
    h: Handle, fields: tuple[str, ...], *, page: str, container: Any = None, columns: bool = False,
    notices: Any = None,
) -> Filters:
    """Render the filter widgets for ``fields`` and return the filter state.

    The state is shared by all pages (session) and mirrored in the URL query
    parameters, so a view can be bookmarked; a URL that differs from the
    session state (a bookmark opened) wins. Widgets are re-seeded from the
    shared state when another ``page`` rendered them last (widget state does
    not carry over between pages). A date in the URL that cannot be read or is
    not plausible (:func:`geo.dates.plausible_window`) is replaced, with a
    warning naming it in ``notices`` (default: the main area here).
    """
    params = st.query_params.to_dict()
    stored = st.session_state.get(_session.FILTERS)
    from_url, problems = Filters.from_url(params) if has_filter_params(params) else (None, [])
    for problem in problems:
        (notices if notices is not None else st).warning(problem, icon=":material/event_busy:")
    current = from_url or stored or Filters()
    force = (from_url is not None and from_url != stored) or st.session_state.get(_session.FILTERS_PAGE) != page
    st.session_state[_session.FILTERS_PAGE] = page
    for name in fields:
        key = WIDGET_KEYS[name]
        if force or key not in st.session_state:
            st.session_state[key] = _widget_value(current, name)

    box = container if container is not None else st.sidebar
    slots = iter(box.columns(len(fields)) if columns else [box] * len(fields))
    values: dict[str, Any] = {}
    low, today = dates.plausible_window()
    opts = filter_options(h.register)
    for name in fields:
        slot, key = next(slots), WIDGET_KEYS[name]
        if name == "quarter":
            _keep_valid(key, opts.quarters)
            values[name] = slot.selectbox("Quartier", [None, *opts.quarters], key=key, format_func=lambda v: "alle Quartiere" if v is None else v, placeholder="alle Quartiere")
            opts = filter_options(h.register, quarter=values[name])
        elif name == "ortsteil":
            _keep_valid(key, opts.ortsteile)
            values[name] = slot.selectbox("Ortsteil", [None, *opts.ortsteile], key=key, format_func=lambda v: "alle Ortsteile" if v is None else v, placeholder="alle Ortsteile")
            opts = filter_options(h.register, quarter=values.get("quarter", current.quarter), ortsteil=values[name])
        elif name == "street":
            _keep_valid(key, opts.streets)
            values[name] = slot.selectbox("Straße", [None, *opts.streets], key=key, format_func=lambda v: "alle Straßen" if v is None else v, placeholder="alle Straßen")
        elif name == "statuses":
            _keep_valid(key, opts.statuses, multi=True)
            values[name] = tuple(slot.multiselect("Status", list(opts.statuses), key=key, format_func=STATUS_FILTER_LABELS.get, placeholder="alle"))
        elif name == "use_classes":
            _keep_valid(key, opts.use_classes, multi=True)
            values[name] = tuple(slot.multiselect("Nutzungsart", list(opts.use_classes), key=key, format_func=lambda u: USE_CLASS_LABELS.get(u, u), placeholder="alle"))
        elif name == "at":
            _keep_date(key)
            picked = slot.date_input("Stichtag", key=key, min_value=low, max_value=today, format="DD.MM.YYYY")
            values[name] = None if picked == today else picked
        elif name == "since":
            at = values.get("at", current.at) or today
            _keep_date(key)
            picked = slot.date_input("Neuansiedlungen hervorheben seit", key=key, min_value=low, max_value=today, format="DD.MM.YYYY")
            default = dates.clamp_date(replace(current, at=at, since=None).period_start())
            values[name] = None if picked == default else picked
        elif name == "basemap":
            values[name] = slot.selectbox("Hintergrundkarte", list(BASEMAP_KEYS), key=key, format_func=maps.BASEMAPS.get)
    new = replace(current, **values)
    st.session_state[_session.FILTERS] = new
    _write_query_params(new)
    return new


def _keep_valid(key: str, options: tuple[str, ...], *, multi: bool = False) -> None:
    value = st.session_state.get(key)
    if multi:
        if value and any(v not in options for v in value):
            st.session_state[key] = [v for v in value if v in options]
    elif value is not None and value not in options:
        st.session_state[key] = None


def _keep_date(key: str) -> None:
    """Move a date widget's state into the plausible window (a widget outside its bounds raises)."""
    value = st.session_state.get(key)
    if isinstance(value, date) and dates.clamp_date(value) != value:
        st.session_state[key] = dates.clamp_date(value)


def _write_query_params(filters: Filters) -> None:
    wanted = filters.to_query_params()
    for param in QUERY_NAMES.values():
        if param in wanted:
            if st.query_params.get(param) != wanted[param]:
                st.query_params[param] = wanted[param]
        elif param in st.query_params:
            del st.query_params[param]
