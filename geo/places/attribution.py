"""Source and licence of Ortsteil boundaries: the attribution the official polygons need.

The official Ortsteil polygons of the Stadt Leipzig (``data/ortsteile.geojson``, read by
:func:`geo.places.areas.official_boundaries`) are published under the Datenlizenz Deutschland –
Namensnennung 2.0, which asks every use to name the source. :data:`BOUNDARY_ATTRIBUTION` is that
text, in one place; :func:`boundary_credit` gives the credit of any boundary table, and the maps
(:mod:`geo.outputs.maps`), static maps and figures (:mod:`geo.outputs._cartography`), the report
(:mod:`geo.outputs.report`), the walk sheet and the app show it wherever boundaries are drawn.
"""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd

__all__ = [
    "APPROX_SOURCE",
    "BOUNDARY_ATTRIBUTION",
    "BOUNDARY_LICENCE",
    "BOUNDARY_LICENCE_URL",
    "OFFICIAL_SOURCE",
    "OSM_BOUNDARY_CREDIT",
    "boundary_credit",
    "credit_markdown",
]

#: Licence of the official Ortsteil boundaries of the Stadt Leipzig, and where to read it.
BOUNDARY_LICENCE: str = "Datenlizenz Deutschland – Namensnennung 2.0"
BOUNDARY_LICENCE_URL: str = "https://www.govdata.de/dl-de/by-2-0"

#: ``source`` of the official boundaries (:func:`geo.places.areas.official_boundaries`): who made them, under which licence.
OFFICIAL_SOURCE: str = f"Stadt Leipzig, {BOUNDARY_LICENCE}"

#: The attribution every map, figure, report and page drawing the official boundaries shows
#: (the licence asks for it). Its one home; outputs build it from :func:`boundary_credit`.
BOUNDARY_ATTRIBUTION: str = f"Ortsteilgrenzen: {OFFICIAL_SOURCE}"

#: Credit of hand-drawn outlines flagged ``approximate`` (the project shipped such outlines before the
#: official ones; stores made then still hold them until ``python -m geo boundaries`` replaces them).
APPROX_SOURCE: str = "Quartiersmonitor, handgezeichnet, nicht amtlich"

#: Credit of Ortsteil outlines geocoded with OpenStreetMap.
OSM_BOUNDARY_CREDIT: str = "OpenStreetMap, © OpenStreetMap-Mitwirkende, ODbL"


def boundary_credit(boundaries: gpd.GeoDataFrame | None) -> str | None:
    """Source and licence of Ortsteil boundaries, for attribution lines („Ortsteilgrenzen: …“).

    Outlines flagged ``approximate`` are credited as :data:`APPROX_SOURCE`, OpenStreetMap
    outlines with the OpenStreetMap licence; all others are taken to be the city's official
    layer (:data:`OFFICIAL_SOURCE`, so that ``f"Ortsteilgrenzen: {credit}"`` is
    :data:`BOUNDARY_ATTRIBUTION`).

    Parameters
    ----------
    boundaries
        Boundary table (``source``, ``approximate`` used when present).

    Returns
    -------
    str or None
        The credit, parts joined by ``"; "``; None without boundaries.
    """
    if boundaries is None or not len(boundaries):
        return None
    approx = (
        boundaries["approximate"].fillna(False).astype(bool).to_numpy()
        if "approximate" in boundaries
        else np.zeros(len(boundaries), dtype=bool)
    )
    sources = (
        boundaries["source"].astype("string").fillna("")
        if "source" in boundaries
        else pd.Series("", index=boundaries.index, dtype="string")
    )
    other = sources[~approx]
    osm = other.str.contains("OpenStreetMap", regex=False)
    parts: list[str] = []
    if approx.any():
        parts.append(APPROX_SOURCE)
    if osm.any():
        parts.append(OSM_BOUNDARY_CREDIT)
    if (~osm).any():
        parts.append(OFFICIAL_SOURCE)
    return "; ".join(parts)


def credit_markdown(credit: str) -> str:
    """„Ortsteilgrenzen: …“ as Markdown for a caption (escaped), the licence linked when official.

    Parameters
    ----------
    credit
        From :func:`boundary_credit`.
    """
    text = re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~$])", r"\\\1", f"Ortsteilgrenzen: {credit}")
    if OFFICIAL_SOURCE in credit:
        text += f" ([Lizenz]({BOUNDARY_LICENCE_URL}))"
    return text
