"""Vectorised helpers for the values of an import: vocabulary words and numbers.

Everything works on the distinct values of a column only
(:func:`geo.text.map_unique`), so a million rows with a few thousand distinct
texts are quick. Cleaning text for storage and comparison keys of names and
streets are :mod:`geo.text`'s.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo.text import map_unique


def normalise_word(values: pd.Series) -> pd.Series:
    """Normalise vocabulary words: casefold, trim, ``_`` as space, single spaces."""
    out = values.str.casefold().str.replace("_", " ", regex=False)
    return out.str.replace(r"\s+", " ", regex=True).str.strip()


def parse_number(values: pd.Series, *, area: bool = False) -> pd.Series:
    """Parse numbers written the German or the English way.

    Parameters
    ----------
    values
        Text (``"12,5"``, ``"1.200,5"``, ``"85.5"``) or numbers.
    area
        Read as an area: accept a unit after the number (``"85 m²"``,
        ``"85 qm"``) and dots as thousands separators (``"1.200"``).

    Returns
    -------
    pandas.Series
        Float values; NaN where empty or not a number.
    """
    if pd.api.types.is_numeric_dtype(values.dtype):
        return values.astype("float64")

    def _parse(u: pd.Series) -> pd.Series:
        text = u.astype("str").str.replace(r"[\s\u00a0]+", "", regex=True)
        if area:
            text = text.str.replace(r"(?i)(m²|m2|qm)$", "", regex=True)
        has_comma = text.str.contains(",", regex=False)
        german = text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
        text = text.where(~has_comma, german)
        if area:
            thousands = text.str.fullmatch(r"-?\d{1,3}(\.\d{3})+") & ~has_comma
            text = text.where(~thousands, text.str.replace(".", "", regex=False))
        return pd.to_numeric(text, errors="coerce").astype("float64")

    return map_unique(values, _parse).astype("float64")


#: Words of an approximate area, dropped before the number: ``ca. 80 m²``, ``rund 80 qm``.
_APPROX_RE = r"(?i)^\s*(?:ca\.?|circa|zirka|rund|etwa|ungefähr|ungefaehr|ungef\.|~|≈)\s*"
#: An area range: ``80–100 m²``, ``80-100 qm``, ``80 bis 100``.
_RANGE_RE = r"(?i)^(?P<low>\d[\d.,]*\s*(?:m²|m2|qm)?)\s*(?:-|–|—|bis)\s*(?P<high>\d[\d.,]*\s*(?:m²|m2|qm)?)$"


def parse_area(values: pd.Series) -> pd.DataFrame:
    """Parse floor areas as lists write them.

    Accepts what :func:`parse_number` accepts with ``area=True`` (``85``,
    ``85,5 m²``, ``1.200 qm``), after a word of approximation (``ca.``,
    ``circa``, ``rund``, ``etwa``, ``ungefähr``, ``~``), and ranges
    (``80–100 m²``, ``80-100 qm``, ``80 bis 100``).

    Returns
    -------
    pandas.DataFrame
        Aligned with ``values``: ``low`` (the area; the lower bound of a
        range) and ``high`` (the upper bound of a range, else NaN); both NaN
        where empty or unreadable, and for a range whose bounds are reversed.
    """
    if pd.api.types.is_numeric_dtype(values.dtype):
        low = values.astype("float64")
        return pd.DataFrame({"low": low, "high": pd.Series(float("nan"), index=values.index)})
    # work on the distinct texts only, then spread back
    codes, uniques = pd.factorize(values.astype("str"), use_na_sentinel=True)
    text = pd.Series(uniques, dtype="str").str.replace(_APPROX_RE, "", regex=True).str.strip()
    parts = text.str.extract(_RANGE_RE)
    is_range = parts["low"].notna()
    low = parse_number(parts["low"].where(is_range, text), area=True)
    high = parse_number(parts["high"], area=True)
    reversed_range = is_range & (high.isna() | ~(low <= high))
    low = low.where(~reversed_range).to_numpy()
    high = high.where(is_range & ~reversed_range).to_numpy()
    found = codes >= 0
    take = np.where(found, codes, 0)
    nan = np.full(len(codes), np.nan)
    return pd.DataFrame(
        {
            "low": np.where(found, low[take] if len(low) else nan, np.nan),
            "high": np.where(found, high[take] if len(high) else nan, np.nan),
        },
        index=values.index,
    )
