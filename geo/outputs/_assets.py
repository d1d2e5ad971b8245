"""Leaflet and plugin assets served from the installed package, not from a CDN.

Folium refers to Leaflet, its plugins and their style sheets by CDN URLs
(``default_js``/``default_css`` of every element). The app must work in
locked-down networks without internet access, so :func:`inline_assets`
replaces each URL by a ``data:`` URI built from the copies shipped in the
``folium-offline`` package (``offlinefolium.elements._res``) and drops the
assets the app's maps never use (jQuery, Bootstrap, Font Awesome, Awesome
Markers, Glyphicons: the maps draw circle markers, not icon markers).

streamlit-folium loads ``default_js``/``default_css`` entries as
``<script src>``/``<link href>`` elements inside its component frame, and a
standalone HTML file written with ``Map.save`` inlines them as well, so
``data:`` URIs work in both. Base-map tiles remain the only online part.

In the running app the same ~300 KB would be resent with every map, so there
:func:`write_static_assets` writes the assets once into the app's ``static/``
folder (served by Streamlit at ``/app/static/``) and :func:`link_assets`
points the maps at them; the browser loads and caches them once. Leaflet and
the plugins of the register's maps (:data:`BUNDLED_JS`) go as one file: the
map frame of streamlit-folium loads its scripts one after the other, each
waiting for the one before (in a fresh browser 0.1-0.25 s for three).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import re
import tempfile
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

import folium
from branca.element import Element
from folium.elements import JSCSSMixin
from folium.plugins import HeatMap, MarkerCluster

from geo.errors import QuartiersmonitorError
from geo.places.attribution import BOUNDARY_LICENCE_URL

_E = TypeVar("_E", bound=Element)

#: Asset names folium adds by default that the app's maps do not need.
DROPPED_ASSETS: frozenset[str] = frozenset(
    {
        "jquery",
        "bootstrap",
        "awesome_markers",
        "bootstrap_css",
        "glyphicons_css",
        "awesome_markers_font_css",
        "awesome_markers_css",
        "awesome_rotate_css",
    }
)

#: URL prefixes that may stay online: base-map tiles and the links in the attribution line (followed only
#: when clicked), among them the licence of the official Ortsteil boundaries.
ONLINE_PREFIXES: tuple[str, ...] = (
    "https://tile.openstreetmap.org/",
    "https://www.openstreetmap.org/copyright",
    "https://{s}.basemaps.cartocdn.com/",
    "https://carto.com/attributions",
    "https://leafletjs.com",
    BOUNDARY_LICENCE_URL,
)

_URL = re.compile(r"""https?://[^\s"'<>()\\]+""")

#: Scripts linked as one file (:func:`bundle_name`), in the order they must run: Leaflet and the plugins of the
#: register's maps (marker clusters, heat map). folium's own lists name them, so a new folium keeps them right.
BUNDLED_JS: tuple[str, ...] = (
    dict(folium.Map.default_js)["leaflet"],
    dict(MarkerCluster.default_js)["markerclusterjs"],
    dict(HeatMap.default_js)["leaflet-heat.js"],
)


def _offline_sources() -> dict[str, str]:
    try:
        from offlinefolium.elements import _res
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise QuartiersmonitorError(
            "Paket 'folium-offline' fehlt; ohne es kann die Karte nicht offline angezeigt werden. "
            "Installieren mit: pip install folium-offline"
        ) from exc
    return _res


@lru_cache(maxsize=64)
def data_uri(url: str, kind: str) -> str:
    """The asset behind a CDN ``url`` as a base64 ``data:`` URI.

    Parameters
    ----------
    url
        CDN URL as used by folium.
    kind
        ``"js"`` or ``"css"``.

    Raises
    ------
    QuartiersmonitorError
        When the asset is not shipped offline.
    """
    if url.startswith("data:"):
        return url
    sources = _offline_sources()
    if url not in sources:
        raise QuartiersmonitorError(
            f"Kartenbaustein {url} ist nicht offline verfügbar (folium-offline). "
            "Die Karte würde ohne Internet nicht funktionieren."
        )
    mime = "text/javascript" if kind == "js" else "text/css"
    payload = base64.b64encode(sources[url].encode("utf-8")).decode("ascii")
    return f"data:{mime};base64,{payload}"


def walk(element: Element) -> Iterator[Element]:
    """``element`` and all its descendants, depth first."""
    yield element
    for child in list(getattr(element, "_children", {}).values()):
        yield from walk(child)


def inline_assets(element: _E) -> _E:
    """Replace the CDN assets of ``element`` and its descendants by ``data:`` URIs.

    Sets ``default_js``/``default_css`` as instance attributes (the class
    lists stay untouched) and drops :data:`DROPPED_ASSETS`. Returns
    ``element`` for chaining.
    """
    for node in walk(element):
        if not isinstance(node, JSCSSMixin):
            continue
        node.default_js = [
            (name, data_uri(url, "js"))
            for name, url in node.default_js
            if name not in DROPPED_ASSETS
        ]
        node.default_css = [
            (name, data_uri(url, "css"))
            for name, url in node.default_css
            if name not in DROPPED_ASSETS
        ]
    return element


def asset_links(element: Element) -> tuple[list[str], list[str]]:
    """The script and style-sheet links streamlit-folium would send for ``element``.

    Returns
    -------
    tuple[list[str], list[str]]
        ``(js_links, css_links)``, deduplicated in order.
    """
    js: list[str] = []
    css: list[str] = []
    for node in walk(element):
        if isinstance(node, JSCSSMixin):
            js.extend(url for _, url in node.default_js)
            css.extend(url for _, url in node.default_css)
    return list(dict.fromkeys(js)), list(dict.fromkeys(css))


