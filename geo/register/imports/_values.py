"""Vectorised helpers for the values of an import: vocabulary words and numbers.

Everything works on the distinct values of a column only
(:func:`geo.text.map_unique`), so a million rows with a few thousand distinct
texts are quick. Cleaning text for storage and comparison keys of names and
streets are :mod:`geo.text`'s.
"""

from __future__ import annotations

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
