"""OSM tags to use classes: which features are businesses, their use class, and commercial buildings.

* :func:`classify_tags` puts an OSM business feature into one of the register's
  use classes (:data:`geo.register.model.USE_CLASS_LABELS`); :data:`BUSINESS_TAGS`
  is the query of the features that count as businesses (:func:`geo.osm.download.fetch_businesses`).
* :func:`commercial_flags` says which building footprints have a commercial use
  (:mod:`geo.osm.buildings`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "AMENITY_CLASSES",
    "BUSINESS_TAGS",
    "COMMERCIAL_AMENITY_VALUES",
    "COMMERCIAL_ANY_VALUE_KEYS",
    "COMMERCIAL_BUILDING_VALUES",
    "COMMERCIAL_TOURISM_VALUES",
    "KEY_TAGS",
    "OFFICE_CLASSES",
    "SHOP_CLASSES",
    "classify_tags",
    "commercial_flags",
]


# -- businesses ----------------------------------------------------------------------

#: ``amenity=*`` values fetched as businesses (the commercial subset), with their use class.
#: Public and social facilities (school, community_centre, place_of_worship, ...) are not fetched.
AMENITY_CLASSES: dict[str, str] = {
    # Gastronomie
    "restaurant": "food", "cafe": "food", "fast_food": "food", "bar": "food", "pub": "food",
    "ice_cream": "food", "biergarten": "food", "food_court": "food", "nightclub": "food",
    # Gesundheit
    "pharmacy": "health", "doctors": "health", "dentist": "health", "veterinary": "health",
    "clinic": "health",
    # Dienstleistung
    "bank": "services", "bureau_de_change": "services", "money_transfer": "services",
    "payment_centre": "services", "post_office": "services", "car_rental": "services",
    "car_wash": "services", "bicycle_rental": "services", "driving_school": "services",
    "internet_cafe": "services", "vehicle_inspection": "services",
    # Einzelhandel
    "fuel": "retail", "marketplace": "retail",
    # Büro
    "coworking_space": "office",
    # Kultur/Soziales
    "cinema": "culture_social", "theatre": "culture_social", "arts_centre": "culture_social",
    "studio": "culture_social",
    # Sonstiges
    "casino": "other", "gambling": "other",
}  # fmt: skip

#: ``shop=*`` values that are not retail; every other shop value is ``retail``.
#: Bakeries, pastry and ice-cream shops count as Gastronomie, as in the register
#: (see the demo data), opticians and hearing-aid shops as Gesundheit.
SHOP_CLASSES: dict[str, str] = {
    "bakery": "food", "pastry": "food", "confectionery": "food", "ice_cream": "food",
    "hairdresser": "services", "beauty": "services", "massage": "services", "tattoo": "services",
    "piercing": "services", "laundry": "services", "dry_cleaning": "services", "tailor": "services",
    "travel_agency": "services", "copyshop": "services", "funeral_directors": "services",
    "pawnbroker": "services", "money_lender": "services", "rental": "services", "repair": "services",
    "locksmith": "services", "pet_grooming": "services", "photo_studio": "services",
    "ticket": "services",
    "car_repair": "craft", "shoe_repair": "craft", "frame": "craft", "glaziery": "craft",
    "optician": "health", "hearing_aids": "health", "medical_supply": "health",
    "art": "culture_social", "charity": "culture_social",
    "estate_agent": "office", "insurance": "office",
    "bookmaker": "other", "lottery": "other", "storage_rental": "other", "vacant": "other",
}  # fmt: skip

#: ``office=*`` values that are not ``office``; every other office value is ``office``.
OFFICE_CLASSES: dict[str, str] = {
    "association": "culture_social", "ngo": "culture_social", "charity": "culture_social",
    "foundation": "culture_social", "religion": "culture_social",
    "political_party": "culture_social", "educational_institution": "culture_social",
    "government": "other", "administrative": "other", "diplomatic": "other",
}  # fmt: skip

#: The Overpass query of :func:`geo.osm.download.fetch_businesses` (an osmnx ``tags`` dict: the union of all).
BUSINESS_TAGS: dict[str, bool | str | list[str]] = {
    "shop": True,
    "office": True,
    "craft": True,
    "healthcare": True,
    "amenity": sorted(AMENITY_CLASSES),
    "disused:shop": True,
    "vacant": "yes",
}

#: Tags kept in ``osm_tags`` (JSON text), in this order.
KEY_TAGS: tuple[str, ...] = ("shop", "amenity", "healthcare", "craft", "office", "disused:shop", "vacant")


_ACTIVE_KEYS = ("healthcare", "amenity", "shop", "craft", "office")


def _value(tags: Mapping[str, Any], key: str) -> str | None:
    value = tags.get(key)
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    text = str(value).strip()
    return text or None


def classify_tags(tags: Mapping[str, Any]) -> tuple[str, str, bool]:
    """Use class, deciding tag and vacancy of one OSM feature.

    The first rule that applies decides:

    ====  ==================================  ===================================================
    rule  tag                                 use class
    ====  ==================================  ===================================================
    1     ``healthcare=*``                    ``health``
    2     ``amenity=*`` in AMENITY_CLASSES    as listed there (restaurant -> food, bank ->
                                              services, pharmacy -> health, fuel -> retail, ...)
    3     ``shop=*``                          SHOP_CLASSES (bakery -> food, hairdresser ->
                                              services, car_repair -> craft, optician -> health,
                                              bookmaker -> other, vacant -> other, ...), else
                                              ``retail``
    4     ``craft=*``                         ``craft``
    5     ``office=*``                        OFFICE_CLASSES (association -> culture_social,
                                              government -> other, ...), else ``office``
    6     ``disused:shop=*`` (nothing above)  the former shop's class, by rule 3
    7     anything else                       ``other``
    ====  ==================================  ===================================================

    A feature is *disused* when it has ``shop=vacant``, ``vacant=yes``, or a
    ``disused:shop`` tag and none of the active keys of rules 1-5.

    Parameters
    ----------
    tags
        The feature's tags (missing values may be None or NaN).

    Returns
    -------
    tuple[str, str, bool]
        ``(use_class, "key=value", disused)``.
    """
    values = {key: _value(tags, key) for key in (*_ACTIVE_KEYS, "disused:shop", "vacant")}
    active = any(values[k] for k in _ACTIVE_KEYS)
    disused = (
        values["shop"] == "vacant"
        or values["vacant"] == "yes"
        or (values["disused:shop"] is not None and not active)
    )
    if (v := values["healthcare"]) and v != "no":
        return "health", f"healthcare={v}", disused
    if (v := values["amenity"]) and v in AMENITY_CLASSES:
        return AMENITY_CLASSES[v], f"amenity={v}", disused
    if v := values["shop"]:
        return SHOP_CLASSES.get(v, "retail"), f"shop={v}", disused
    if v := values["craft"]:
        return "craft", f"craft={v}", disused
    if v := values["office"]:
        return OFFICE_CLASSES.get(v, "office"), f"office={v}", disused
    if v := values["disused:shop"]:
        return SHOP_CLASSES.get(v, "retail"), f"disused:shop={v}", disused
    for key in _ACTIVE_KEYS:
        if v := values[key]:
            return "other", f"{key}={v}", disused
    return "other", "vacant=yes" if values["vacant"] == "yes" else "", disused


def _matches(frame: pd.DataFrame, tags: Mapping[str, bool | str | list[str]]) -> np.ndarray:
    """Rows having any of ``tags`` (osmnx's rule: a bool = any value, str/list = these values)."""
    keep = np.zeros(len(frame), dtype=bool)
    for key, wanted in tags.items():
        if key not in frame.columns:
            continue
        col = frame[key].astype("str")
        if isinstance(wanted, bool):  # osmnx queries any value for False too
            hit = col.notna() & (col.str.strip() != "")
        elif isinstance(wanted, str):
            hit = col == wanted
        else:
            hit = col.isin(list(wanted))
        keep |= hit.fillna(False).to_numpy(dtype=bool)
    return keep


# -- commercial buildings ------------------------------------------------------------

#: ``building=*`` values that make a building commercial by themselves.
COMMERCIAL_BUILDING_VALUES: frozenset[str] = frozenset(
    {"commercial", "industrial", "kiosk", "office", "retail", "supermarket"}
)

#: ``amenity=*`` values of private businesses in commercial premises. Public,
#: social and infrastructure amenities (school, kindergarten, place_of_worship,
#: social_facility, community_centre, townhall, fire_station, hospital, parking,
#: shelter, toilets, bench, ...) do not make a building commercial.
COMMERCIAL_AMENITY_VALUES: frozenset[str] = frozenset(
    {
        "bank", "bar", "biergarten", "bicycle_rental", "boat_rental", "bureau_de_change",
        "car_rental", "car_wash", "casino", "cafe", "cinema", "coworking_space", "dentist",
        "dive_centre", "doctors", "driving_school", "fast_food", "food_court", "fuel",
        "gambling", "ice_cream", "internet_cafe", "marketplace", "money_transfer",
        "nightclub", "pharmacy", "post_office", "pub", "restaurant", "sauna", "studio",
        "vehicle_inspection", "veterinary",
    }
)  # fmt: skip

#: ``tourism=*`` values of accommodation businesses.
COMMERCIAL_TOURISM_VALUES: frozenset[str] = frozenset({"guest_house", "hostel", "hotel", "motel"})

#: Tag keys whose presence (any value but ``no``/``none``) makes a building commercial.
#: ``shop=vacant`` counts: the premises are commercial, currently empty.
COMMERCIAL_ANY_VALUE_KEYS: tuple[str, ...] = ("shop", "office", "craft")


_NO_VALUES = frozenset({"", "no", "none"})


def commercial_flags(buildings: pd.DataFrame) -> pd.Series:
    """Whether each building has a commercial use.

    A building is commercial when at least one holds (tag values compared
    case-insensitively, ``;``-separated lists value by value):

    * ``building`` is one of :data:`COMMERCIAL_BUILDING_VALUES`
      (retail, commercial, office, industrial, supermarket, kiosk);
    * it has a ``shop``, ``office`` or ``craft`` tag with any value but
      ``no``/``none`` -- including ``shop=vacant``: the premises are
      commercial, currently empty, which is what a vacancy monitor watches;
    * ``amenity`` is one of :data:`COMMERCIAL_AMENITY_VALUES` (restaurant,
      cafe, bank, pharmacy, doctors, fuel, ...). Public, social and
      infrastructure amenities (school, place_of_worship, social_facility,
      parking, bench, shelter, toilets, ...) do not count;
    * ``tourism`` is one of :data:`COMMERCIAL_TOURISM_VALUES` (hotel, hostel,
      guest_house, motel).

    ``building:use``, ``leisure`` and ``healthcare`` are not considered.
    Missing tag columns count as "tag absent". Only tags on the footprint
    itself count: shops mapped as separate OSM nodes inside a building are
    not seen, so the figure is a lower bound (in the Leipzig extracts of
    2014 only a handful of buildings carry such tags).

    Parameters
    ----------
    buildings
        Table with (some of) the tag columns ``building``, ``shop``,
        ``office``, ``craft``, ``amenity``, ``tourism``.

    Returns
    -------
    pandas.Series
        Boolean, aligned to ``buildings``.
    """
    flag = np.zeros(len(buildings), dtype=bool)
    rules: list[tuple[str, frozenset[str] | None]] = [
        ("building", COMMERCIAL_BUILDING_VALUES),
        ("amenity", COMMERCIAL_AMENITY_VALUES),
        ("tourism", COMMERCIAL_TOURISM_VALUES),
        *((key, None) for key in COMMERCIAL_ANY_VALUE_KEYS),
    ]
    for key, allowed in rules:
        if key not in buildings.columns:
            continue
        values = buildings[key]
        present = values.notna().to_numpy()
        if not present.any():
            continue
        uniques = pd.unique(values[present].astype("str"))
        verdict = {u: _tag_matches(u, allowed) for u in uniques}
        hit = np.zeros(len(values), dtype=bool)
        hit[present] = values[present].astype("str").map(verdict).to_numpy(dtype=bool)
        flag |= hit
    return pd.Series(flag, index=buildings.index, name="commercial")


def _tag_matches(value: str, allowed: frozenset[str] | None) -> bool:
    parts = [p.strip().lower() for p in str(value).split(";")]
    if allowed is None:
        return any(p not in _NO_VALUES for p in parts)
    return any(p in allowed for p in parts)
