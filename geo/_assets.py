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
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from functools import lru_cache

from branca.element import Element
from folium.elements import JSCSSMixin

from geo.errors import QuartiersmonitorError

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

#: URL prefixes that may stay online: base-map tiles and the links in their attribution.
ONLINE_PREFIXES: tuple[str, ...] = (
    "https://tile.openstreetmap.org/",
    "https://www.openstreetmap.org/copyright",
    "https://{s}.basemaps.cartocdn.com/",
    "https://carto.com/attributions",
    "https://leafletjs.com",
)

_URL = re.compile(r"""https?://[^\s"'<>()\\]+""")


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


def inline_assets(element: Element) -> Element:
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
