"""Printing result tables on the command line: JSON, CSV (German Excel) or a text table.

Values become text with :mod:`geo.formats` (German numbers; a missing value never
becomes "nan", "None" or "NaT").
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, TextIO

import numpy as np
import pandas as pd

from geo.formats import fmt_number, fmt_pct, is_missing


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

    In the text table, numbers are German (:mod:`geo.formats`): ``percent`` columns as
    percentages (``11,8 %``), area columns (``*_m2``) with thousands separators (``29.112``),
    other floats with decimal comma; dates as ``YYYY-MM-DD`` and missing values as ``–``.
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
            shown[col] = values.map(fmt_pct)
        elif pd.api.types.is_datetime64_any_dtype(values):
            shown[col] = values.dt.strftime("%Y-%m-%d").fillna("–")
        elif col.endswith("_m2"):
            shown[col] = values.map(fmt_number)
        elif pd.api.types.is_float_dtype(values):
            shown[col] = values.map(_float_text)
    with pd.option_context("display.max_columns", None, "display.width", 200):
        out.write(shown.to_string(index=False) + "\n")


def _float_text(value: Any) -> str:
    """A float for the text table: decimal comma, as many decimals as needed (at most six), no
    thousands separator (years and ids stay readable); missing -> ``–``."""
    if is_missing(value):
        return "–"
    text = f"{float(value):.6f}".rstrip("0").rstrip(".")
    digits = len(text.partition(".")[2])
    return fmt_number(value, digits=digits, grouping=False)
