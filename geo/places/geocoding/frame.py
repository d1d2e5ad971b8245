"""Geocoding tables: :func:`geocode_frame` for a table of addresses, :func:`review_units` for the store's units."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from geo.formats import is_missing
from geo.places.geocoding._model import (
    CHECKED_QUALITY_LABELS,
    QUALITY_LABELS,
    AddressQuery,
    Geocoder,
    GeocodeResult,
)

#: Columns :func:`geocode_frame` adds.
GEOCODE_COLUMNS: tuple[str, ...] = (
    "lon",
    "lat",
    "geocode_method",
    "geocode_quality",
    "geocode_matched",
    "geocode_score",
    "geocode_uncertainty_m",
    "geocode_reason",
)


def _text(value: Any) -> str | None:
    return None if is_missing(value) or not str(value).strip() else str(value).strip()


def geocode_frame(
    frame: pd.DataFrame,
    geocoder: Geocoder,
    *,
    street: str = "street",
    housenumber: str = "housenumber",
    postcode: str = "postcode",
    area: Any = None,
) -> pd.DataFrame:
    """Place the addresses of a table (each distinct address asked once).

    Parameters
    ----------
    frame
        A table with street, house number and (optionally) postcode columns.
    geocoder
        An :class:`~geo.places.geocoding.OfflineGeocoder` or
        :class:`~geo.places.geocoding.NominatimGeocoder`.
    street, housenumber, postcode
        Column names (a missing house number or postcode column is allowed).
    area
        A polygon (or polygon layer) the points must lie in (default: Leipzig's extent only).

    Returns
    -------
    pandas.DataFrame
        Aligned with ``frame``: :data:`GEOCODE_COLUMNS` (``lon``/``lat`` NaN when not
        found; a row without street is ``not_found``).
    """
    queries: list[AddressQuery | None] = []
    for _, row in frame.iterrows():
        name = _text(row.get(street))
        queries.append(
            None
            if name is None
            else AddressQuery(name, _text(row.get(housenumber)), _text(row.get(postcode)))
        )
    asked = [q for q in queries if q is not None]
    found = dict(zip(asked, geocoder.geocode_many(asked, area=area), strict=True)) if asked else {}
    results: list[GeocodeResult | None] = [None if q is None else found[q] for q in queries]
    out = pd.DataFrame(index=frame.index)
    out["lon"] = np.array([np.nan if r is None or r.lon is None else r.lon for r in results], dtype="float64")
    out["lat"] = np.array([np.nan if r is None or r.lat is None else r.lat for r in results], dtype="float64")
    out["geocode_method"] = pd.Series([geocoder.method] * len(results), index=frame.index, dtype="str")
    out["geocode_quality"] = pd.Series(
        ["not_found" if r is None else r.quality for r in results], index=frame.index, dtype="str"
    )
    out["geocode_matched"] = pd.Series(
        [None if r is None else r.matched for r in results], index=frame.index, dtype="str"
    )
    out["geocode_score"] = np.array([0.0 if r is None else r.score for r in results], dtype="float64")
    out["geocode_uncertainty_m"] = np.array(
        [np.nan if r is None or r.uncertainty_m is None else r.uncertainty_m for r in results],
        dtype="float64",
    )
    out["geocode_reason"] = pd.Series(
        ["keine Straße angegeben" if r is None else r.reason for r in results], index=frame.index, dtype="str"
    )
    return out


def review_units(units: pd.DataFrame) -> pd.DataFrame:
    """The units whose place comes from an address and is not exact: the list to check by hand.

    Units whose place a person has checked (:data:`CHECKED_QUALITY_LABELS`: accepted, or set
    on the map) are not listed.

    Parameters
    ----------
    units
        The store's units (:data:`geo.register.model.UNIT_COLUMNS`, e.g. ``Register.units``).

    Returns
    -------
    pandas.DataFrame
        ``unit_id``, ``street``, ``housenumber``, ``postcode``, ``geocode_method``,
        ``geocode_quality`` and ``quality_label`` (German), ordered by quality (worst
        first), then unit; empty when every placed unit is exact or none was placed.
    """
    cols = ["unit_id", "street", "housenumber", "postcode", "geocode_method", "geocode_quality"]
    if "geocode_quality" not in units.columns:
        return pd.DataFrame({c: pd.Series(dtype="str") for c in [*cols, "quality_label"]})
    quality = units["geocode_quality"].astype("str")
    pick = quality.notna() & (quality != "exact") & ~quality.isin(list(CHECKED_QUALITY_LABELS))
    out = pd.DataFrame({c: units.loc[pick, c] if c in units.columns else None for c in cols}).copy()
    out["quality_label"] = out["geocode_quality"].map(QUALITY_LABELS).fillna(out["geocode_quality"])
    order = {q: i for i, q in enumerate(reversed(list(QUALITY_LABELS)))}
    out = out.assign(_o=out["geocode_quality"].map(order)).sort_values(["_o", "unit_id"], kind="stable")
    return out.drop(columns="_o").reset_index(drop=True)
