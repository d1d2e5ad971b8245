"""Reference page of ``bench/bench_pages.py``: a heading and one map of the app's kind, with one unit.

The floor under a page of the app with a map: Streamlit's frontend, then streamlit-folium's frame
with Leaflet (linked from ``static/vendor/`` as on the app's pages) and the app's map code drawing
a single unit -- none of the app's figures, filters or tables.
"""

import geopandas as gpd
import streamlit as st
from shapely.geometry import Point
from streamlit_folium import st_folium

from geo.outputs import maps
from pages._ui import map_assets

st.title("Boden")
units = gpd.GeoDataFrame({"unit_id": ["GE-1"], "status": ["vacant"]}, geometry=[Point(12.41, 51.345)], crs=4326)
data = maps.prepare_map(units, heat=False)
st_folium(maps.render_map(data, **map_assets()), key="boden", height=400, use_container_width=True,
          returned_objects=[])
