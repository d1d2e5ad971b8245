"""Addresses of an import: split, tidied for storage, and keyed for matching.

``"Torgauer Str.  74c"`` is stored as street ``Torgauer Straße`` and house
number ``74c``; :func:`geo.text.street_key` and :func:`housenumber_key` make
``Torgauer Str. 74 c`` and ``Torgauer Straße 74c`` the same address.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo.text import clean_text, map_unique, street_key, tidy_street

_ADDRESS_RE = (
    r"^(?P<street>.*?\D)[\s,]*"
    r"(?P<hnr>\d+\s*[a-zA-Z]?(?:\s*[-\u2013\u2014/]\s*\d+\s*[a-zA-Z]?)*)"
    r"(?:\s*,?\s*(?P<postcode>\d{5})(?:\s+(?P<city>\D.*))?)?\s*$"
)


def split_address(values: pd.Series) -> pd.DataFrame:
    """Split combined addresses into street, house number and postcode.

    Parameters
    ----------
    values
        Text like ``"Eisenbahnstraße 66"``, ``"Torgauer Str.  74c"``,
        ``"Meißner Straße 44\u201354"`` or ``"Elisabethstraße 7 04315 Leipzig"``.

    Returns
    -------
    pandas.DataFrame
        Columns ``street``, ``housenumber`` and ``postcode``. Without a
        number at the end the whole text is the street and the house number
        is missing.
    """

    def _split(u: pd.Series) -> pd.DataFrame:
        text = clean_text(u)
        parts = text.str.extract(_ADDRESS_RE)
        street = parts["street"].str.rstrip(" ,").where(parts["hnr"].notna(), text)
        return pd.DataFrame(
            {
                "street": street.astype("str"),
                "housenumber": parts["hnr"].str.strip().astype("str"),
                "postcode": parts["postcode"].astype("str"),
            }
        )

    codes, uniques = pd.factorize(values)
    parts = _split(pd.Series(uniques, dtype="str")).reindex(codes)
    parts.index = values.index
    return parts


def housenumber_key(values: pd.Series) -> pd.Series:
    """Comparison key of a house number: lowercase, no spaces, ranges with ``-``."""

    def _key(u: pd.Series) -> pd.Series:
        text = u.astype("str").str.casefold().str.replace(r"\s+", "", regex=True)
        return text.str.replace(r"[\u2010\u2011\u2013\u2014/]", "-", regex=True)

    return map_unique(values, _key).fillna("").astype("str")


def tidy_housenumber(values: pd.Series) -> pd.Series:
    """House number for storage: no inner spaces, ``\u2013`` as ``-``."""
    return map_unique(
        values,
        lambda u: (
            clean_text(u)
            .str.replace(r"\s+", "", regex=True)
            .str.replace(r"[\u2010\u2011\u2013\u2014]", "-", regex=True)
        ),
    ).astype("str")


def tidy_postcode(values: pd.Series) -> pd.Series:
    """Postcode for storage: Excel-lost leading zero restored (``4315`` -> ``04315``)."""

    def _tidy(u: pd.Series) -> pd.Series:
        text = clean_text(u).str.replace(r"\.0$", "", regex=True)
        return text.where(~text.str.fullmatch(r"\d{4}").fillna(False).astype(bool), "0" + text)

    return map_unique(values, _tidy).astype("str")


def address_parts(raw: pd.DataFrame) -> pd.DataFrame:
    """Street, house number, postcode and address key from raw address columns.

    Parameters
    ----------
    raw
        Any of the columns ``street``, ``housenumber``, ``postcode`` and
        ``address`` (combined "Straße 12, 04315 Leipzig"), as text.

    Returns
    -------
    pandas.DataFrame
        ``street``, ``housenumber``, ``postcode`` (tidied for storage),
        ``addr_key`` (``""`` without a street) and ``split_without_number``
        (a combined address without a house number).
    """
    text_na = pd.Series(np.nan, index=raw.index, dtype="str")

    def column(name: str) -> pd.Series:
        return clean_text(raw[name]) if name in raw.columns else text_na.copy()

    street, hnr, postcode = column("street"), column("housenumber"), column("postcode")
    without_number = pd.Series(False, index=raw.index)
    if "address" in raw.columns:
        combined = column("address")
        parts = split_address(combined)
        use = street.isna() & combined.notna()
        street = street.where(~use, parts["street"])
        hnr = hnr.where(~(use & hnr.isna()), parts["housenumber"])
        postcode = postcode.where(~(use & postcode.isna()), parts["postcode"])
        without_number = use & parts["housenumber"].isna()
    # a street column holding "Straße 12" while the house number is empty
    has_digit = street.str.contains(r"\d", regex=True).fillna(False).astype(bool)
    split_street = street.notna() & hnr.isna() & has_digit
    if split_street.any():
        parts = split_address(street.where(split_street))
        has_nr = split_street & parts["housenumber"].notna()
        street = street.where(~has_nr, parts["street"])
        hnr = hnr.where(~has_nr, parts["housenumber"])
        postcode = postcode.where(~(has_nr & postcode.isna()), parts["postcode"])
    out = pd.DataFrame(
        {
            "street": tidy_street(street),
            "housenumber": tidy_housenumber(hnr),
            "postcode": tidy_postcode(postcode),
        }
    )
    skey = street_key(out["street"])
    hkey = housenumber_key(out["housenumber"])
    out["addr_key"] = (skey + "|" + hkey).where(skey != "", "")
    out["split_without_number"] = without_number.to_numpy()
    return out
