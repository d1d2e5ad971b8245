"""User text with template syntax on the maps: shown as written, never compiled or evaluated.

branca compiles an element's rendered script as a Jinja template (``Element(text)``); the project's
elements keep their rendered text as it is (:mod:`geo.outputs._render`) and map text escapes
braces (:func:`geo.outputs.maps.esc`), so a business or place name with ``{{ … }}`` or ``{% … %}``
neither breaks a map nor runs as an expression on the server.
"""

from __future__ import annotations

from datetime import date

import folium
import geopandas as gpd
import pytest
from shapely.geometry import Polygon

from geo.outputs import maps
from geo.register import stats
from tests.conftest import make_register
from tests.map_payload import component_args

AT = date(2024, 1, 1)
#: A business name Jinja would evaluate (to "49 Bar"), one it cannot parse, and a comment opener.
EXPRESSION, BROKEN, COMMENT = "{{ 7*7 }} Bar", "Café {% x", "Kiosk {# Ecke"


@pytest.fixture
def register():
    reg = make_register(
        [
            {"unit_id": "T-1", "street": "Eisenbahnstraße", "housenumber": "1"},
            {"unit_id": "T-2", "street": "Torgauer {{ Straße }}", "housenumber": "2"},
            {"unit_id": "T-3", "street": "Dresdner Straße", "housenumber": "3"},
        ],
        [
            ("T-1", "2023-01-01", "occupied", EXPRESSION),
            ("T-2", "2022-01-01", "vacant"),
            ("T-2", "2023-06-01", "occupied", BROKEN),
            ("T-3", "2023-02-01", "occupied", COMMENT),
        ],
    )
    reg.boundaries = gpd.GeoDataFrame(
        {"name": ["Ortsteil {{ 6*7 }}"], "quarter": ["Quartier {% if %}"], "source": ["t"], "approximate": [True]},
        geometry=[Polygon([(12.39, 51.34), (12.41, 51.34), (12.41, 51.35), (12.39, 51.35)])],
        crs="EPSG:4326",
    )
    return reg


def _literal(html: str) -> None:
    """Every template-like text is in the page as written (braces as character references), none evaluated."""
    for text in (EXPRESSION, BROKEN, COMMENT, "Torgauer {{ Straße }}", "Ortsteil {{ 6*7 }}"):
        assert text.replace("{", "&#123;").replace("}", "&#125;") in html, text
    assert "49 Bar" not in html and "Ortsteil 42" not in html


def test_status_map_shows_template_syntax_as_written(register):
    settled = stats.events(register, kind="settlement", start="2023-01-01", end=AT)
    data = maps.prepare_map(stats.status_at(register, AT), boundaries=register.boundaries, settlements=settled)
    html = maps.render_map(data).get_root().render()  # raised TemplateSyntaxError before
    _literal(html)
    # what the app sends (streamlit-folium renders the map twice and reads each element's script)
    assert component_args(maps.render_map(data, assets="linked", asset_base="/app/static/vendor/"))["total"] > 0


def test_before_after_map_shows_template_syntax_as_written(register):
    data = maps.prepare_map(
        stats.compare(register, before=date(2022, 6, 1), after=AT), boundaries=register.boundaries, heat=False,
        column="change", categories=maps.CHANGE_CATEGORIES, cluster=False, hidden=("unchanged",),
    )
    _literal(maps.render_map(data).get_root().render())


def test_folium_elements_get_template_safe_text():
    """folium's own elements (a marker's tooltip on the route map) still compile their text: esc() defuses it."""
    m = maps.new_map()
    folium.Marker((51.34, 12.40), tooltip=maps.esc(EXPRESSION)).add_to(m)
    folium.Marker((51.35, 12.41), tooltip=maps.esc(BROKEN)).add_to(m)
    html = m.get_root().render()
    assert "&#123;&#123; 7*7 &#125;&#125; Bar" in html and "49 Bar" not in html
    assert "Café &#123;% x" in html
