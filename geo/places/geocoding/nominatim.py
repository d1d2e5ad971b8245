"""The online geocoder: OpenStreetMap's Nominatim through geopy, polite and cached.

:class:`NominatimGeocoder` asks a Nominatim server (:data:`geo.settings.nominatim_url`,
``QM_NOMINATIM_URL``; an own server at ``http://127.0.0.1:PORT`` works too) with a
structured query bounded to Leipzig (``viewbox`` of :data:`geo.settings.leipzig_bbox`,
``bounded``, ``countrycodes=de``), at most one request per
:data:`geo.settings.nominatim_min_delay_s` (never less than a second, counted from the
end of the previous request; geopy's ``RateLimiter``, shared by every geocoder of the process
that asks the same server) and with the project's user agent. Every answer (also "nothing
found") is kept in a SQLite cache in :func:`geo.settings.cache_folder`, so a
re-import asks nothing again. A run that would send more than
:data:`geo.settings.nominatim_max_queries` new requests is refused before the first:
Nominatim's usage policy forbids bulk geocoding. A server that cannot be reached or
refuses raises :class:`~._model.GeocodingUnavailable` with a German message; the
answers received until then stay cached.

The answer's quality is judged like the offline geocoder's: the house number and the
street the server names against those asked (see :mod:`._numbers`).
"""

from __future__ import annotations

import json
import math
import sqlite3
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pandas as pd

from geo import settings
from geo.errors import InputError
from geo.places.geocoding._model import (
    AddressQuery,
    GeocodeResult,
    GeocodingUnavailable,
    Method,
    Quality,
    area_geometry,
    metres,
    not_found,
    within_bounds,
    worse,
)
from geo.places.geocoding._numbers import EXACT_LISTED, NO_MATCH, match_level, parse_housenumber
from geo.places.geocoding.offline import postcode_key, street_match_key
from geo.text import tidy_street

#: City named in every structured query.
CITY = "Leipzig"

#: Road-like keys of Nominatim's ``address`` details, best first.
_ROAD_KEYS = ("road", "pedestrian", "square", "footway", "place", "residential")


def nominatim_cache_path() -> Path:
    """The answer cache: ``geocoding/nominatim.sqlite`` in :func:`geo.settings.cache_folder`."""
    return settings.cache_folder() / "geocoding" / "nominatim.sqlite"


