"""House numbers as lists write them: ``31``, ``31a``, ``31 A``, ``12–14``, ``42/43``, ``8,10,12``.

A house number is parsed into its first number and letter, every number it lists
(``42/43``, ``8,10,12``, ``38;40``, range ends) and, for a range (``12-14``,
``1-17``), its span. :func:`match_level` says how well a queried number fits a
number of the address data; the geocoders take the best level found.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

#: One number with an optional single letter (``31``, ``31a``, ``31 A``; not ``52 Hinterhaus``).
_PART = re.compile(r"(\d+)\s*([a-z](?![a-z]))?")
#: A range between two parts.
_RANGE = re.compile(r"^\s*(\d+)\s*[a-z]?\s*[-\u2010\u2011\u2013\u2014]\s*(\d+)")

#: Match levels of :func:`match_level`, best first. ``EXACT_*`` levels give quality ``exact``.
EXACT_KEY, EXACT_FIRST, EXACT_LISTED, NUMBER_ONLY, IN_RANGE, OTHER_END, NO_MATCH = range(7)


@dataclass(frozen=True)
class HouseNumber:
    """A parsed house number.

    Attributes
    ----------
    key
        The whole number folded for equality: lower case, no spaces, dashes and
        slashes as ``-``, commas and semicolons as ``,`` (``"12 – 14"`` -> ``"12-14"``).
    first
        First number and its letter (``""`` without one); None when the text has no number.
    listed
        Every number and letter the text names (range ends, ``42/43``, ``8,10,12``).
    span
        ``(low, high)`` of a range (``12-14``, ``1-17``), else None.
    """

    key: str
    first: tuple[int, str] | None
    listed: frozenset[tuple[int, str]]
    span: tuple[int, int] | None

    @property
    def number(self) -> int | None:
        """The first number (None without one)."""
        return None if self.first is None else self.first[0]


@lru_cache(maxsize=65536)
def parse_housenumber(text: str | None) -> HouseNumber:
    """Parse a house number (see :class:`HouseNumber`); empty or None gives an empty one."""
    raw = "" if text is None else str(text).strip().casefold()
    key = re.sub(r"\s+", "", raw)
    key = re.sub(r"[\u2010\u2011\u2013\u2014/]", "-", key)
    key = key.replace(";", ",")
    parts = [(int(n), letter or "") for n, letter in _PART.findall(raw)]
    first = parts[0] if parts else None
    span = None
    m = _RANGE.match(raw)
    if m and "/" not in raw[: m.end()]:
        low, high = int(m.group(1)), int(m.group(2))
        if low < high:
            span = (low, high)
    return HouseNumber(key=key, first=first, listed=frozenset(parts), span=span)


def match_level(query: HouseNumber, data: HouseNumber) -> int:
    """How well the queried house number fits one of the address data (smaller is better).

    ``EXACT_KEY``: the same text (``31a`` = ``31 A``, ``12–14`` = ``12-14``).
    ``EXACT_FIRST``: the same first number and letter (``12-14`` asked, ``12`` known; or
    ``12`` asked, ``12-14`` known -- a range or list matches its first number).
    ``EXACT_LISTED``: the asked first number and letter are among those the data lists
    (``43`` asked, ``42/43`` known).
    ``NUMBER_ONLY``: the number fits only without its letter (``31a`` asked, ``31`` known,
    or the other way round).
    ``IN_RANGE``: the number lies inside a range of the data with the same parity
    (``9`` asked, ``1-17`` known).
    ``OTHER_END``: another number of the asked range or list is known (``12-14`` asked,
    only ``14`` known).
    ``NO_MATCH``: none of these.
    """
    if query.first is None or data.first is None:
        return NO_MATCH
    if query.key == data.key:
        return EXACT_KEY
    if query.first == data.first:
        return EXACT_FIRST
    if query.first in data.listed:
        return EXACT_LISTED
    number = query.first[0]
    if number == data.first[0] or any(number == n for n, _ in data.listed):
        return NUMBER_ONLY
    if data.span is not None and data.span[0] <= number <= data.span[1] and (number - data.span[0]) % 2 == 0:
        return IN_RANGE
    others = {n for n, _ in query.listed} - {number}
    if others & ({data.first[0]} | {n for n, _ in data.listed}):
        return OTHER_END
    return NO_MATCH
