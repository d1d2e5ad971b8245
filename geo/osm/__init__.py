"""OpenStreetMap: download and cache, register-vs-OSM matching, building stock."""
