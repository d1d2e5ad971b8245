"""Downloads of the pages' charts and maps as PNG and SVG (cached per store version), and of tables as CSV and XLSX."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from geo.app.exchange import IMAGE_MIME, figure_for, figure_name
from geo.app.filters import Filters
from geo.app.unitlist import LIST_MIME
from pages import _ui


@st.cache_data(max_entries=48, show_spinner=False)
def _image(path: str, stamp: int, key: str, by_status: bool, kind: str,
           options: tuple[tuple[str, Any], ...], fmt: str) -> bytes:
    from geo.outputs.figures import figure_bytes  # matplotlib only when an image is asked for

    filters = Filters.from_key(key)
    fig = figure_for(kind, _ui.cached_filtered(path, stamp, key, by_status), filters, **dict(options))
    return figure_bytes(fig, fmt=fmt)  # type: ignore[arg-type]


def image_downloads(h: _ui.Handle, filters: Filters, kind: str, *, key: str, by_status: bool = False,
                    **options: Any) -> None:
    """Small „PNG“ and „SVG“ buttons for a chart or map (:func:`geo.app.exchange.figure_for`), right-aligned.

    The image is made only when a button is clicked (no rerun) and cached per
    store version, filter and ``options``; ``key`` makes the buttons unique.
    """
    cache_key = filters.key()
    opts = tuple(sorted(options.items()))
    row = st.container(horizontal=True, horizontal_alignment="right", gap="small")
    for fmt in ("png", "svg"):
        row.download_button(
            fmt.upper(),
            data=lambda fmt=fmt: _image(h.path, h.stamp, cache_key, by_status, kind, opts, fmt),
            file_name=figure_name(kind, filters, fmt),
            mime=IMAGE_MIME[fmt],
            on_click="ignore",
            type="tertiary",
            icon=":material/download:",
            key=f"{key}_{fmt}",
            help=f"Als {fmt.upper()} herunterladen ({'Rastergrafik, 200 dpi' if fmt == 'png' else 'Vektorgrafik'})",
        )


def table_downloads(make: Callable[[str], bytes], *, name: Callable[[str], str], key: str) -> None:
    """Small „CSV“ and „XLSX“ buttons for a table, right-aligned; the file is made only when clicked.

    ``make(fmt)`` returns the file (:func:`geo.app.unitlist.list_bytes`: formula-safe,
    German dates), ``name(fmt)`` its file name; ``key`` makes the buttons unique.
    """
    row = st.container(horizontal=True, horizontal_alignment="right", gap="small")
    for fmt, help_text in (("csv", "CSV für Excel (; und Dezimalkomma)"), ("xlsx", "Excel-Arbeitsmappe")):
        row.download_button(
            fmt.upper(),
            data=lambda fmt=fmt: make(fmt),
            file_name=name(fmt),
            mime=LIST_MIME[fmt],
            on_click="ignore",
            type="tertiary",
            icon=":material/download:",
            key=f"{key}_{fmt}",
            help=f"Liste wie angezeigt herunterladen ({help_text})",
        )
