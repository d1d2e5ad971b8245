"""Leaflet's own controls and handlers, adjusted on every map by :func:`geo.outputs._leaflet.new_map`.

* :class:`GermanControls` -- German tooltips: Leaflet has no option for these texts (the layer
  control's button is titled "Layers", the zoom buttons "Zoom in"/"Zoom out", the credit "A
  JavaScript library for interactive maps").
* :class:`FocusInPlace` -- a press on the map focuses it without scrolling the page.
"""

from __future__ import annotations

import json

from folium.template import Template

from geo.outputs._render import RawRender

__all__ = ["CONTROL_TITLES", "FocusInPlace", "GermanControls"]

#: German tooltips of Leaflet's controls, by CSS selector.
CONTROL_TITLES: dict[str, str] = {
    ".leaflet-control-layers-toggle": "Ebenen",
    ".leaflet-control-zoom-in": "Vergrößern",
    ".leaflet-control-zoom-out": "Verkleinern",
}

#: The „Leaflet“ credit of the attribution line, with a German title.
LEAFLET_PREFIX = '<a href="https://leafletjs.com" title="JavaScript-Bibliothek für interaktive Karten">Leaflet</a>'


def _js(value: object) -> str:
    """JSON safe inside a ``<script>`` element."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c").replace(">", "\\u003e")


class GermanControls(RawRender):
    """Renames Leaflet's control tooltips (:data:`CONTROL_TITLES`) and the credit's title.

    The script runs once every control of the map exists: after the map's other
    scripts, hence the zero timeout (the layer control is added last).
    """

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "(function(map){setTimeout(function(){"
        "var titles={{ this.titles }},box=map.getContainer();"
        "Object.keys(titles).forEach(function(sel){box.querySelectorAll(sel).forEach(function(el){"
        'el.title=titles[sel];el.setAttribute("aria-label",titles[sel]);});});'
        "if(map.attributionControl){map.attributionControl.setPrefix({{ this.prefix }});}"
        "},0);})({{ this._parent.get_name() }});"
        "{% endmacro %}"
    )

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # branca: MacroElement.__init__ unannotated
        self._name = "GermanControls"
        self.titles = _js(CONTROL_TITLES)
        self.prefix = _js(LEAFLET_PREFIX)


class FocusInPlace(RawRender):
    """Leaflet's keyboard handler focuses the map on a mouse press without scrolling the page.

    Leaflet calls ``focus()`` on the map's container at every press (for the arrow keys) and
    restores the scroll position of the map's own page only. In the app the map is a frame in
    a longer page: with the frame partly out of the window, the focus scrolled the page between
    press and release, so the release -- and the click -- landed beside the unit pressed, and a
    click on a unit on the map missed it (found by the browser test of a click on the map).
    """

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "(function(map){var k=map.keyboard;if(!k){return;}"
        "k.disable();"  # unhooks the handler bound at the map's creation
        "k._onMouseDown=function(){if(!this._focused){this._map.getContainer().focus({preventScroll:true});}};"
        "k.enable();})({{ this._parent.get_name() }});"
        "{% endmacro %}"
    )

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # branca: MacroElement.__init__ unannotated
        self._name = "FocusInPlace"
