"""Asking Overpass through osmnx: osmnx's HTTP cache, the reachability probe, the data date of the answers.

Private to :mod:`geo.osm.download`. A failed request becomes :class:`_Unreachable`
(the caller falls back to the saved result of the area).
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import osmnx as ox
import pandas as pd
import requests
import shapely
from shapely.geometry import MultiPolygon, Polygon

#: Seconds to wait for the Overpass status page before OpenStreetMap counts as unreachable.
PROBE_TIMEOUT_S: float = 10.0


_LOCK = threading.RLock()


class _Unreachable(Exception):
    """Internal: the online request failed for ``reason``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _host(url: str) -> str:
    return urlparse(url).netloc or url


def _now() -> pd.Timestamp:
    return pd.Timestamp(datetime.now(UTC).replace(tzinfo=None)).floor("s")


def _query_key(kind: str, polygon: Polygon | MultiPolygon, query: Any) -> str:
    text = json.dumps(
        [kind, shapely.to_wkt(polygon, rounding_precision=6), query, ox.settings.overpass_url,
         ox.settings.overpass_settings],
        sort_keys=True, default=str,
    )  # fmt: skip
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:20]


@contextmanager
def _osmnx_cache(folder: Path) -> Iterator[None]:
    """osmnx's HTTP cache in ``folder`` while the block runs (osmnx settings are global: locked)."""
    with _LOCK:
        saved = (ox.settings.use_cache, ox.settings.cache_folder)
        ox.settings.use_cache, ox.settings.cache_folder = True, str(folder)
        try:
            yield
        finally:
            ox.settings.use_cache, ox.settings.cache_folder = saved


def _probe() -> None:
    """Raise :class:`_Unreachable` unless the Overpass server answers at all (honours proxies)."""
    url = ox.settings.overpass_url.rstrip("/") + "/status"
    try:
        requests.get(url, timeout=PROBE_TIMEOUT_S, **ox.settings.requests_kwargs).close()
    except requests.RequestException as exc:
        raise _Unreachable(f"keine Verbindung zu {_host(ox.settings.overpass_url)}") from exc


def _overpass_date(folder: Path) -> pd.Timestamp | None:
    """The oldest ``osm3s.timestamp_osm_base`` of the responses osmnx stored in ``folder``."""
    stamps = []
    for path in folder.glob("*.json"):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        base = data.get("osm3s", {}).get("timestamp_osm_base") if isinstance(data, dict) else None
        if base:
            stamps.append(pd.Timestamp(base).tz_convert(None).floor("s"))
    return min(stamps) if stamps else None


def _download(call: Callable[[], Any], folder: Path, *, probe: bool) -> Any:
    """Run an osmnx download with its cache in ``folder``; errors become :class:`_Unreachable`."""
    with _osmnx_cache(folder):
        if probe:
            _probe()
        try:
            return call()
        except requests.RequestException as exc:
            raise _Unreachable(f"keine Verbindung zu {_host(ox.settings.overpass_url)}") from exc
        except ox._errors.ResponseStatusCodeError as exc:
            raise _Unreachable(f"Overpass antwortet mit einem Fehler: {str(exc)[:120]}") from exc
        except ox._errors.InsufficientResponseError as exc:
            if "No matching features" in str(exc) or "No data elements" in str(exc):
                return None
            raise _Unreachable(f"unvollständige Antwort von Overpass: {str(exc)[:120]}") from exc
        except KeyError as exc:
            raise _Unreachable(f"unerwartete Antwort von Overpass (Feld {exc} fehlt)") from exc
