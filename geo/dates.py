"""Dates: the one home of reading a date, writing it the German way and judging whether it is plausible.

Bottom-layer module (imports only :mod:`geo.settings`). Every date a person
types -- on the command line, in a URL, in a visit sheet, in an import file --
is read here, so every entry point accepts the same forms:

* :func:`parse_date` -- one text, the *strict* forms: ``JJJJ-MM-TT``
  (``2024-03-01``) and ``TT.MM.JJJJ`` (``01.03.2024``, also ``1.3.2024``); a
  time of day after the date (``2024-03-01T10:15:00Z``, ``01.03.2024 10:15``)
  is ignored.
* :func:`parse_dates` -- a column of an import file, vectorised over the
  distinct texts; the strict forms plus the *short* forms spreadsheets
  produce: ``TT.MM.JJ`` (``01.03.24``), ``MM/JJJJ`` and ``JJJJ-MM`` (month
  only, read as the first of the month and flagged).
* :func:`plausible_window`, :func:`clamp_date`, :func:`implausible_reason`,
  :func:`implausible_masks` -- the plausibility rule: a date is plausible from
  :data:`geo.settings.earliest_date` up to today.
* :func:`german_date` -- a date as ``TT.MM.JJJJ`` (four-digit years, also
  below 1000). :func:`geo.formats.fmt_date` builds on it for any value,
  missing ones included.
* :func:`local_today` -- today in Leipzig (:data:`geo.settings.timezone`), the default of
  every date the tool fills in.
* :data:`DAYS_PER_MONTH` -- days of an average month (durations in months).

Nothing here guesses: a text that matches no form, or names a day that does
not exist (``31.02.2024``), is unreadable.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from geo import settings

__all__ = [
    "DATE_HELP",
    "DAYS_PER_MONTH",
    "IMPORT_DATE_HELP",
    "clamp_date",
    "german_date",
    "implausible_masks",
    "implausible_reason",
    "local_today",
    "parse_date",
    "parse_dates",
    "plausible_window",
]

#: Days of an average month in the Gregorian calendar (365.25 / 12); durations in months are
#: days divided by this.
DAYS_PER_MONTH: float = 30.4375



def local_today(now: datetime | None = None) -> date:
    """Today's date in Leipzig (:data:`geo.settings.timezone`), not in the server clock's zone.

    ``now``: the moment to take the date of (default: now); naive moments are read as UTC.
    """
    moment = now or datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(ZoneInfo(settings.timezone)).date()


#: The strict forms :func:`parse_date` reads, as named in German messages.
DATE_HELP = "JJJJ-MM-TT oder TT.MM.JJJJ"

#: The forms :func:`parse_dates` reads (imports), as named in German messages.
IMPORT_DATE_HELP = "TT.MM.JJJJ (z. B. 01.03.2024), JJJJ-MM-TT, TT.MM.JJ oder MM/JJJJ"

_TIME_SUFFIX = re.compile(r"[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?$")
_STRICT: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^(\d{1,2})\.\s?(\d{1,2})\.\s?(\d{4})$"), "dmy"),
    (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"), "ymd"),
)
_SHORT: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{2})$"), "dmy2"),
    (re.compile(r"^(\d{1,2})[/.](\d{4})$"), "my"),
    (re.compile(r"^(\d{4})-(\d{1,2})$"), "ym"),
)


def _read(text: str, *, short: bool, today: date) -> tuple[date | None, bool]:
    """One text as (date or None, month precision only)."""
    value = _TIME_SUFFIX.sub("", text.strip())
    for pattern, kind in _STRICT + _SHORT if short else _STRICT:
        found = pattern.match(value)
        if not found:
            continue
        nums = [int(x) for x in found.groups()]
        if kind == "dmy":
            day, month, year = nums
        elif kind == "ymd":
            year, month, day = nums
        elif kind == "dmy2":
            day, month, year = nums
            year += 2000
            if year > today.year:  # "01.03.99" is 1999, not 2099
                year -= 100
        elif kind == "my":
            (month, year), day = nums, 1
        else:
            (year, month), day = nums, 1
        try:
            return date(year, month, day), kind in ("my", "ym")
        except ValueError:
            return None, False
    return None, False


def parse_date(text: str) -> date:
    """Read one date typed by a person (command line, URL, visit sheet).

    Parameters
    ----------
    text
        ``JJJJ-MM-TT`` (``2024-03-01``) or ``TT.MM.JJJJ`` (``01.03.2024``,
        ``1.3.2024``); surrounding spaces and a time of day after the date are
        ignored.

    Returns
    -------
    datetime.date
        The day.

    Raises
    ------
    ValueError
        The text matches neither form or names no real day (``31.02.2024``);
        the German message names the text and the expected forms.
    """
    day, _ = _read(str(text), short=False, today=local_today())
    if day is None:
        raise ValueError(f"Datum „{text}“ nicht lesbar; erwartet {DATE_HELP}.")
    return day


def parse_dates(values: pd.Series, *, today: date | None = None) -> tuple[pd.Series, pd.Series]:
    """Read a column of date texts from an import file (strict and short forms).

    Each distinct text is read once, so a million rows with a few thousand
    dates are quick.

    Parameters
    ----------
    values
        Date texts; missing values stay missing.
    today
        Today's date: a two-digit year after today's year is read as the
        previous century (``01.03.99`` -> 1999).

    Returns
    -------
    dates : pandas.Series
        ``datetime64[us]`` aligned with ``values``; ``NaT`` where missing or
        unreadable (compare with ``values.notna()`` to find the unreadable).
    month_only : pandas.Series
        Bool, true where only month and year were given (``MM/JJJJ``,
        ``JJJJ-MM``; read as the first of the month).
    """
    today = today or local_today()
    codes, uniques = pd.factorize(values)
    read = [_read(str(u), short=True, today=today) for u in uniques]
    days = np.array(
        [np.datetime64(d, "us") if d is not None else np.datetime64("NaT", "us") for d, _ in read]
        + [np.datetime64("NaT", "us")],
        dtype="datetime64[us]",
    )
    month = np.array([m for _, m in read] + [False], dtype=bool)
    # code -1 (missing) picks the last slot: NaT, not month-only
    return pd.Series(days[codes], index=values.index), pd.Series(month[codes], index=values.index)


def german_date(day: date) -> str:
    """A date as ``TT.MM.JJJJ``, the year always with four digits (``01.01.0001``)."""
    return f"{day.day:02d}.{day.month:02d}.{day.year:04d}"


def plausible_window(*, today: date | None = None) -> tuple[date, date]:
    """The plausible dates: from :data:`geo.settings.earliest_date` up to today.

    Date widgets take their ``min_value``/``max_value`` from here; dates from
    the store or a URL outside it are moved into it (:func:`clamp_date`);
    typed dates outside it are refused (:func:`implausible_reason`).
    """
    today = today or local_today()
    return min(settings.earliest_date, today), today


def clamp_date(value: date, *, today: date | None = None) -> date:
    """``value`` moved into :func:`plausible_window` (the nearest plausible date)."""
    low, high = plausible_window(today=today)
    return min(max(value, low), high)


def implausible_reason(day: date, *, today: date | None = None) -> str | None:
    """Why ``day`` is not plausible, in German, or None when it is.

    Returns a phrase to put after the date, e.g. ``"liegt in der Zukunft
    (heute ist 01.03.2024)"`` or ``"liegt vor dem frühesten plausiblen Datum
    01.01.1990 – vermutlich ein Tippfehler"``.
    """
    low, high = plausible_window(today=today)
    if day > high:
        return f"liegt in der Zukunft (heute ist {german_date(high)})"
    if day < low:
        return f"liegt vor dem frühesten plausiblen Datum {german_date(low)} – vermutlich ein Tippfehler"
    return None


def implausible_masks(dates: pd.Series, *, today: date | None = None) -> tuple[pd.Series, pd.Series]:
    """Vectorised :func:`implausible_reason`: ``(in the future, before the earliest date)``.

    ``NaT`` is neither.
    """
    low, high = plausible_window(today=today)
    return dates > pd.Timestamp(high), dates < pd.Timestamp(low)
