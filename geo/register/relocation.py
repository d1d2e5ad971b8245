"""Checking a unit's place by hand: accept it as it is, or move it to a point clicked on the map.

Units placed from their address but not exactly (:func:`geo.places.geocoding.review_units`)
are checked by a person:

* :func:`accept_location` -- the place is right: the unit's ``geocode_quality`` becomes
  ``checked`` (method kept), and it leaves the review list;
* :func:`relocate_unit` -- the place is wrong: the unit gets the new point, ``geocode_method``
  ``map`` and ``geocode_quality`` ``manual``; its Ortsteil and quarter are derived again from the
  register's boundaries (as for an imported unit).

Either is one write (:meth:`geo.register.store.Store.write`) made on the store version the
person saw (``expected_version``: a stale one raises :class:`geo.errors.StoreConflict`, nothing
is written). The unit row holds the current place; every check is also appended to the
store's ``location_checks`` (:data:`geo.register.model.LOCATION_CHECK_COLUMNS`: the place after
and before, the geocoding before, who and when), which is append-only like the observations, so
moving a unit never loses its old point. Observations are not touched: figures and history stay
as they are.

A point outside Leipzig (:data:`geo.settings.leipzig_bbox`) or outside the register's
Ortsteile is refused (:func:`check_point`).
"""

from __future__ import annotations

import math
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from geo import settings
from geo.errors import InputError
from geo.formats import display_text, field_text, fmt_number, is_missing
from geo.places.geocoding import CHECKED_QUALITY_LABELS, QUALITY_LABELS
from geo.register.store import ChangeSet, Store, WriteResult

__all__ = [
    "ACCEPTED_QUALITY",
    "MOVED_METHOD",
    "MOVED_QUALITY",
    "accept_location",
    "check_point",
    "relocate_unit",
]

#: ``geocode_quality`` of a place a person accepted as it was.
ACCEPTED_QUALITY = "checked"
#: ``geocode_method`` and ``geocode_quality`` of a place set by a click on the map.
MOVED_METHOD = "map"
MOVED_QUALITY = "manual"


def _where(lon: float, lat: float) -> str:
    return f"{fmt_number(lat, digits=5, grouping=False)} N, {fmt_number(lon, digits=5, grouping=False)} O"


def check_point(lon: Any, lat: Any, *, boundaries: gpd.GeoDataFrame | None = None) -> tuple[float, float]:
    """The point as floats, when it may be a unit's place: inside Leipzig and the register's Ortsteile.

    Parameters
    ----------
    lon, lat
        The point in EPSG:4326 (e.g. a click on the map).
    boundaries
        The register's Ortsteile (any CRS); None or empty: only Leipzig's extent is checked.

    Raises
    ------
    InputError
        Not a number, outside :data:`geo.settings.leipzig_bbox`, or outside every Ortsteil.
    """
    try:
        x, y = float(lon), float(lat)
    except (TypeError, ValueError):
        x = y = math.nan
    if is_missing(lon) or is_missing(lat) or not (math.isfinite(x) and math.isfinite(y)):
        raise InputError(
            f"Kein gültiger Punkt (Längengrad '{display_text(lon)}', Breitengrad '{display_text(lat)}'); "
            "nichts gespeichert. Bitte den Ort in der Karte anklicken."
        )
    lon_min, lat_min, lon_max, lat_max = settings.leipzig_bbox
    if not (lon_min <= x <= lon_max and lat_min <= y <= lat_max):
        raise InputError(
            f"Der Punkt {_where(x, y)} liegt außerhalb Leipzigs; nichts gespeichert. Bitte den Ort der "
            "Einheit im Quartier anklicken."
        )
    if boundaries is not None and len(boundaries):
        shapes = boundaries.to_crs(settings.storage_crs) if boundaries.crs is not None else boundaries
        if not shapely.covers(shapely.union_all(list(shapes.geometry)), shapely.Point(x, y)):
            names = sorted({str(q) for q in shapes.get("quarter", pd.Series(dtype="str")).dropna()})
            area = f"der Quartiere ({', '.join(names)})" if names else "der Ortsteile des Registers"
            raise InputError(
                f"Der Punkt {_where(x, y)} liegt außerhalb {area}; nichts gespeichert. Bitte den Ort der "
                "Einheit innerhalb des Quartiers anklicken."
            )
    return x, y


def _unit(store: Store, unit_id: str) -> tuple[pd.Series, gpd.GeoDataFrame]:
    """The stored unit and the register's boundaries (the official ones when it has none)."""
    from geo.register.io import _boundaries_for

    register = store.read(unit_ids=[unit_id])
    found = register.units.loc[register.units["unit_id"] == unit_id]
    if found.empty:
        raise InputError(f"Einheit '{unit_id}' gibt es im Register nicht (mehr); bitte die Liste neu laden.")
    return found.iloc[0], _boundaries_for(register)


