"""The offline geocoder: addresses placed from address files the user names, without the internet.

:class:`OfflineGeocoder` keeps the address points of its files (see
:mod:`._sources`) by street key and places a queried address in steps:

1. **Street**: the same :func:`geo.text.street_key` without spaces (``Str.``/``Straße``,
   ``ss``/``ß``, hyphens, spaces and case do not count), else the most similar known street
   (rapidfuzz, at least :data:`geo.settings.geocode_street_threshold`, and clearly
   ahead of the second) with quality ``fuzzy_street``.
2. **Postcode** decides between points of one street name; a postcode that none of the
   street's points has makes the result ``other_postcode`` at best.
3. **House number** (:mod:`._numbers`): the same number and letter (a range or a list
   matches its first number) is ``exact``; the number without its letter, a number
   inside a known range or another number of an asked range is ``fuzzy_number``.
4. A number not known: ``interpolated`` between the nearest known numbers of the same
   side (parity) below and above, when they are close (numbers and metres).
5. No number, or a number not known and not interpolable: ``street_only`` -- the centre of the street's
   known addresses, when they lie within :data:`geo.settings.geocode_street_only_max_m`
   of it; never ``exact``.

Never guess far: points of one address farther apart than
:data:`geo.settings.geocode_max_spread_m` (the same street name in two places) and
every point outside Leipzig or outside the given ``area`` give ``not_found``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from pyproj import Transformer

from geo import settings
from geo.errors import InputError
from geo.places.geocoding._model import (
    AddressQuery,
    GeocodeResult,
    Method,
    Quality,
    area_geometry,
    metres,
    not_found,
    within_bounds,
    worse,
)
from geo.places.geocoding._numbers import (
    EXACT_LISTED,
    IN_RANGE,
    NO_MATCH,
    NUMBER_ONLY,
    HouseNumber,
    match_level,
    parse_housenumber,
)
from geo.places.geocoding._sources import ADDRESS_COLUMNS, describe, read_addresses
from geo.text import street_key

#: Smallest lead (similarity points) of the best similar street over the second best.
_STREET_MARGIN = 3.0


def street_match_key(values: pd.Series) -> pd.Series:
    """:func:`geo.text.street_key` without spaces: ``Eisenbahn-Straße`` = ``Eisenbahnstraße`` here."""
    return street_key(values.astype("str")).str.replace(" ", "", regex=False)


def postcode_key(value: object) -> str:
    """A postcode as five digits (``4315`` -> ``04315``); ``""`` when missing or not a postcode."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    text = str(value).strip().removesuffix(".0")
    if text.isdigit() and len(text) == 4:
        text = "0" + text
    return text if text.isdigit() and len(text) == 5 else ""