def external_urls(text: str) -> list[str]:
    """Every ``http(s)`` URL in ``text`` (``data:`` URIs are base64 and contain none)."""
    return _URL.findall(text)


def disallowed_urls(text: str) -> list[str]:
    """URLs in ``text`` that are neither base-map tiles nor their attribution links."""
    return [u for u in external_urls(text) if not u.startswith(ONLINE_PREFIXES)]


# -- linked assets: files served by the app (Streamlit static serving) -------------------------------

_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")

#: Modification time of the written asset files (2020-01-01 UTC), see :func:`write_static_assets`.
_MTIME = 1_577_836_800


def _kind(url: str) -> str:
    return "css" if url.split("?", 1)[0].endswith(".css") else "js"


@lru_cache(maxsize=128)
def static_name(url: str) -> str:
    """File name of the asset behind a CDN ``url``: ``<short-hash>-<name>``.

    The hash (12 hex digits of SHA-256) is taken over the asset's content, so a
    new version of ``folium-offline`` gives new names and browsers never use a
    stale cached copy. The name always ends in ``.js`` or ``.css`` (the server
    derives the content type from it).

    Raises
    ------
    QuartiersmonitorError
        When the asset is not shipped offline.
    """
    sources = _offline_sources()
    if url not in sources:
        raise QuartiersmonitorError(
            f"Kartenbaustein {url} ist nicht offline verfügbar (folium-offline). "
            "Die Karte würde ohne Internet nicht funktionieren."
        )
    digest = hashlib.sha256(sources[url].encode("utf-8")).hexdigest()[:12]
    base = _SAFE_NAME.sub("_", url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]) or "asset"
    ext = "." + _kind(url)
    if not base.endswith(ext):
        base += ext
    return f"{digest}-{base}"


def _bundle_text() -> str:
    sources = _offline_sources()
    # each part is a whole script; a line with a semicolon keeps one part's last statement from running on
    return "\n;\n".join(sources[url] for url in BUNDLED_JS)


@lru_cache(maxsize=1)
def bundle_name() -> str:
    """File name of :data:`BUNDLED_JS` as one script: ``<short-hash>-leaflet-bundle.js`` (hash of the content)."""
    return f"{hashlib.sha256(_bundle_text().encode('utf-8')).hexdigest()[:12]}-leaflet-bundle.js"


def _write_file(folder: Path, name: str, payload: bytes) -> None:
    """Write ``payload`` as ``folder/name`` atomically with the fixed time :data:`_MTIME` (kept when the size is right)."""
    target = folder / name
    try:
        if target.stat().st_size == len(payload):
            return
    except FileNotFoundError:
        pass
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=target.suffix)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
        os.chmod(tmp, 0o644)
        os.utime(tmp, (_MTIME, _MTIME))
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)  # already gone after a successful replace


def write_static_assets(folder: str | Path) -> None:
    """Write every asset shipped by ``folium-offline`` into ``folder`` as :func:`static_name` files.

    Idempotent: a file already present with the right size is kept. Each file
    is written to a temporary file in ``folder`` and renamed into place, so a
    server never serves a half-written file, also with several processes.

    Streamlit's static route sends no ``Cache-Control`` and answers no
    conditional request with 304, so browsers cache by ``Last-Modified``
    alone (heuristically, a tenth of the file's age): the files get a fixed old
    modification time (:data:`_MTIME`). The content hash in the name makes
    that safe.

    Raises
    ------
    OSError
        When ``folder`` cannot be created or written.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for url, text in _offline_sources().items():
        _write_file(folder, static_name(url), text.encode("utf-8"))
    _write_file(folder, bundle_name(), _bundle_text().encode("utf-8"))


def link_assets(element: _E, *, base_url: str) -> _E:
    """Like :func:`inline_assets`, but link each asset as ``base_url + static_name(url)``.

    ``base_url`` is where :func:`write_static_assets` put the files, as the
    browser sees it (e.g. ``/app/static/vendor/``). The scripts of
    :data:`BUNDLED_JS` all link the one file :func:`bundle_name` (streamlit-folium
    sends a link once). Assets already replaced by ``data:`` URIs or already
    linked below ``base_url`` stay as they are (calling it twice is harmless).
    Returns ``element`` for chaining.
    """
    if not base_url.endswith("/"):
        base_url += "/"

    def link(url: str) -> str:
        if url.startswith(("data:", base_url)):
            return url
        return base_url + (bundle_name() if url in BUNDLED_JS else static_name(url))

    for node in walk(element):
        if not isinstance(node, JSCSSMixin):
            continue
        node.default_js = [(name, link(url)) for name, url in node.default_js if name not in DROPPED_ASSETS]
        node.default_css = [(name, link(url)) for name, url in node.default_css if name not in DROPPED_ASSETS]
    return element


def apply_assets(element: _E, assets: str = "inline", base_url: str | None = None) -> _E:
    """:func:`inline_assets` (``assets="inline"``) or :func:`link_assets` (``"linked"``, needs ``base_url``)."""
    if assets == "inline":
        return inline_assets(element)
    if assets == "linked":
        if not base_url:
            raise ValueError("assets='linked' needs asset_base (e.g. '/app/static/vendor/')")
        return link_assets(element, base_url=base_url)
    raise ValueError(f"assets must be 'inline' or 'linked', not {assets!r}")
