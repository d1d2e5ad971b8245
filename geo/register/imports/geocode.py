"""Placing new units by their address (the ``geocode`` stage of an import, after matching).

A row that describes a **new** unit (no stored unit matched) whose rows carry no
coordinates but an address gets a point from a geocoder when the import is given
one (:mod:`geo.places.geocoding`: offline from address files, or Nominatim). Each
unit is asked once, with the address of its first row. What is found is stored
with the unit (``geocode_method``, ``geocode_quality``):

* ``exact``: taken;
* anything short of exact (letter dropped, similar street name, other postcode,
  interpolated between neighbours, street only): taken, with a warning at the
  unit's first row and an entry in the report's review list
  (:attr:`~geo.register.imports.report.ImportReport.review`) -- never a silent accept;
* not found (or outside Leipzig or the given area): an error at every row of the
  unit, naming the address and why.

Without a geocoder the stage only adds the empty ``geocode_*`` columns; such rows
are rejected later by :func:`geo.register.imports.validate.check_missing_coordinates`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from geo import settings
from geo.register.imports.columns import MappedTable
from geo.register.imports.match import MatchedRows
from geo.register.imports.parse import transformer
from geo.register.imports.report import Issues, ReviewItem, count

if TYPE_CHECKING:
    from geo.places.geocoding import Geocoder


@dataclass(frozen=True)
class GeocodedRows:
    """The matched rows with the points found for new units by their address.

    Attributes
    ----------
    matched
        :class:`MatchedRows` whose frame has ``lon``/``lat``/``mx``/``my`` filled for the
        units placed, and the columns ``geocode_method`` and ``geocode_quality``
        (missing where the row's coordinates come from the file).
    issues
        Errors (address not found) and warnings (placed, not exactly).
    review
        One :class:`ReviewItem` per unit placed not exactly (``unit_id`` not yet known).
    review_units
        The unit code (``ucode``) of each review item, for the new unit's id after planning.
    notes
        A German note on how many units were placed and how well.
    """

    matched: MatchedRows
    issues: Issues
    review: tuple[ReviewItem, ...] = ()
    review_units: tuple[int, ...] = ()
    notes: tuple[str, ...] = ()


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def geocode_rows(
    matched: MatchedRows,
    mapped: MappedTable,
    alive: pd.Series,
    *,
    geocoder: Geocoder | None,
    area: Any = None,
) -> GeocodedRows:
    """Place the new units without coordinates by their address (see the module's description).

    Parameters
    ----------
    matched
        The rows with the unit each describes.
    mapped
        The table with its column mapping (for the column named in messages).
    alive
        Bool by row: rows still without an error.
    geocoder
        The geocoder to use; None: nothing is placed.
    area
        A polygon the points must lie in (default: Leipzig's extent only).

    Raises
    ------
    geo.places.geocoding.GeocodingUnavailable
        The online geocoder cannot be reached (nothing is imported).
    geo.errors.InputError
        The online geocoder would have to be asked too many addresses.
    """
    w = matched.frame.assign(
        geocode_method=pd.Series(np.nan, index=matched.frame.index, dtype="str"),
        geocode_quality=pd.Series(np.nan, index=matched.frame.index, dtype="str"),
    )
    if geocoder is None:
        return GeocodedRows(matched=replace(matched, frame=w), issues=Issues())
    from geo.places.geocoding import METHOD_LABELS, AddressQuery

    new = alive & w["is_new"]
    located = w.loc[new & w["lon"].notna(), "ucode"].unique()
    lacking = new & ~np.isin(w["ucode"].to_numpy(), located)
    with_street = lacking & w["street"].notna()
    if not with_street.any():
        return GeocodedRows(matched=replace(matched, frame=w), issues=Issues())
    first = w.loc[with_street].sort_values("_row", kind="stable").drop_duplicates("ucode")
    queries = [
        AddressQuery(str(s), _text(h), _text(p))
        for s, h, p in zip(first["street"], first["housenumber"], first["postcode"], strict=True)
    ]
    results = geocoder.geocode_many(queries, area=area)
    column = mapped.mapping.get("street") or mapped.mapping.get("address")
    method = METHOD_LABELS.get(geocoder.method, geocoder.method)
    tx = transformer(settings.storage_crs, settings.metric_crs)
    codes = w["ucode"].to_numpy()
    row_numbers = w["_row"].to_numpy()
    by_unit: dict[int, list[int]] = {}
    for p in np.flatnonzero(lacking.to_numpy()):
        by_unit.setdefault(int(codes[p]), []).append(int(p))
    values = {c: w[c].to_numpy(dtype="float64").copy() for c in ("lon", "lat", "mx", "my")}
    methods = w["geocode_method"].to_numpy(dtype=object).copy()
    qualities = w["geocode_quality"].to_numpy(dtype=object).copy()
    issues = Issues()
    review: list[ReviewItem] = []
    review_units: list[int] = []
    n_exact = n_review = n_missing = 0
    for code, query, result in zip(first["ucode"], queries, results, strict=True):
        pos = np.array(by_unit[int(code)], dtype="int64")
        rows = tuple(int(r) for r in row_numbers[pos])
        if not result.found or result.lon is None or result.lat is None:
            n_missing += 1
            issues = issues.add(
                pos,
                column=column,
                value=query.text,
                reason=f"Adresse nicht gefunden ({method}): {result.reason}. Bitte die Adresse berichtigen "
                "oder lon/lat bzw. x/y ergänzen",
            )
            continue
        mx, my = tx.transform(result.lon, result.lat)
        for col, value in (("lon", result.lon), ("lat", result.lat), ("mx", mx), ("my", my)):
            values[col][pos] = value
        methods[pos] = result.method
        qualities[pos] = result.quality
        if result.quality == "exact":
            n_exact += 1
            continue
        n_review += 1
        issues = issues.add(
            pos[:1],
            column=column,
            value=query.text,
            reason=f"Ort aus der Adresse ({method}), {result.label}: '{result.matched}'"
            + (f"; {result.reason}" if result.reason else "")
            + ". Bitte den Ort prüfen (Prüfliste im Bericht)",
            severity="warning",
        )
        review_units.append(int(code))
        review.append(
            ReviewItem(
                row=rows[0],
                rows=rows,
                address=query.text,
                unit_id=None,
                lon=result.lon,
                lat=result.lat,
                method=result.method,
                quality=result.quality,
                quality_label=result.label,
                matched=result.matched,
                uncertainty_m=result.uncertainty_m,
                reason=result.reason,
            )
        )
    w = w.assign(
        **values,
        geocode_method=pd.Series(methods, index=w.index, dtype="str"),
        geocode_quality=pd.Series(qualities, index=w.index, dtype="str"),
    )
    asked = len(queries)
    note = (
        f"{count(asked, 'neue Einheit', 'neue Einheiten')} ohne Koordinaten über die Adresse gesucht "
        f"({method}): {n_exact} genau verortet, {n_review} verortet und zu prüfen, {n_missing} nicht gefunden."
    )
    return GeocodedRows(
        matched=replace(matched, frame=w),
        issues=issues,
        review=tuple(review),
        review_units=tuple(review_units),
        notes=(note,),
    )
