"""German tooltips for Leaflet's own map controls, added to every map by :func:`geo.outputs._leaflet.new_map`.

Leaflet has no option for these texts: the layer control's button is titled "Layers", the
zoom buttons "Zoom in"/"Zoom out", the credit "A JavaScript library for interactive maps".
"""

from __future__ import annotations

import json

from folium.template import Template

from geo.outputs._render import RawRender

__all__ = ["CONTROL_TITLES", "GermanControls"]

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
