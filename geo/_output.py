"""Printing result tables on the command line: JSON, CSV (German Excel) or a text table."""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, TextIO

import numpy as np
import pandas as pd


def jsonable(value: Any) -> Any:
    """A cell as a JSON value: dates ISO, missing values null, numpy scalars plain."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
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
        frame.to_csv(out, sep=";", decimal=",", index=False, date_format="%Y-%m-%d")
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
