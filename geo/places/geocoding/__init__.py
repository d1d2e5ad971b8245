"""Geocoding: addresses of the office's lists placed on the map, offline or with Nominatim.

Rows of an import that describe a new unit by its address only get a point here
when the import is asked to (``python -m geo import … --geocode offline --addresses
DATEI`` or ``--geocode nominatim``). Every result carries its method and quality;
anything short of ``exact`` goes on the import's review list, and nothing is ever
guessed far away: points outside Leipzig or outside a given area are ``not_found``.

Public surface:

====================================  ==========================================================
:class:`Geocoder`                     the protocol: ``method``, ``geocode(query)``, ``geocode_many(queries)``
:class:`OfflineGeocoder`              from address files (:meth:`OfflineGeocoder.from_files`): OSM
                                      XML/GeoJSON/GeoPackage with ``addr:*`` tags, official house
                                      coordinates as CSV/XLSX
:class:`NominatimGeocoder`            online via geopy, rate-limited, cached, bounded to Leipzig
:class:`AddressQuery`                 street, house number, postcode (:meth:`AddressQuery.from_text`)
:class:`GeocodeResult`                lon/lat, method, quality, matched address, score, uncertainty, reason
:data:`QUALITIES`, :data:`QUALITY_LABELS`  ``exact`` > ``fuzzy_number`` > ``other_postcode`` >
                                      ``fuzzy_street`` > ``street_only`` > ``not_found``, German labels
:data:`CHECKED_QUALITY_LABELS`        ``checked``, ``manual``: places a person checked (off the review list)
:func:`geocode_frame`                 a table of addresses placed, one column per result field
:func:`review_units`                  stored units placed from an address, not exactly: to check
:class:`GeocodingUnavailable`         the online service cannot be reached or refuses
====================================  ==========================================================
"""

from __future__ import annotations

from geo.places.geocoding._model import (
    CHECKED_QUALITY_LABELS,
    METHOD_LABELS,
    QUALITIES,
    QUALITY_LABELS,
    AddressQuery,
    Geocoder,
    GeocodeResult,
    GeocodingUnavailable,
    Method,
    Quality,
)
from geo.places.geocoding.frame import GEOCODE_COLUMNS, geocode_frame, review_units
from geo.places.geocoding.nominatim import NominatimGeocoder, nominatim_cache_path
from geo.places.geocoding.offline import OfflineGeocoder

__all__ = [
    "CHECKED_QUALITY_LABELS",
    "GEOCODE_COLUMNS",
    "METHOD_LABELS",
    "QUALITIES",
    "QUALITY_LABELS",
    "AddressQuery",
    "GeocodeResult",
    "Geocoder",
    "GeocodingUnavailable",
    "Method",
    "NominatimGeocoder",
    "OfflineGeocoder",
    "Quality",
    "geocode_frame",
    "nominatim_cache_path",
    "review_units",
]