def _check(unit: pd.Series, action: str, lon: float, lat: float, recorded_by: str | None) -> pd.DataFrame:
    """The ``location_checks`` row of one check: the place after, the place and geocoding before."""
    point = unit.get("geometry")
    before = point is not None and not point.is_empty
    return pd.DataFrame(
        {
            "unit_id": [unit["unit_id"]],
            "action": [action],
            "lon": [lon],
            "lat": [lat],
            "lon_before": [point.x if before else math.nan],
            "lat_before": [point.y if before else math.nan],
            "method_before": pd.Series([unit.get("geocode_method")], dtype="str"),
            "quality_before": pd.Series([unit.get("geocode_quality")], dtype="str"),
            "recorded_by": pd.Series([recorded_by], dtype="str"),
        }
    )


def accept_location(
    store: Store, unit_id: str, *, expected_version: int | None, recorded_by: str | None = None
) -> WriteResult:
    """Record that a person checked the unit's place and accepts it: the unit leaves the review list.

    Parameters
    ----------
    store
        The register.
    unit_id
        A unit placed from its address, not exactly (on the review list).
    expected_version
        The store version the person saw (:meth:`~geo.register.store.Store.version`).
    recorded_by
        Who checked (internal).

    Raises
    ------
    StoreConflict
        The store is no longer at ``expected_version``; nothing was written.
    InputError
        Unknown unit, or a unit whose place is not to be checked (given by its list, placed
        exactly, or checked already).
    """
    who = field_text(recorded_by, label="Geprüft von")
    unit, _ = _unit(store, unit_id)
    quality = unit.get("geocode_quality")
    if is_missing(quality) or quality == "exact" or quality in CHECKED_QUALITY_LABELS:
        state = (
            "ihre Koordinaten stammen aus der Liste"
            if is_missing(quality)
            else f"Verortung: {QUALITY_LABELS.get(quality) or CHECKED_QUALITY_LABELS.get(quality, quality)}"
        )
        raise InputError(f"Der Ort von Einheit '{unit_id}' ist nicht zu prüfen ({state}); nichts gespeichert.")
    point = unit.get("geometry")
    if point is None or point.is_empty:
        raise InputError(f"Einheit '{unit_id}' hat keinen Ort; bitte „Auf der Karte setzen“.")
    changes = ChangeSet(
        unit_updates=pd.DataFrame(
            {"unit_id": [unit_id], "geocode_quality": pd.Series([ACCEPTED_QUALITY], dtype="str")}
        ),
        location_checks=_check(unit, "accepted", point.x, point.y, who),
    )
    return store.write(changes, expected_version=expected_version)


def relocate_unit(
    store: Store,
    unit_id: str,
    *,
    lon: Any,
    lat: Any,
    expected_version: int | None,
    recorded_by: str | None = None,
) -> WriteResult:
    """Move a unit to a point set by hand (a click on the map); the old point stays in the log.

    Parameters
    ----------
    store
        The register.
    unit_id
        The unit to move.
    lon, lat
        The new place (EPSG:4326); must lie in Leipzig and in the register's Ortsteile.
    expected_version
        The store version the person saw (:meth:`~geo.register.store.Store.version`).
    recorded_by
        Who moved it (internal).

    Returns
    -------
    WriteResult
        With the store's new version.

    Raises
    ------
    StoreConflict
        The store is no longer at ``expected_version``; nothing was written.
    InputError
        Unknown unit, or a point outside Leipzig or the Ortsteile (nothing written).
    """
    from geo.places.areas import assign_areas

    who = field_text(recorded_by, label="Gesetzt von")
    unit, boundaries = _unit(store, unit_id)
    x, y = check_point(lon, lat, boundaries=boundaries)
    point = shapely.Point(x, y)
    moved = gpd.GeoDataFrame({"unit_id": [unit_id]}, geometry=[point], crs=settings.storage_crs)
    areas = assign_areas(moved, boundaries) if len(boundaries) else None
    changes = ChangeSet(
        unit_updates=pd.DataFrame(
            {
                "unit_id": [unit_id],
                "geocode_method": pd.Series([MOVED_METHOD], dtype="str"),
                "geocode_quality": pd.Series([MOVED_QUALITY], dtype="str"),
                "geometry": pd.Series([point], dtype=object),
            }
        ),
        area_assignments=None if areas is None else pd.DataFrame(areas[["unit_id", "ortsteil", "quarter"]]),
        location_checks=_check(unit, "moved", x, y, who),
    )
    return store.write(changes, expected_version=expected_version)