class OfflineGeocoder:
    """Places addresses from address points (see the module's description).

    Parameters
    ----------
    addresses
        Address points: :data:`._sources.ADDRESS_COLUMNS` (``x``/``y`` in
        :data:`geo.settings.metric_crs`), as :func:`._sources.read_addresses` gives.
    notes
        German notes of reading (rows left out).

    Use :meth:`from_files` to read address files.
    """

    method: Method = "offline"

    def __init__(self, addresses: pd.DataFrame, *, notes: Iterable[str] = ()) -> None:
        missing = set(ADDRESS_COLUMNS) - set(addresses.columns)
        if missing:
            raise InputError(f"Adresstabelle ohne Spalten {', '.join(sorted(missing))}.")
        if addresses.empty:
            raise InputError(
                "Die Adressdateien enthalten keine Adresse mit Straße, Hausnummer und Ort; "
                "ohne Adressen kann nichts verortet werden."
            )
        frame = addresses.reset_index(drop=True)
        self.addresses = frame
        self.notes = tuple(notes)
        self.source = describe(frame)
        self._skey = street_match_key(frame["street"]).to_numpy()
        self._street = frame["street"].astype("str").to_numpy(dtype=object)
        self._hnr = frame["housenumber"].astype("str").to_numpy(dtype=object)
        self._numbers: list[HouseNumber] = [parse_housenumber(h) for h in self._hnr]
        self._postcode = np.array([postcode_key(p) for p in frame["postcode"]], dtype=object)
        self._x = frame["x"].to_numpy(dtype="float64")
        self._y = frame["y"].to_numpy(dtype="float64")
        codes, names = pd.factorize(self._skey)
        order = np.argsort(codes, kind="stable")
        bounds = np.searchsorted(codes[order], np.arange(len(names) + 1))
        self._rows: dict[str, np.ndarray] = {
            str(name): order[bounds[i] : bounds[i + 1]] for i, name in enumerate(names) if name
        }
        self._names = list(self._rows)
        spelling = pd.DataFrame({"key": self._skey, "street": self._street})
        self._spelling: dict[str, str] = (
            spelling.groupby(["key", "street"]).size().sort_values(ascending=False, kind="stable")
            .reset_index().drop_duplicates("key").set_index("key")["street"].to_dict()
        )  # fmt: skip
        self._to_lonlat = Transformer.from_crs(settings.metric_crs, settings.storage_crs, always_xy=True)

    @classmethod
    def from_files(
        cls,
        paths: Sequence[str | os.PathLike[str]] | str | os.PathLike[str],
        *,
        layer: str | None = None,
        crs: str | None = None,
    ) -> OfflineGeocoder:
        """Read address files (OSM XML, GeoJSON, GeoPackage, CSV/XLSX of house coordinates).

        Parameters
        ----------
        paths
            One file or several (read together; the same address in two files is one place
            when the points lie close together).
        layer
            Layer of GeoPackages (default: the first).
        crs
            Coordinate reference system of coordinate columns in tables (default
            EPSG:25833 for ``x``/``y``, EPSG:4326 for ``lon``/``lat``).

        Raises
        ------
        geo.errors.InputError
            A file is missing or unreadable, or has no address columns.
        """
        if isinstance(paths, (str, os.PathLike)):
            paths = [paths]
        if not paths:
            raise InputError("Keine Adressdatei angegeben (--addresses DATEI …).")
        tables, notes = [], []
        for path in paths:
            table, more = read_addresses(path, layer=layer, crs=crs)
            tables.append(table)
            notes.extend(more)
        return cls(pd.concat(tables, ignore_index=True), notes=notes)

    # -- placing -------------------------------------------------------------------------------

    def geocode_many(self, queries: Sequence[AddressQuery], *, area: Any = None) -> list[GeocodeResult]:
        """:meth:`geocode` for every query (in order; each distinct address once)."""
        shape = area_geometry(area)
        distinct = list(dict.fromkeys(queries))
        keys = street_match_key(pd.Series([q.street for q in distinct], dtype="str")).fillna("").tolist()
        done = {q: self._place(q, str(k), shape) for q, k in zip(distinct, keys, strict=True)}
        return [done[q] for q in queries]

    def geocode(self, query: AddressQuery, *, area: Any = None) -> GeocodeResult:
        """Place one address (see the module's description).

        Parameters
        ----------
        query
            The address.
        area
            A polygon (or polygon layer) the point must lie in, e.g. a quarter's outline.

        Returns
        -------
        GeocodeResult
            Quality ``not_found`` (with the reason) when no point fits.
        """
        return self.geocode_many([query], area=area)[0]

    def _place(self, query: AddressQuery, skey: str, area: Any) -> GeocodeResult:
        """:meth:`geocode` of one query whose street key is ``skey``; ``area`` in EPSG:4326 or None."""
        if not skey:
            return not_found(query, self.method, "keine Straße angegeben", source=self.source)
        street, score, reason = self._street_match(skey, query)
        if street is None:
            return not_found(query, self.method, reason or "", source=self.source)
        quality: Quality = "exact" if score >= 100 else "fuzzy_street"
        reasons = [reason] if reason else []
        rows = self._rows[street]
        postcode = postcode_key(query.postcode)
        if postcode:
            codes = self._postcode[rows]
            same = rows[(codes == postcode) | (codes == "")]
            if (codes == postcode).any():
                rows = same
            elif (codes != "").any():
                quality = worse(quality, "other_postcode")
                known = ", ".join(sorted(set(codes) - {""}))
                reasons.append(f"die Postleitzahl {postcode} passt nicht (die Straße hat dort {known})")
        number = parse_housenumber(query.housenumber)
        if number.first is None:
            why = "ohne Hausnummer" if not query.housenumber else f"Hausnummer '{query.housenumber}' unlesbar"
            return self._street_only(query, street, rows, score, [*reasons, why], area)
        levels = np.array([match_level(number, self._numbers[r]) for r in rows])
        best = int(levels.min())
        if best == NO_MATCH:
            why = f"Hausnummer {query.housenumber} nicht in den Adressdaten"
            between = self._interpolate(query, street, rows, number.first[0], quality, score, [*reasons, why])
            if between is not None:
                return within_bounds(between, area_geometry(area))
            return self._street_only(query, street, rows, score, [*reasons, why], area)
        hits = rows[levels == best]
        found = " / ".join(dict.fromkeys(self._hnr[hits].tolist()))
        if best > EXACT_LISTED:
            quality = worse(quality, "fuzzy_number")
            reasons.append(_number_reason(best, query.housenumber or "", found))
        x, y, spread = _centre(self._x[hits], self._y[hits])
        matched = self._address_text(street, hits, found)
        if spread > float(settings.geocode_max_spread_m):
            codes = sorted(set(self._postcode[hits]) - {""})
            where = f" (Postleitzahlen {', '.join(codes)})" if len(codes) > 1 else ""
            return not_found(
                query,
                self.method,
                f"'{matched}' steht in den Adressdaten an mehreren Orten bis {metres(2 * spread)} "
                f"auseinander{where}; bitte die Postleitzahl angeben oder den Ort eintragen",
                source=self.source,
            )
        lon, lat = self._to_lonlat.transform(x, y)
        result = GeocodeResult(
            query=query.text,
            lon=float(lon),
            lat=float(lat),
            method=self.method,
            quality=quality,
            matched=matched,
            score=round(score, 1),
            uncertainty_m=round(spread, 1),
            reason="; ".join(reasons) or None,
            source=self.source,
        )
        return within_bounds(result, area_geometry(area))

    # -- steps ---------------------------------------------------------------------------------

    def _street_match(self, skey: str, query: AddressQuery) -> tuple[str | None, float, str | None]:
        """The known street key for ``skey``, its similarity and a German note (or why none)."""
        if skey in self._rows:
            return skey, 100.0, None
        from rapidfuzz import fuzz, process

        threshold = float(settings.geocode_street_threshold)
        found = process.extract(skey, self._names, scorer=fuzz.ratio, limit=2, score_cutoff=threshold)
        if not found:
            return None, 0.0, f"Straße '{query.street}' kommt in den Adressdaten ({self.source}) nicht vor"
        if len(found) > 1 and found[0][1] - found[1][1] < _STREET_MARGIN:
            a, b = (self._display(str(f[0])) for f in found[:2])
            return None, 0.0, f"Straße '{query.street}' nicht eindeutig: ähnlich '{a}' und '{b}'"
        name, score = str(found[0][0]), float(found[0][1])
        return (
            name,
            score,
            f"Straßenname '{query.street}' als '{self._display(name)}' gelesen (Ähnlichkeit {score:.0f} %)",
        )

    def _interpolate(
        self,
        query: AddressQuery,
        street: str,
        rows: np.ndarray,
        number: int,
        quality: Quality,
        score: float,
        reasons: list[str],
    ) -> GeocodeResult | None:
        """The point between the nearest known numbers of the same side (parity) below and above.

        Only when they differ by at most :data:`geo.settings.geocode_max_number_gap` and lie at
        most twice :data:`geo.settings.geocode_max_spread_m` apart; else None.
        """
        numbers = np.array([-1 if self._numbers[r].number is None else self._numbers[r].number for r in rows])
        side = (numbers >= 0) & (numbers % 2 == number % 2) & (numbers != number)
        below, above = numbers[side & (numbers < number)], numbers[side & (numbers > number)]
        if not len(below) or not len(above):
            return None
        low, high = int(below.max()), int(above.min())
        if high - low > int(settings.geocode_max_number_gap):
            return None
        a, b = rows[side & (numbers == low)], rows[side & (numbers == high)]
        xa, ya, _ = _centre(self._x[a], self._y[a])
        xb, yb, _ = _centre(self._x[b], self._y[b])
        half = float(np.hypot(xb - xa, yb - ya)) / 2
        if half > float(settings.geocode_max_spread_m):
            return None
        t = (number - low) / (high - low)
        lon, lat = self._to_lonlat.transform(xa + t * (xb - xa), ya + t * (yb - ya))
        name = self._display(street)
        reasons = [
            *reasons,
            f"Ort zwischen {name} {low} und {high} geschätzt ({metres(2 * half)} auseinander)",
        ]
        return GeocodeResult(
            query=query.text,
            lon=float(lon),
            lat=float(lat),
            method=self.method,
            quality=worse(quality, "interpolated"),
            matched=f"{name} {query.housenumber} (zwischen {low} und {high})",
            score=round(score, 1),
            uncertainty_m=round(half, 1),
            reason="; ".join(reasons),
            source=self.source,
        )

    def _street_only(
        self,
        query: AddressQuery,
        street: str,
        rows: np.ndarray,
        score: float,
        reasons: list[str],
        area: Any,
    ) -> GeocodeResult:
        """The centre of the street's addresses, unless they reach too far from it."""
        x, y, reach = _centre(self._x[rows], self._y[rows])
        limit = float(settings.geocode_street_only_max_m)
        name = self._display(street)
        if reach > limit:
            return not_found(
                query,
                self.method,
                "; ".join(reasons)
                + f"; die Adressen der Straße '{name}' reichen bis {metres(reach)} um ihre "
                f"Mitte (erlaubt: {metres(limit)}), ein Punkt auf ihr wäre geraten",
                source=self.source,
            )
        lon, lat = self._to_lonlat.transform(x, y)
        reasons = [
            *reasons,
            f"Ort: Mitte der {len(rows)} bekannten Adressen der Straße (bis {metres(reach)} entfernt)",
        ]
        result = GeocodeResult(
            query=query.text,
            lon=float(lon),
            lat=float(lat),
            method=self.method,
            quality="street_only",
            matched=name,
            score=round(score, 1),
            uncertainty_m=round(reach, 1),
            reason="; ".join(reasons),
            source=self.source,
        )
        return within_bounds(result, area_geometry(area))

    def _display(self, street: str) -> str:
        """The most common spelling of a street key in the data."""
        return str(self._spelling[street])

    def _address_text(self, street: str, rows: np.ndarray, numbers: str) -> str:
        codes = sorted(set(self._postcode[rows]) - {""})
        text = f"{self._display(street)} {numbers}"
        return f"{text}, {', '.join(codes)}" if codes else text


def _centre(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """Mean point and the largest distance of a point from it (metres)."""
    cx, cy = float(x.mean()), float(y.mean())
    return cx, cy, float(np.hypot(x - cx, y - cy).max())


def _number_reason(level: int, asked: str, found: str) -> str:
    if level == NUMBER_ONLY:
        return f"Hausnummer {asked} als {found} genommen (ohne bzw. mit anderem Buchstaben)"
    if level == IN_RANGE:
        return f"Hausnummer {asked} liegt im Bereich {found}"
    return f"von Hausnummer {asked} nur {found} gefunden"
