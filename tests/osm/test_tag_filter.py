"""The local OSM tag filter follows osmnx's rule for every value type a tag query may hold."""

from __future__ import annotations

import pandas as pd

from geo.osm.classify import _matches


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "shop": ["bakery", None, "kiosk", ""],
            "amenity": [None, "cafe", "bench", None],
        }
    )


def test_bool_false_matches_any_value_like_osmnx() -> None:
    # osmnx turns any bool into a bare ``["shop"]`` query, so False must not crash the filter
    assert _matches(_frame(), {"shop": False}).tolist() == _matches(_frame(), {"shop": True}).tolist()


def test_str_and_list_values_match_only_those_values() -> None:
    assert _matches(_frame(), {"shop": "kiosk"}).tolist() == [False, False, True, False]
    assert _matches(_frame(), {"amenity": ["cafe", "pub"]}).tolist() == [False, True, False, False]
