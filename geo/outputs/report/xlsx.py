"""The figures of a report period as an Excel workbook (:func:`period_figures_xlsx`)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import date
from typing import IO, Any

import pandas as pd

from geo._files import write_xlsx
from geo.outputs.report.tables import report_tables
from geo.register.model import wants_internal

__all__ = ["XLSX_SHEETS", "period_figures_xlsx"]

#: Sheets of :func:`period_figures_xlsx`, in order.
XLSX_SHEETS: tuple[str, ...] = (
    "Kennzahlen",
    "Ortsteile",
    "Straßen",
    "Am längsten leer",
    "Neuansiedlungen",
    "Info",
)


def period_figures_xlsx(
    register: Any,
    *,
    quarter: str | Sequence[str] | None,
    start: date,
    end: date,
    out: str | os.PathLike[str] | IO[bytes],
    internal: bool = False,
    public: bool | None = None,
    unit_level: bool = False,
    period_label: str | None = None,
) -> None:
    """Write the figures of a report period as an Excel workbook.

    Sheets :data:`XLSX_SHEETS`: key figures with the previous period and the
    change (rates as fractions formatted as %, durations in days), figures per
    Ortsteil and per street on ``end`` (with the period's settlements and
    closures), the longest-vacant units (public without ``unit_level``: per
    street section instead, sections under the minimum left out), the period's
    new settlements, and an info sheet (period, version, sources, demo label).
    Text cells that a spreadsheet would run as a formula start with ``'`` and no
    cell is a formula (:func:`geo._files.write_xlsx`).

    Parameters
    ----------
    register
        The register (:class:`geo.register.history.Register`).
    quarter
        A quarter, a list of quarters or None for all units.
    start, end
        First and last day of the period.
    out
        Path (replaced atomically) or binary file object.
    internal
        The internal version with owners and contacts (its info sheet and workbook
        title say "intern"). Default: the public version without personal or internal
        data and without single vacant units.
    public
        Deprecated spelling: ``public=False`` is ``internal=True``.
    unit_level
        In the public version, list vacant units one by one anyway.
    period_label
        Name of the period (default: derived from the dates).
    """
    internal = wants_internal(internal, public)
    tables = report_tables(
        register,
        quarter=quarter,
        start=start,
        end=end,
        internal=internal,
        unit_level=unit_level,
        period_label=period_label,
    )

    def layout(_sheet: str, frame: pd.DataFrame, ws: Any) -> None:
        for idx, col in enumerate(frame.columns, start=1):
            letter = ws.cell(row=1, column=idx).column_letter
            values = [str(col), *(str(v) for v in frame[col].head(200))]
            ws.column_dimensions[letter].width = min(60, max(10, max(len(v) for v in values) + 2))
            if "quote" in str(col).lower():
                for row in range(2, len(frame) + 2):
                    ws.cell(row=row, column=idx).number_format = "0.0%"
        if "Einheit" in frame.columns:  # key figures: shares as percentages
            for row, unit in enumerate(frame["Einheit"], start=2):
                if unit == "Anteil":
                    for idx in range(3, len(frame.columns) + 1):
                        ws.cell(row=row, column=idx).number_format = "0.0%"
        ws.freeze_panes = "A2"

    version = "intern (enthält personenbezogene Daten, nicht zur Weitergabe)" if internal else "öffentlich"
    write_xlsx(
        {sheet: tables[sheet] for sheet in XLSX_SHEETS},
        out,
        title=f"{'INTERN – ' if internal else ''}Kennzahlen Gewerbeleerstand {start:%d.%m.%Y}–{end:%d.%m.%Y}",
        subject=version,
        format_sheet=layout,
    )
