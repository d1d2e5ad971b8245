"""Report periods: a year, half-year, quarter, month or free dates, and the period before."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pandas as pd

from geo.errors import InputError
from geo.formats import fmt_date

__all__ = ["Period", "describe_period", "parse_period"]


_MONTHS = (
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
)


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _whole_months(start: date, end: date) -> int:
    """Number of calendar months ``start``..``end`` spans exactly (0 if not whole months)."""
    if start.day != 1 or end != _month_end(end.year, end.month):
        return 0
    return (end.year - start.year) * 12 + end.month - start.month + 1


def describe_period(start: date, end: date) -> str:
    """German name of a period: „Jahr 2025“, „1. Halbjahr 2025“, „3. Quartal 2025“, „Juni 2025“ or the dates."""
    months = _whole_months(start, end)
    if months == 12 and start.month == 1:
        return f"Jahr {start.year}"
    if months == 6 and start.month in (1, 7):
        return f"{1 if start.month == 1 else 2}. Halbjahr {start.year}"
    if months == 3 and start.month in (1, 4, 7, 10):
        return f"{(start.month - 1) // 3 + 1}. Quartal {start.year}"
    if months == 1:
        return f"{_MONTHS[start.month - 1]} {start.year}"
    return f"{fmt_date(start)} – {fmt_date(end)}"


@dataclass(frozen=True)
class Period:
    """A report period: first and last day (both included) and its German name."""

    start: date
    end: date
    label: str

    @classmethod
    def between(cls, start: date, end: date, *, label: str | None = None) -> Period:
        """The period ``start``..``end`` (named automatically unless ``label`` is given)."""
        start, end = _as_date(start, "Beginn"), _as_date(end, "Ende")
        if start > end:
            raise InputError(f"Beginn {fmt_date(start)} liegt nach dem Ende {fmt_date(end)}.")
        return cls(start, end, label or describe_period(start, end))

    @property
    def dates(self) -> str:
        """``01.01.2025 – 31.12.2025``."""
        return f"{fmt_date(self.start)} – {fmt_date(self.end)}"

    @property
    def days(self) -> int:
        """Length in days."""
        return (self.end - self.start).days + 1

    @property
    def before(self) -> date:
        """The day before the start: the stock figures of the previous period are taken there."""
        return self.start - timedelta(days=1)

    def previous(self) -> Period:
        """The period of equal length right before (whole calendar months: the previous months)."""
        months = _whole_months(self.start, self.end)
        end = self.before
        if months:
            start = (pd.Timestamp(self.start) - pd.DateOffset(months=months)).date()
        else:
            start = end - timedelta(days=self.days - 1)
        return Period.between(start, end)


def _as_date(value: Any, what: str) -> date:
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{what}: „{value}“ ist kein Datum; erwartet z. B. 2025-12-31.") from exc
    if pd.isna(stamp):
        raise InputError(f"{what}: kein Datum angegeben.")
    day: date = stamp.date()
    return day


def parse_period(text: str) -> Period:
    """A period from its short form: ``2025``, ``2025H1``, ``2025Q3`` or ``2025-06``.

    Raises
    ------
    InputError
        If the text is none of these forms.
    """
    value = str(text).strip().upper().replace(" ", "")
    if m := re.fullmatch(r"(\d{4})", value):
        y = int(m[1])
        return Period.between(date(y, 1, 1), date(y, 12, 31))
    if m := re.fullmatch(r"(\d{4})-?H([12])", value):
        y, h = int(m[1]), int(m[2])
        return Period.between(date(y, 6 * h - 5, 1), _month_end(y, 6 * h))
    if m := re.fullmatch(r"(\d{4})-?Q([1-4])", value):
        y, q = int(m[1]), int(m[2])
        return Period.between(date(y, 3 * q - 2, 1), _month_end(y, 3 * q))
    if (m := re.fullmatch(r"(\d{4})-(\d{1,2})", value)) and 1 <= int(m[2]) <= 12:
        y, mo = int(m[1]), int(m[2])
        return Period.between(date(y, mo, 1), _month_end(y, mo))
    raise InputError(
        f"Zeitraum „{text}“ nicht lesbar; erwartet z. B. 2025 (Jahr), 2025H1 (Halbjahr), "
        "2025Q3 (Quartal) oder 2025-06 (Monat)."
    )
