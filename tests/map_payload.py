"""What streamlit-folium sends to the browser for a folium map (for tests and bench/)."""

from __future__ import annotations

from typing import Any

from geo.outputs._assets import asset_links


def component_args(m: Any, key: str = "karte") -> dict[str, Any]:
    """Sizes in bytes of what ``st_folium`` renders ``m`` into, by part, and its component key.

    Uses streamlit-folium's own rendering functions, so it measures exactly what
    ``st_folium`` sends. ``m`` is changed by the rendering: pass a map built for
    measuring only.
    """
    import streamlit_folium as sf

    m.get_root().render()
    m.render()
    html = sf._get_html(m)
    header = sf._get_header(m)
    script = sf._get_map_string(m)
    js, css = asset_links(m)
    sizes: dict[str, Any] = {
        "script": len(script.encode()),
        "header": len(header.encode()),
        "html": len(html.encode()),
        "js_links": sum(len(u.encode()) for u in js),
        "css_links": sum(len(u.encode()) for u in css),
    }
    sizes["total"] = sum(sizes.values())
    sizes["links"] = sizes["js_links"] + sizes["css_links"]
    sizes["hash"] = sf.generate_js_hash(script, key, False)
    return sizes
