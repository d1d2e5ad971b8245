"""The figures of a view, cached per store version, view and dates (``st.cache_data``), for the pages.

Each wrapper hands a ``geo`` function the filtered register of the view (:func:`pages._ui.filtered`, all
statuses); nothing is computed here. Cached like the map rows: a page's run no longer derives every
unit's status again for a figure it showed a moment ago (at 50,000 units 0.1-0.25 s each).
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from geo.app import figures as app_figures
from geo.app.figures import KeyFigure
from geo.app.filters import Filters
from geo.register import stats
from pages import _ui
from pages._ui import Handle


@st.cache_data(max_entries=32, show_spinner=False)
def _timeline(path: str, stamp: int, key: str, freq: str, start: date, end: date, by: str | None) -> pd.DataFrame:
    return stats.timeline(_ui.cached_filtered(path, stamp, key, False), freq=freq, start=start, end=end, by=by)  # type: ignore[arg-type]


def timeline(h: Handle, filters: Filters, *, freq: str, start: date, end: date, by: str | None) -> pd.DataFrame:
    """Cached :func:`geo.register.stats.timeline` of the filtered view."""
    return _timeline(h.path, h.stamp, filters.key(), freq, start, end, by)


@st.cache_data(max_entries=32, show_spinner=False)
def _key_figures(path: str, stamp: int, key: str, at: date) -> list[KeyFigure]:
    return app_figures.key_figures(_ui.cached_filtered(path, stamp, key, False), at=at)


def key_figures(h: Handle, filters: Filters, *, at: date) -> list[KeyFigure]:
    """Cached :func:`geo.app.figures.key_figures` of the view (all statuses) on ``at``."""
    return _key_figures(h.path, h.stamp, filters.key(), at)


@st.cache_data(max_entries=32, show_spinner=False)
def _area_table(path: str, stamp: int, key: str, at: date, by: str) -> pd.DataFrame:
    return app_figures.area_table(_ui.cached_filtered(path, stamp, key, False), at=at, by=by)  # type: ignore[arg-type]


def area_table(h: Handle, filters: Filters, *, at: date, by: str) -> pd.DataFrame:
    """Cached :func:`geo.app.figures.area_table` of the view (all statuses) on ``at``."""
    return _area_table(h.path, h.stamp, filters.key(), at, by)


@st.cache_data(max_entries=32, show_spinner=False)
def _longest_vacant(path: str, stamp: int, key: str, at: date, n: int) -> pd.DataFrame:
    return app_figures.longest_vacant_table(_ui.cached_filtered(path, stamp, key, False), at=at, n=n)


def longest_vacant(h: Handle, filters: Filters, *, at: date, n: int) -> pd.DataFrame:
    """Cached :func:`geo.app.figures.longest_vacant_table` of the view (all statuses) on ``at``."""
    return _longest_vacant(h.path, h.stamp, filters.key(), at, n)


@st.cache_data(max_entries=32, show_spinner=False)
def _spells(path: str, stamp: int, key: str, start: date, end: date) -> pd.DataFrame:
    return app_figures.spells_between(_ui.cached_filtered(path, stamp, key, False), start=start, end=end)


def spells(h: Handle, filters: Filters, *, start: date, end: date) -> pd.DataFrame:
    """Cached :func:`geo.app.figures.spells_between` of the view (all statuses)."""
    return _spells(h.path, h.stamp, filters.key(), start, end)
