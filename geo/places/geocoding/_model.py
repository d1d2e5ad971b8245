"""What every geocoder shares: the query, the result, its quality, and the "never guess far" check."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from functools import lru_cache
from typing import Any, Literal, Protocol, runtime_checkable

import shapely
from pyproj import Transformer

from geo import settings
from geo.errors import QuartiersmonitorError
from geo.formats import fmt_number

Quality = Literal[
    "exact", "fuzzy_number", "other_postcode", "fuzzy_street", "interpolated", "street_only", "not_found"
]
Method = Literal["offline", "nominatim"]

#: Qualities, best first: a result's quality is the worst of every rule it needed.
QUALITIES: tuple[Quality, ...] = (
    "exact",
    "fuzzy_number",
    "other_postcode",
    "fuzzy_street",
    "interpolated",
    "street_only",
    "not_found",
)

#: German labels of the qualities (for the report, the review list and the app).
QUALITY_LABELS: dict[str, str] = {
    "exact": "genau (Straße und Hausnummer)",
    "fuzzy_number": "Hausnummer angenähert",
    "other_postcode": "andere Postleitzahl",
    "fuzzy_street": "Straßenname angenähert",
    "interpolated": "zwischen Nachbarhausnummern geschätzt",
    "street_only": "nur Straße (Mitte ihrer Adressen)",
    "not_found": "nicht gefunden",
}

#: Qualities of a place a person has checked (:mod:`geo.register.relocation`), with German labels:
#: such units are off the review list. Not results of a geocoder (see :data:`QUALITIES`).
CHECKED_QUALITY_LABELS: dict[str, str] = {
    "checked": "geprüft und übernommen",
    "manual": "von Hand gesetzt",
}

#: German labels of the methods (``map``: placed by a click on the map, not by a geocoder).
METHOD_LABELS: dict[str, str] = {
    "offline": "Adressdatei",
    "nominatim": "Nominatim (OpenStreetMap)",
    "map": "von Hand auf der Karte",
}


class GeocodingUnavailable(QuartiersmonitorError):
    """The online geocoder cannot be reached or refuses; nothing was placed (German message)."""


def worse(a: Quality, b: Quality) -> Quality:
    """The worse of two qualities (see :data:`QUALITIES`)."""
    return a if QUALITIES.index(a) >= QUALITIES.index(b) else b


@dataclass(frozen=True)
class AddressQuery:
    """One address to place.

    Attributes
    ----------
    street
        Street as written (``Eisenbahnstr.``, ``Hermann-Liebmann-Straße``).
    housenumber
        House number as written (``31``, ``31a``, ``12–14``, ``42/43``); None without one.
    postcode
        Five-digit postcode, None when unknown.
    """

    street: str
    housenumber: str | None = None
    postcode: str | None = None

    @property
    def text(self) -> str:
        """``Eisenbahnstraße 31, 04315`` (as shown in messages)."""
        text = " ".join(p for p in (self.street, self.housenumber) if p)
        return f"{text}, {self.postcode}" if self.postcode else text

    @classmethod
    def from_text(cls, text: str) -> AddressQuery:
        """An address written in one line: ``Eisenbahnstraße 31, 04315 Leipzig``.

        Split as an import splits an ``Adresse`` column (street tidied: ``Str.`` -> ``Straße``).

        Raises
        ------
        geo.errors.InputError
            The text names no street.
        """
        import pandas as pd

        from geo.errors import InputError
        from geo.register.imports._addresses import address_parts

        parts = address_parts(pd.DataFrame({"address": pd.Series([text], dtype="str")})).iloc[0]
        street = parts["street"]
        if not isinstance(street, str) or not street.strip():
            raise InputError(
                f"'{text}' nennt keine Straße. Erwartet: eine Adresse wie 'Eisenbahnstraße 31, 04315 Leipzig'."
            )
        hnr, postcode = parts["housenumber"], parts["postcode"]
        return cls(
            street=street,
            housenumber=hnr if isinstance(hnr, str) else None,
            postcode=postcode if isinstance(postcode, str) else None,
        )


@dataclass(frozen=True)
class GeocodeResult:
    """Where an address lies, how it was found and how sure that is.

    Attributes
    ----------
    query
        The address asked (:attr:`AddressQuery.text`).
    lon, lat
        The place in EPSG:4326; None when not found.
    method
        ``offline`` (address files) or ``nominatim``.
    quality
        One of :data:`QUALITIES` (codes in English; :attr:`label` in German).
    matched
        The address found (``Ludwigstraße 112, 04315``), None when nothing fits.
    score
        Similarity of the street name found to the one asked (0-100; 100 = the same).
    uncertainty_m
        Radius (metres) of what the point stands for: 0 for one address point, the
        spread of several points of one address, the reach of a street's addresses
        for ``street_only``; None when not found.
    reason
        German explanation when the result is not exact (why, what was taken instead).
    source
        Where the result comes from (file names, Nominatim's host).
    """

    query: str
    lon: float | None
    lat: float | None
    method: Method
    quality: Quality
    matched: str | None = None
    score: float = 0.0
    uncertainty_m: float | None = None
    reason: str | None = None
    source: str | None = None

    @property
    def found(self) -> bool:
        """True unless the quality is ``not_found`` (then there is no point)."""
        return self.quality != "not_found"

    @property
    def label(self) -> str:
        """German label of the quality."""
        return QUALITY_LABELS[self.quality]

    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-serialisable data (with the German ``quality_label``)."""
        data = asdict(self)
        data["quality_label"] = self.label
        return data


def not_found(
    query: AddressQuery, method: Method, reason: str, *, source: str | None = None
) -> GeocodeResult:
    """A result without a point, with the reason."""
    return GeocodeResult(
        query=query.text, lon=None, lat=None, method=method, quality="not_found", reason=reason, source=source
    )


@runtime_checkable
class Geocoder(Protocol):
    """What the import and the command line need of a geocoder.

    Attributes
    ----------
    method
        ``offline`` or ``nominatim`` (stored with every unit placed).
    """

    method: Method

    def geocode(self, query: AddressQuery, *, area: Any = None) -> GeocodeResult:
        """Place one address (``area``: a polygon in EPSG:4326 the result must lie in)."""
        ...

    def geocode_many(self, queries: Sequence[AddressQuery], *, area: Any = None) -> list[GeocodeResult]:
        """Place several addresses (in order); may refuse too many at once with a German message."""
        ...


# -- never guess far -------------------------------------------------------------------------------


@lru_cache(maxsize=2)
def _to_metric(crs: str) -> Transformer:
    return Transformer.from_crs(settings.storage_crs, crs, always_xy=True)


def metric_xy(lon: float, lat: float) -> tuple[float, float]:
    """Lon/lat (storage CRS) to metres (:data:`geo.settings.metric_crs`)."""
    x, y = _to_metric(settings.metric_crs).transform(lon, lat)
    return float(x), float(y)


def area_geometry(area: Any) -> shapely.Geometry | None:
    """The union of ``area`` (a shapely geometry or a GeoDataFrame/GeoSeries, any CRS) in EPSG:4326."""
    if area is None:
        return None
    if isinstance(area, shapely.Geometry):
        return area
    geoms = getattr(area, "geometry", area)
    if getattr(geoms, "crs", None) is not None:
        geoms = geoms.to_crs(settings.storage_crs)
    return shapely.union_all(list(geoms))


def within_bounds(result: GeocodeResult, area: shapely.Geometry | None) -> GeocodeResult:
    """The result, or ``not_found`` when its point lies outside Leipzig or outside ``area``.

    Leipzig's extent is :data:`geo.settings.leipzig_bbox`; ``area`` a polygon in EPSG:4326
    (e.g. a quarter's outline). A point outside is never returned: it would be a guess.
    """
    if result.lon is None or result.lat is None:
        return result
    lon_min, lat_min, lon_max, lat_max = settings.leipzig_bbox
    where = None
    if not (lon_min <= result.lon <= lon_max and lat_min <= result.lat <= lat_max):
        where = "außerhalb Leipzigs"
    elif area is not None and not shapely.covers(area, shapely.Point(result.lon, result.lat)):
        where = "außerhalb des vorgegebenen Gebiets"
    if where is None:
        return result
    found = f"'{result.matched}' " if result.matched else ""
    return replace(
        result,
        lon=None,
        lat=None,
        quality="not_found",
        matched=None,
        uncertainty_m=None,
        reason=f"der gefundene Ort {found}liegt {where} ({result.lat:.5f} N, {result.lon:.5f} O); "
        "er wird nicht übernommen",
    )


def metres(value: float) -> str:
    """``850 m`` (German number format)."""
    return fmt_number(value, unit="m")