class _Cache:
    """Nominatim answers by query (JSON text; ``null`` for "nothing found")."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _connect(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            con = sqlite3.connect(self.path, timeout=30)
            con.execute(
                "CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, answer TEXT NOT NULL, "
                "fetched_at TEXT NOT NULL)"
            )
        except (OSError, sqlite3.Error) as exc:
            raise InputError(
                f"Der Zwischenspeicher der Geokodierung {self.path} lässt sich nicht öffnen: {exc}. "
                "Bitte den Cache-Ordner prüfen (Einstellung cache_dir, Umgebungsvariable QM_CACHE_DIR)."
            ) from exc
        return con

    def get(self, keys: Sequence[str]) -> dict[str, Any]:
        if not keys:
            return {}
        con = self._connect()
        try:
            found: dict[str, Any] = {}
            for start in range(0, len(keys), 500):
                part = list(keys[start : start + 500])
                rows = con.execute(
                    f"SELECT key, answer FROM answers WHERE key IN ({','.join('?' * len(part))})", part
                ).fetchall()
                found.update((k, json.loads(a)) for k, a in rows)
            return found
        finally:
            con.close()

    def put(self, key: str, answer: Any) -> None:
        con = self._connect()
        try:
            with con:
                con.execute(
                    "INSERT OR REPLACE INTO answers (key, answer, fetched_at) VALUES (?, ?, ?)",
                    (key, json.dumps(answer, ensure_ascii=False), datetime.now(UTC).isoformat()),
                )
        finally:
            con.close()


class NominatimGeocoder:
    """Places addresses with a Nominatim server (see the module's description).

    Parameters
    ----------
    url
        Base URL of the server (default :data:`geo.settings.nominatim_url`), e.g.
        ``https://nominatim.openstreetmap.org`` or ``http://127.0.0.1:8080``.
    user_agent
        Default :data:`geo.settings.nominatim_user_agent`.
    min_delay_s
        Seconds between requests (default :data:`geo.settings.nominatim_min_delay_s`;
        at least 1).
    timeout_s
        Default :data:`geo.settings.nominatim_timeout_s`.
    cache_path
        SQLite file of the answers (default :func:`nominatim_cache_path`).
    max_queries
        Most new requests per :meth:`geocode_many` (default
        :data:`geo.settings.nominatim_max_queries`).
    """

    method: Method = "nominatim"

    def __init__(
        self,
        *,
        url: str | None = None,
        user_agent: str | None = None,
        min_delay_s: float | None = None,
        timeout_s: float | None = None,
        cache_path: str | Path | None = None,
        max_queries: int | None = None,
    ) -> None:
        from geopy.geocoders import Nominatim

        self.url = (url or settings.nominatim_url).strip().rstrip("/")
        parts = urlparse(self.url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise InputError(
                f"Nominatim-Adresse '{self.url}' ist keine http(s)-Adresse. Erwartet z. B. "
                "https://nominatim.openstreetmap.org oder http://127.0.0.1:8080 (Einstellung nominatim_url, "
                "Umgebungsvariable QM_NOMINATIM_URL)."
            )
        self.host = parts.netloc
        self.min_delay_s = max(
            1.0, float(settings.nominatim_min_delay_s if min_delay_s is None else min_delay_s)
        )
        self.max_queries = int(settings.nominatim_max_queries if max_queries is None else max_queries)
        self._geopy = Nominatim(
            user_agent=user_agent or settings.nominatim_user_agent,
            domain=parts.netloc + parts.path,
            scheme=parts.scheme,
            timeout=float(settings.nominatim_timeout_s if timeout_s is None else timeout_s),
        )
        self._search = _limiter(self.host, self.min_delay_s)
        self.cache = _Cache(Path(cache_path) if cache_path is not None else nominatim_cache_path())
        #: Requests sent by this geocoder (cache hits not counted).
        self.requests_sent = 0

    @property
    def source(self) -> str:
        return f"Nominatim ({self.host}), © OpenStreetMap-Mitwirkende, ODbL"

    # -- asking ------------------------------------------------------------------------------------

    @staticmethod
    def _structured(query: AddressQuery) -> dict[str, str]:
        name = tidy_street(pd.Series([query.street], dtype="str")).iloc[0]  # "Str." -> "Straße"
        street = " ".join(p for p in (query.housenumber, name) if isinstance(p, str) and p)
        fields = {"street": street, "city": CITY, "country": "Deutschland"}
        postcode = postcode_key(query.postcode)
        if postcode:
            fields["postalcode"] = postcode
        return fields

    def _key(self, fields: dict[str, str]) -> str:
        return json.dumps({"url": self.url, "q": fields}, sort_keys=True, ensure_ascii=False)

    def _ask(self, fields: dict[str, str], *, done: int, todo: int) -> Any:
        from geopy import exc as gx

        lon_min, lat_min, lon_max, lat_max = settings.leipzig_bbox
        saved = (
            f" Die {done} bereits erhaltenen Antworten sind gespeichert; ein neuer Lauf fragt nur die übrigen "
            f"{todo - done}."
            if done
            else ""
        )
        try:
            self.requests_sent += 1
            location = self._search(
                self._geopy.geocode,
                fields,
                exactly_one=True,
                addressdetails=True,
                country_codes="de",
                viewbox=[(lat_min, lon_min), (lat_max, lon_max)],
                bounded=True,
                language="de",
            )
        except (gx.GeocoderRateLimited, gx.GeocoderQuotaExceeded) as exc:
            raise GeocodingUnavailable(
                f"Nominatim ({self.host}) lehnt weitere Anfragen ab (zu viele Anfragen: {exc}). Bitte später "
                f"erneut versuchen oder offline mit --geocode offline --addresses DATEI arbeiten.{saved}"
            ) from exc
        except (gx.GeocoderInsufficientPrivileges, gx.GeocoderAuthenticationFailure) as exc:
            raise GeocodingUnavailable(
                f"Nominatim ({self.host}) verweigert den Zugriff ({exc}); oft wegen der Kennung (Einstellung "
                f"nominatim_user_agent, Umgebungsvariable QM_NOMINATIM_USER_AGENT).{saved}"
            ) from exc
        except gx.GeopyError as exc:
            if isinstance(exc, gx.GeocoderTimedOut):
                why = f"keine Antwort in {self._geopy.timeout:g} s oder Server überlastet"
            elif isinstance(exc, gx.GeocoderUnavailable):
                why = "keine Verbindung"
            else:
                why = f"Fehler: {str(exc)[:120]}"
            raise GeocodingUnavailable(
                f"Nominatim ist nicht erreichbar ({self.host}: {why}). Ohne Internet: "
                "--geocode offline --addresses DATEI (OSM-Daten oder Hauskoordinaten); ein eigener Server: "
                f"Einstellung nominatim_url bzw. Umgebungsvariable QM_NOMINATIM_URL.{saved}"
            ) from exc
        return None if location is None else location.raw

    def geocode(self, query: AddressQuery, *, area: Any = None) -> GeocodeResult:
        """Place one address (cached; see :meth:`geocode_many`)."""
        return self.geocode_many([query], area=area)[0]

    def geocode_many(self, queries: Sequence[AddressQuery], *, area: Any = None) -> list[GeocodeResult]:
        """Place addresses (in order); each distinct address is asked once, cached ones not at all.

        Raises
        ------
        geo.errors.InputError
            More than ``max_queries`` addresses are not in the cache yet (nothing is sent).
        GeocodingUnavailable
            The server cannot be reached or refuses (answers received until then stay cached).
        """
        fields = {q: self._structured(q) for q in dict.fromkeys(queries)}
        keys = {q: self._key(f) for q, f in fields.items()}
        answers = self.cache.get(list(dict.fromkeys(keys.values())))
        todo = [k for k in dict.fromkeys(keys.values()) if k not in answers]
        if len(todo) > self.max_queries:
            raise InputError(
                f"{len(todo)} Adressen wären bei Nominatim ({self.host}) abzufragen; erlaubt sind höchstens "
                f"{self.max_queries} je Lauf (Einstellung nominatim_max_queries, Umgebungsvariable "
                "QM_NOMINATIM_MAX_QUERIES). Nominatim ist nicht für Massenabfragen gedacht: große Listen "
                "bitte offline verorten (--geocode offline --addresses DATEI mit OSM-Daten oder den "
                "Hauskoordinaten der Stadt) oder einen eigenen Nominatim-Server nutzen."
            )
        by_key = {keys[q]: f for q, f in fields.items()}
        for done, key in enumerate(todo):
            answers[key] = self._ask(by_key[key], done=done, todo=len(todo))
            self.cache.put(key, answers[key])
        shape = area_geometry(area)
        return [within_bounds(self._judge(q, answers[keys[q]]), shape) for q in queries]

    # -- judging an answer --------------------------------------------------------------------------

    def _judge(self, query: AddressQuery, raw: Any) -> GeocodeResult:
        """The result of one answer: quality by street, postcode and house number found."""
        if not isinstance(raw, dict) or "lat" not in raw or "lon" not in raw:
            return not_found(
                query, self.method, "Nominatim kennt die Adresse in Leipzig nicht", source=self.source
            )
        details = raw.get("address")
        address: dict[str, Any] = details if isinstance(details, dict) else {}
        road = next((str(address[k]) for k in _ROAD_KEYS if address.get(k)), None)
        shown = str(raw.get("display_name", ""))[:120]
        if road is None:
            return not_found(
                query, self.method, f"Nominatim fand nur '{shown}', keine Straße", source=self.source
            )
        asked, known = street_match_key(pd.Series([query.street, road], dtype="str")).tolist()
        reasons: list[str] = []
        quality: Quality = "exact"
        score = 100.0
        if asked != known:
            from rapidfuzz import fuzz

            score = float(fuzz.ratio(asked, known))
            if score < float(settings.geocode_street_threshold):
                return not_found(
                    query, self.method, f"Nominatim fand eine andere Straße ('{road}')", source=self.source
                )
            quality = "fuzzy_street"
            reasons.append(f"Straßenname '{query.street}' als '{road}' gelesen (Ähnlichkeit {score:.0f} %)")
        postcode, found_postcode = postcode_key(query.postcode), postcode_key(address.get("postcode"))
        if postcode and found_postcode and postcode != found_postcode:
            quality = worse(quality, "other_postcode")
            reasons.append(f"die Postleitzahl {postcode} passt nicht (gefunden: {found_postcode})")
        number = str(address.get("house_number", "")) or None
        reach = _half_diagonal(raw.get("boundingbox"))
        level = NO_MATCH
        if query.housenumber and number:
            level = match_level(parse_housenumber(query.housenumber), parse_housenumber(number))
        if level == NO_MATCH:
            if not query.housenumber:
                why = "ohne Hausnummer"
            elif number:
                why = f"Hausnummer {query.housenumber} nicht gefunden (Nominatim nennt {number})"
            else:
                why = f"Hausnummer {query.housenumber} nicht gefunden"
            limit = float(settings.geocode_street_only_max_m)
            if reach is None or reach > limit:
                extent = "unbekannt" if reach is None else metres(reach)
                return not_found(
                    query,
                    self.method,
                    f"{why}; die Straße '{road}' reicht {extent} um ihren Punkt (erlaubt: {metres(limit)}), "
                    "ein Punkt auf ihr wäre geraten",
                    source=self.source,
                )
            quality = "street_only"
            reasons += [why, f"Ort: Punkt der Straße '{road}' (bis {metres(reach)} entfernt)"]
            matched = road
        else:
            if level > EXACT_LISTED:
                quality = worse(quality, "fuzzy_number")
                reasons.append(f"Hausnummer {query.housenumber} als {number} genommen")
            matched = f"{road} {number}"
        if found_postcode:
            matched += f", {found_postcode}"
        return GeocodeResult(
            query=query.text,
            lon=float(raw["lon"]),
            lat=float(raw["lat"]),
            method=self.method,
            quality=quality,
            matched=matched,
            score=round(score, 1),
            uncertainty_m=None if reach is None else round(reach, 1),
            reason="; ".join(reasons) or None,
            source=self.source,
        )


#: One rate limiter per server and delay for the whole process: two geocoders (two imports,
#: two app sessions) asking the same server share its spacing.
_LIMITERS: dict[tuple[str, float], Any] = {}
_LIMITERS_LOCK = threading.Lock()


def _call(func: Any, *args: Any, **kwargs: Any) -> Any:
    return func(*args, **kwargs)


def _limiter(host: str, delay: float) -> Any:
    """The process-wide rate limiter of ``host`` (see :func:`_spaced_rate_limiter`)."""
    with _LIMITERS_LOCK:
        key = (host, delay)
        if key not in _LIMITERS:
            _LIMITERS[key] = _spaced_rate_limiter(_call, delay)
        return _LIMITERS[key]


def _spaced_rate_limiter(func: Any, delay: float) -> Any:
    """geopy's ``RateLimiter`` whose delay runs from the *end* of the previous request.

    ``RateLimiter`` spaces the starts of its calls; a request that took long to reach the
    server would then arrive less than ``delay`` before the next one. Counting from the end
    keeps the requests at least ``delay`` apart as the server sees them. No retries, no
    swallowed errors: a failure is reported at once.
    """
    from geopy.extra.rate_limiter import RateLimiter

    class SpacedRateLimiter(RateLimiter):  # type: ignore[misc]  # geopy has no type hints
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            try:
                return super().__call__(*args, **kwargs)
            finally:
                with self._lock:
                    self._last_call = self._clock()

    return SpacedRateLimiter(func, min_delay_seconds=delay, max_retries=0, swallow_exceptions=False)


def _half_diagonal(box: Any) -> float | None:
    """Half the diagonal (metres) of Nominatim's ``boundingbox`` ``[lat_min, lat_max, lon_min, lon_max]``."""
    try:
        lat_min, lat_max, lon_min, lon_max = (float(v) for v in box)
    except (TypeError, ValueError):
        return None
    dy = (lat_max - lat_min) * 111_320.0
    dx = (lon_max - lon_min) * 111_320.0 * math.cos(math.radians((lat_min + lat_max) / 2))
    return math.hypot(dx, dy) / 2
