"""Printing result tables on the command line: JSON, CSV (German Excel) or a text table.

Also the one home of the rule "a missing value never becomes text": :func:`is_missing`
and :func:`display_text` are used wherever a cell becomes text (forms, popups,
tooltips, walk sheets, reports), so ``None``, ``NaN``, ``NA`` and ``NaT`` never show up as
"None", "nan", "<NA>" or "NaT".
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, TextIO

import numpy as np
import pandas as pd


def is_missing(value: Any) -> bool:
    """Whether a single cell is a missing value: None, ``pd.NA``, ``NaT`` or a float NaN (numpy included).

    Text is never missing here (an empty string is a value); lists and arrays are not missing.
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, (float, np.floating)):
        return math.isnan(value)
    if isinstance(value, (np.datetime64, np.timedelta64)):
        return bool(np.isnat(value))
    return False


def display_text(value: Any, *, missing: str = "") -> str:
    """A cell as text for people: stripped ``str(value)``; ``missing`` (default ``""``) for a missing value.

    Use it wherever a value from a frame becomes text (form defaults, tooltips,
    tables in PDFs), so that a missing value never turns into "nan", "None" or "NaT".
    """
    if is_missing(value):
        return missing
    return str(value).strip()


def field_text(value: Any, *, label: str) -> str | None:
    """A text field typed or chosen by a person, cleaned for the store: stripped, missing or empty -> None.

    ``None``, ``NaN``, ``NA``, ``NaT`` and blank text all become None (never the
    text "nan"); a text longer than :data:`geo.settings.max_field_chars` is refused.

    Raises
    ------
    InputError
        The text is longer than ``geo.settings.max_field_chars`` (``label`` names the field).
    """
    from geo import settings
    from geo.errors import InputError

    text = display_text(value)
    if len(text) > settings.max_field_chars:
        raise InputError(
            f"{label}: Der Text ist {len(text):,} Zeichen lang; höchstens "
            f"{settings.max_field_chars:,} Zeichen sind erlaubt. Bitte kürzen.".replace(",", ".")
        )
    return text or None


def jsonable(value: Any) -> Any:
    """A cell as a JSON value: dates ISO, missing values null, numpy scalars plain."""
    if is_missing(value):
        return None
    if isinstance(value, (pd.Timestamp, datetime, date)):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, np.generic):
        return jsonable(value.item())
    return value


def emit(
    frame: pd.DataFrame,
    fmt: str,
    *,
    percent: Iterable[str] = ("vacancy_rate", "vacancy_rate_area"),
    stream: TextIO | None = None,
) -> None:
    """Write ``frame`` as ``json`` (list of objects), ``csv`` (``;``, decimal comma) or ``table``.

    In the text table, ``percent`` columns are shown as percentages, area columns
    (``*_m2``) with thousands separators, dates as ``YYYY-MM-DD`` and missing values as ``–``.
    """
    out = stream or sys.stdout
    if fmt == "json":
        records = [{k: jsonable(v) for k, v in row.items()} for row in frame.to_dict("records")]
        json.dump(records, out, ensure_ascii=False, indent=2)
        out.write("\n")
        return
    if fmt == "csv":
        from geo._files import write_csv  # cells that would run as formulas start with '

        write_csv(frame, out, date_format="%Y-%m-%d")
        return
    shown = frame.copy()
    percent = set(percent)
    for col in shown.columns:
        values = shown[col]
        if col in percent:
            shown[col] = values.map(lambda v: "–" if pd.isna(v) else f"{v:.1%}")
        elif pd.api.types.is_datetime64_any_dtype(values):
            shown[col] = values.dt.strftime("%Y-%m-%d").fillna("–")
        elif col.endswith("_m2"):
            shown[col] = values.map(lambda v: "–" if pd.isna(v) else f"{v:,.0f}".replace(",", "."))
        elif pd.api.types.is_numeric_dtype(values) and values.isna().any():
            shown[col] = values.map(lambda v: "–" if pd.isna(v) else f"{v:g}")
    with pd.option_context("display.max_columns", None, "display.width", 200):
        out.write(shown.to_string(index=False) + "\n")
