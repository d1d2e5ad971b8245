"""The map of a register/OpenStreetMap comparison: each of the three lists as its own layer.

Built on :mod:`geo.outputs.maps`: :func:`geo.outputs.maps.prepare_map` and
:func:`geo.outputs.maps.render_map` give base maps, boundaries, legend (with counts
per list) and offline assets; the single points layer they draw is then
replaced by one :class:`geo.outputs.maps.UnitPoints` layer per list, so each list can
be switched on and off in the layer control. All text is escaped by
:func:`geo.outputs.maps.point_set`. The map carries the OSM attribution.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Literal

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from geo import settings
from geo.osm.download import ATTRIBUTION
from geo.osm.matching import KINDS, OSMComparison, osm_unit_id
from geo.outputs import maps

#: The lists as map categories (colour-blind safe: blue, orange, purple).
LIST_CATEGORIES: tuple[maps.Category, ...] = (
    maps.Category("osm_missing_in_register", "in OSM, nicht im Register", "#2166ac"),
    maps.Category("vacant_but_osm_business", "Register: leer – OSM: Betrieb", "#f1a340"),
    maps.Category("occupied_but_osm_disused", "Register: genutzt – OSM: leer", "#762a83"),
)


def _points(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A list as the point table :func:`geo.outputs.maps.point_set` draws (label, address, name, class)."""
    missing = frame["kind"] == "osm_missing_in_register"
    own_ids = [osm_unit_id(t, i) for t, i in zip(frame["osm_type"], frame["osm_id"], strict=True)]
    label = np.where(missing.to_numpy(), own_ids, frame["unit_id"].astype("object").to_numpy())
    street = np.where(
        missing.to_numpy(), frame["osm_street"].astype("object"), frame["unit_street"].astype("object")
    )
    number = np.where(
        missing.to_numpy(),
        frame["osm_housenumber"].astype("object"),
        frame["unit_housenumber"].astype("object"),
    )
    name = (
        frame["osm_name"].astype("object").where(frame["osm_name"].notna(), frame["osm_tag"].astype("object"))
    )
    return gpd.GeoDataFrame(
        {
            "unit_id": label,
            "street": street,
            "housenumber": number,
            "business_name": name.to_numpy(),
            "kind": frame["kind"].to_numpy(),
        },
        geometry=frame.geometry.to_numpy(),
        crs=settings.storage_crs,
    )


def comparison_map(
    comparison: OSMComparison,
    *,
    boundaries: gpd.GeoDataFrame | None = None,
    basemap: str = "osm",
    height: int | None = None,
    assets: Literal["inline", "linked"] = "inline",
    asset_base: str | None = None,
) -> folium.Map:
    """A folium map with the three lists of ``comparison`` as separate layers.

    Parameters
    ----------
    comparison
        Result of :func:`geo.osm.matching.compare_with_osm`.
    boundaries
        Ortsteil outlines to draw.
    basemap
        ``"osm"``, ``"positron"`` or ``"none"``.
    height
        Map height in pixels (default: fill the frame).
    assets, asset_base
        As in :func:`geo.outputs.maps.render_map`.
    """
    lists = comparison.lists()
    combined = pd.concat([_points(f) for f in lists.values()], ignore_index=True)
    combined = gpd.GeoDataFrame(combined, geometry="geometry", crs=settings.storage_crs)
    data = maps.prepare_map(
        combined,
        boundaries=boundaries,
        column="kind",
        categories=LIST_CATEGORIES,
        legend_title=f"Abgleich mit OpenStreetMap ({ATTRIBUTION})",
        heat=False,
    )
    m = maps.render_map(data, basemap=basemap, cluster=False, height=height, assets=assets, asset_base=asset_base)
    layers = []
    for cat in LIST_CATEGORIES:
        frame = _points(lists[cat.code])
        layer = maps.UnitPoints(
            maps.point_set(frame, column="kind", categories=LIST_CATEGORIES),
            name=f"{KINDS[cat.code]} ({len(frame)})",
            cluster=False,
        )
        layer._parent = m
        layers.append(layer)
    # the one points layer becomes one layer per list, at the same place: the layer
    # control and the legend come later in the script and refer to them
    children: OrderedDict[str, Any] = OrderedDict()
    for name, child in m._children.items():
        if isinstance(child, maps.UnitPoints):
            children.update((layer.get_name(), layer) for layer in layers)
        else:
            children[name] = child
    m._children = children
    return m


def layer_names(m: folium.Map) -> list[str]:
    """Names of the list layers of a map from :func:`comparison_map`."""
    return [child.layer_name for child in m._children.values() if isinstance(child, maps.UnitPoints)]
