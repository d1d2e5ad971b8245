"""Values and tables as the app shows them: sector labels, German number format, Markdown tables.

* :func:`sector_text`, :func:`sector_choices` -- sector codes (use classes and
  WZ 2008 sections) as German labels and as form choices;
* :func:`german_style` -- a table in German number format (decimal comma) for
  ``st.dataframe``;
* :func:`markdown_table` -- a light key-value table with every cell escaped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from geo.formats import display_text, is_missing
from geo.register.model import USE_CLASS_LABELS, WZ_SECTIONS


def sector_text(code: Any) -> str:
    """German label of a sector code: a use class (``"craft"`` -> ``"Handwerk"``) or a WZ 2008
    section (``"G"`` -> ``"G Handel, Kfz-Reparatur"``); missing -> ``"–"``."""
    text = display_text(code)
    if not text:
        return "–"
    if text in USE_CLASS_LABELS or text.upper() in WZ_SECTIONS:
        from geo.outputs.figures import sector_label  # matplotlib only when needed

        return sector_label(text)
    return text


def sector_choices(current: Any = None) -> list[str]:
    """Sector codes offered in forms: the use classes, then the WZ 2008 sections.

    A current value that is neither (free text from an import) is kept as the first choice.
    """
    codes = [*USE_CLASS_LABELS, *WZ_SECTIONS]
    text = display_text(current)
    if text and text not in codes:
        codes.insert(0, text)
    return codes


def german_style(frame: pd.DataFrame, formats: Mapping[str, str] | None = None) -> Any:
    """``frame`` as a pandas Styler in German number format for ``st.dataframe``.

    Decimal comma, thousands point, ``"–"`` for missing values; columns stay
    numeric, so sorting in the table still works. ``formats`` maps columns to
    Python format strings (e.g. ``"{:.1f} %"``); other float columns get one
    decimal, integer columns none.
    """
    formats = dict(formats or {})
    for col in frame.columns:
        if col in formats:
            continue
        if pd.api.types.is_float_dtype(frame[col]):
            formats[col] = "{:.1f}"
        elif pd.api.types.is_integer_dtype(frame[col]):
            formats[col] = "{:,.0f}"
    return frame.style.format(formats, na_rep="–", decimal=",", thousands=".")


def _md_cell(value: Any) -> str:
    text = "–" if is_missing(value) else str(value)
    text = text.replace("\\", "\\\\").replace("\n", " ")
    for ch in "|*_`[]<>#~$":
        text = text.replace(ch, "\\" + ch)
    return text


def markdown_table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A Markdown table with every cell escaped (user input must not format or break it).

    Much lighter in the browser than ``st.dataframe`` for a few key-value rows.
    Missing values (None, NaN) are shown as ``"–"``, empty strings stay empty.
    """
    head = "| " + " | ".join(_md_cell(c) if c else " " for c in columns) + " |"
    rule = "|" + "|".join(":--" for _ in columns) + "|"
    body = ["| " + " | ".join(_md_cell(v) for v in row) + " |" for row in rows]
    return "\n".join([head, rule, *body])
