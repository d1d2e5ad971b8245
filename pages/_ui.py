"""Streamlit plumbing shared by the pages: loading and caching, page furniture, map display.

No figures are computed here: everything shown comes from ``geo`` functions.
Caching: the register is read once per store version (``st.cache_resource`` keyed by path and
:meth:`geo.register.store.Store.version`, which every write raises), filtered registers likewise;
derived frames and map data with ``st.cache_data``. A folium map is never cached: it is built per
run from cached data. Download images (PNG/SVG) are built on click, cached per version and view.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from geo import settings
from geo.app.exchange import plan_upload
from geo.app.figures import KeyFigure
from geo.app.filters import DATA_FIELDS, Filters, apply_filters
from geo.app.mapdata import compare_map_data, view_map_data
from geo.errors import QuartiersmonitorError
from geo.outputs import maps
from geo.outputs._assets import write_static_assets
from geo.places.attribution import credit_markdown
from geo.register import stats
from geo.register.history import Register
from geo.register.store import Store, open_store
from pages import _session, _warm

#: Where the Leaflet assets are written for Streamlit's static serving (``static/`` next to streamlit_app.py).
VENDOR_DIR = Path(__file__).resolve().parents[1] / "static" / "vendor"

log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def _vendor_written() -> bool:
    """Write the Leaflet assets into :data:`VENDOR_DIR`, once per process; ``False`` when that fails."""
    try:
        write_static_assets(VENDOR_DIR)
    except (OSError, QuartiersmonitorError) as exc:
        log.warning("Kartenbausteine nicht als Dateien bereitgestellt, sie werden eingebettet (%s)", type(exc).__name__)
        return False
    return True


def map_assets() -> dict[str, Any]:
    """Keyword arguments for the map builders: linked assets when the server serves ``static/``, else inline.

    Linked assets (``/<baseUrlPath>/app/static/vendor/…``) are loaded once and
    cached by the browser instead of being resent with every map.
    """
    if not st.get_option("server.enableStaticServing") or not _vendor_written():
        return {"assets": "inline"}
    base = (st.get_option("server.baseUrlPath") or "").strip("/")
    prefix = f"/{base}" if base else ""
    return {"assets": "linked", "asset_base": f"{prefix}/app/static/vendor/"}



@dataclass(frozen=True)
class Handle:
    """The open store, its register and the store version the caches are keyed by (and edits are made on)."""

    store: Store
    register: Register
    path: str
    stamp: int

    @property
    def demo(self) -> bool:
        """Whether the register is the fictional demo."""
        return self.register.meta.get("demo") == "true"


@st.cache_resource(max_entries=4, show_spinner="Register wird geladen …")
def _read(path: str, stamp: int) -> Register:
    kept = _warm.take(path, stamp)  # read before the server answered (pages._serve)
    return kept if kept is not None else open_store(path).read()


def load() -> Handle:
    """Open the store and read it (cached).

    The store: the one chosen on the page *Daten* in this session, else the one the user
    named (``QM_STORE``), else the demo working copy in the user's data folder
    (:func:`geo.register.store.open_store`).
    """
    try:
        explicit = st.session_state.get(_session.STORE)
        store = open_store(explicit) if explicit else open_store()
        stamp = store.version()
        # the key reopens the store (a server URL keeps its password there: never shown, see Store.location)
        return Handle(store, _read(store.target, stamp), store.target, stamp)
    except QuartiersmonitorError as exc:
        st.error(str(exc))
        st.stop()
        raise  # pragma: no cover - st.stop raises


def rerun_if_changed(h: Handle) -> None:
    """In a fragment: a full run when the register changed since ``h`` was loaded (another session or server).

    A fragment's own run reuses the page's last full run. Not while a form is submitted: the rerun
    would drop it, and the write checks the version itself (``StoreConflict``).
    """
    try:
        changed = h.store.version() != h.stamp
    except QuartiersmonitorError:  # the full run says what is wrong with the store
        changed = True
    if changed:
        st.rerun()


def forget_store() -> None:
    """Drop every cached state; after a store file was replaced (demo reset).

    The new file's version counts from an earlier number again and would otherwise hit cached
    states of the discarded file.
    """
    st.cache_resource.clear()
    st.cache_data.clear()


@st.cache_resource(max_entries=24, show_spinner=False)
def cached_filtered(path: str, stamp: int, key: str, by_status: bool) -> Register:
    return apply_filters(_read(path, stamp), Filters.from_key(key), by_status=by_status)


def filtered(h: Handle, filters: Filters, *, by_status: bool = True) -> Register:
    """The register restricted to ``filters`` (cached per store version and filters)."""
    return cached_filtered(h.path, h.stamp, filters.key(), by_status)


@st.cache_resource(max_entries=32, show_spinner=False)
def _status(path: str, stamp: int, key: str, by_status: bool, at: date) -> pd.DataFrame:
    # a resource, not cache_data: unpickling 50,000 geometries on every click of the unit panel took 0.1-0.2 s;
    # shared between sessions, so callers get a shallow copy (pandas' copy-on-write keeps the cached one as is)
    return stats.status_at(cached_filtered(path, stamp, key, by_status), at)


def status_frame(h: Handle, filters: Filters, *, at: date | None = None, by_status: bool = True) -> pd.DataFrame:
    """Units of the filtered view with their status on ``at`` (default: the filter date)."""
    return _status(h.path, h.stamp, filters.key(), by_status, at or filters.date_at()).copy(deep=False)


@st.cache_data(max_entries=16, show_spinner="Karte wird vorbereitet …")
def _map_data(path: str, stamp: int, key: str, settle: bool) -> maps.MapData:
    filters = Filters.from_key(key)
    return view_map_data(cached_filtered(path, stamp, key, True), filters, settlements=settle)


def map_data(h: Handle, filters: Filters, *, settlements: bool = True) -> maps.MapData:
    """Cached :func:`geo.app.mapdata.view_map_data` of the filtered view."""
    return _map_data(h.path, h.stamp, filters.only(*DATA_FIELDS).key(), settlements)


@st.cache_data(max_entries=16, show_spinner=False)
def _compare_data(path: str, stamp: int, key: str, before: date, after: date) -> tuple[maps.MapData, pd.DataFrame]:
    return compare_map_data(cached_filtered(path, stamp, key, False), before=before, after=after)


def compare_data(h: Handle, filters: Filters, *, before: date, after: date) -> tuple[maps.MapData, pd.DataFrame]:
    """Cached :func:`geo.app.mapdata.compare_map_data` of the filtered view."""
    return _compare_data(h.path, h.stamp, filters.only(*DATA_FIELDS).key(), before, after)


# -- page furniture ------------------------------------------------------------------------


def page_header(title: str, h: Handle, *, caption: str | None = None) -> None:
    """Title, the demo mark (on every page with demo data) and an optional caption."""
    st.title(title)
    if h.demo:
        st.markdown(
            f":red-badge[{settings.demo_label}] Alle Betriebe, Adressen und Personen in diesem Register sind erfunden."
        )
    if caption:
        st.caption(caption)


def metrics(figures: list[KeyFigure], *, per_row: int = 3) -> None:
    """Key figures as ``st.metric`` in rows."""
    for start in range(0, len(figures), per_row):
        cols = st.columns(per_row)
        for col, fig in zip(cols, figures[start : start + per_row], strict=False):
            col.metric(fig.label, fig.value, delta=fig.delta, delta_color=fig.delta_color,
                       delta_arrow=fig.delta_arrow, help=fig.help, border=True)


def show_map(data: maps.MapData, *, key: str, basemap: str = "osm", height: int = 560, clickable: bool = True,
             legend: str = "full", fit: str = "units", note: bool = True) -> dict[str, Any]:
    """Draw a map built per run from cached data; only a click on a unit reruns the page.

    ``legend`` and ``fit`` go to :func:`geo.outputs.maps.render_map`; ``note`` shows the base-map note above the map.
    """
    if note:
        st.caption(maps.BASEMAP_NOTE)
    if data.boundary_credit:  # the licence of the official Ortsteil boundaries asks for attribution
        st.caption(credit_markdown(data.boundary_credit))
    m = maps.render_map(data, basemap=basemap, legend=legend, fit=fit, **map_assets())
    returned = ["last_object_clicked_tooltip"] if clickable else []
    return st_folium(m, key=key, height=height, use_container_width=True, returned_objects=returned) or {}


def drop_date_outside(key: str, low: date, high: date) -> None:
    """Forget a date widget's state outside ``low``..``high`` (Streamlit raises for it); the widget starts anew."""
    value = st.session_state.get(key)
    if isinstance(value, date) and not low <= value <= high:
        del st.session_state[key]


def show_error(exc: QuartiersmonitorError) -> None:
    """A readable error message (never a traceback)."""
    st.error(str(exc))


@st.cache_data(max_entries=8, show_spinner=False)
def _plan(path: str, stamp: int, data: bytes | None, name: str | None, source: str | None,
          source_stamp: float | None, as_of: date, on_error: str, geocode_key: str | None, _geocoder: Any) -> Any:
    return plan_upload(_read(path, stamp), data=data, name=name, path=source, as_of=as_of, on_error=on_error,  # type: ignore[arg-type]
                       geocoder=_geocoder)


def plan(h: Handle, *, data: bytes | None, name: str | None, source: str | None, as_of: date, on_error: str,
         geocoder: Any = None, geocode_key: str | None = None) -> Any:
    """Cached validation of an upload or a server-side file (nothing is written).

    ``geocoder`` places rows without coordinates by their address; ``geocode_key`` names it for the cache.
    """
    source_stamp = Path(source).expanduser().stat().st_mtime if source and Path(source).expanduser().is_file() else None
    return _plan(h.path, h.stamp, data, name, source, source_stamp, as_of, on_error, geocode_key, geocoder)
