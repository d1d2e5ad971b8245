"""The pages' charts, drawn on the server and shown as inline SVG (:func:`geo.outputs.charts.to_svg`).

``st.altair_chart`` makes a fresh browser load Vega's code (1 MB) before the first
chart stands -- 0.4 s of every chart page's first open here; an SVG stands with the
page and is cached per chart (its Vega-Lite JSON) and width.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import streamlit as st

from geo.outputs.charts import to_svg

#: Drawing widths (CSS px) of a chart across the page, in a half or a third of it (wide layout, menu open, 1,440 px
#: screen), and in half of the projector's page (no menu); a chart shrinks with a narrower column, never grows.
FULL, HALF, THIRD, PROJECTOR = 960, 480, 320, 620


@st.cache_data(max_entries=64, show_spinner=False)
def _svg(spec: str, width: int, _chart: alt.TopLevelMixin) -> str:
    return to_svg(_chart, width=width)  # ``_chart`` is not hashed: ``spec`` is its full JSON


def show(chart: alt.TopLevelMixin, *, width: int = FULL, where: Any = None) -> None:
    """Show ``chart`` (``width`` px at most, narrower with its column) in ``where`` (default: the page).

    ``st.html`` would strip the SVG (its sanitizer allows no SVG) and ``st.image`` would
    show it as a picture without hover texts: it goes in as Markdown's raw HTML block
    (``<div>`` on a line of its own, nothing else parsed as Markdown -- a ``$`` or ``*``
    in a business name stays text). Vega's SVG writer has escaped every text in it.
    """
    spec = chart.to_json(validate=False, indent=None)  # the cache key; drawing checks it (a third of the time)
    (where or st).markdown(f"<div class=\"qm-chart\">\n{_svg(spec, width, chart)}\n</div>", unsafe_allow_html=True)
