"""A planned walk: the stops in walking order, distances, times and the route (:class:`WalkPlan`).

Made by :func:`geo.walks.tour.plan_walk`; exported as JSON (:meth:`WalkPlan.to_json`)
and GPX (:meth:`WalkPlan.to_gpx`, :mod:`geo.walks.gpx`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import LineString

from geo.formats import fmt_km, fmt_number

__all__ = ["STREET_SEPARATOR", "DroppedStop", "WalkPlan", "WalkPoint"]


# -- the plan ----------------------------------------------------------------------------


@dataclass(frozen=True)
class WalkPoint:
    """A start or end point of a walk.

    Attributes
    ----------
    name
        What to call it, e.g. ``"Arbeitsladen Leipziger Osten"``.
    lon
        Longitude (EPSG:4326).
    lat
        Latitude (EPSG:4326).
    """

    name: str
    lon: float
    lat: float

    def to_dict(self) -> dict[str, Any]:
        """``{"name", "lon", "lat"}``."""
        return {"name": self.name, "lon": self.lon, "lat": self.lat}


@dataclass(frozen=True)
class DroppedStop:
    """A stop left out of the walk.

    Attributes
    ----------
    unit_id
        The unit.
    priority
        Its priority (higher is more important).
    reason
        Why, in German, for the user.
    label
        Its address (or its id when the address is unknown).
    ranking
        What its priority is made of, in German (from :func:`geo.walks.stops.select_stops`), or empty.
    too_far
        It does not fit into the time budget even as the only stop.
    """

    unit_id: str
    priority: float
    reason: str
    label: str = ""
    ranking: str = ""
    too_far: bool = False

    def to_dict(self) -> dict[str, Any]:
        """``{"unit_id", "label", "priority", "ranking", "reason"}``."""
        return {
            "unit_id": self.unit_id,
            "label": self.label or self.unit_id,
            "priority": _plain(self.priority),
            "ranking": self.ranking,
            "reason": self.reason,
        }


@dataclass
class WalkPlan:
    """A planned walk: stops in order, distances, times and the route.

    Attributes
    ----------
    stops
        One row per stop in walking order: ``order`` (1 … n), ``unit_id``,
        ``label`` (address or id), ``priority``, ``leg_m`` (walk from the
        previous stop or the start), ``cumulative_m``, ``eta_min`` (arrival,
        minutes after leaving the start, visits on the way included),
        ``snap_m`` (distance from the unit to the street), ``lon``, ``lat``,
        ``streets`` (the named streets walked on the leg, in order, joined by
        „ → “; empty where the network has no names), ``decision`` (German: why
        the stop is in the walk), other columns of the input, and point geometry
        (EPSG:4326).
    start
        Where the walk starts (the first stop when ``start_note`` says so).
    end
        Where it ends: the start for a round trip, None for an open end.
    round_trip
        Whether the walk returns to the start.
    final_leg_m
        Walk from the last stop to ``end`` (0 for an open end).
    total_m
        Whole walking distance in metres.
    walk_min
        Walking time in minutes.
    visit_min
        Time spent at the stops in minutes.
    total_min
        ``walk_min + visit_min``.
    route
        The way along the street network (EPSG:4326), from the start's
        street segment to the end's; the short connections between the
        street and each door are not part of it.
    dropped
        Stops left out to keep the time budget, with the reason.
    time_budget_min
        The budget the plan was made for, or None.
    speed_kmh
        Walking speed used.
    minutes_per_visit
        Time planned per stop.
    exact
        Whether the order is proven shortest (up to 12 stops); otherwise it
        is the best a thorough local search found.
    notes
        Remarks for the user (German), e.g. a summary of dropped stops.
    start_note
        Why the walk does not start at an office, e.g. „Start am ersten Halt –
        Büroadresse nicht eingetragen“; None when it does.
    final_leg_streets
        The named streets of the way back to the start or on to the end.
    """

    stops: gpd.GeoDataFrame
    start: WalkPoint
    end: WalkPoint | None
    round_trip: bool
    final_leg_m: float
    total_m: float
    walk_min: float
    visit_min: float
    total_min: float
    route: LineString
    dropped: list[DroppedStop] = field(default_factory=list)
    time_budget_min: float | None = None
    speed_kmh: float = 4.5
    minutes_per_visit: float = 10.0
    exact: bool = True
    notes: list[str] = field(default_factory=list)
    start_note: str | None = None
    final_leg_streets: tuple[str, ...] = ()

    @property
    def summary(self) -> str:
        """One German sentence: stops, distance and time."""
        n = len(self.stops)
        kind = "Rundgang" if self.round_trip else "Weg"
        text = (
            f"{kind} mit {n} {'Stopp' if n == 1 else 'Stopps'}: {fmt_km(self.total_m)}, "
            f"etwa {fmt_number(self.walk_min)} min zu Fuß und {fmt_number(self.visit_min)} min vor Ort "
            f"(zusammen {fmt_number(self.total_min)} min)."
        )
        if self.dropped:
            text += f" {len(self.dropped)} Stopp(s) weggelassen."
        return text

    def to_json(self) -> dict[str, Any]:
        """The plan as a JSON-ready dict (plain Python types only).

        Returns
        -------
        dict
            ``stops`` (list of ``{order, unit_id, label, priority, lon, lat,
            leg_m, cumulative_m, eta_min, snap_m, streets}`` in walking order;
            ``streets`` a list of street names),
            ``total_m``, ``final_leg_m``, ``walk_min``, ``visit_min``,
            ``total_min``, ``round_trip``, ``start``, ``end``, ``dropped``,
            ``time_budget_min``, ``speed_kmh``, ``minutes_per_visit``,
            ``exact``, ``notes``, ``start_note``, ``final_leg_streets`` and
            ``route`` (a GeoJSON LineString).
        """
        keys = (
            "order",
            "unit_id",
            "label",
            "priority",
            "lon",
            "lat",
            "leg_m",
            "cumulative_m",
            "eta_min",
            "snap_m",
        )
        stops = [{k: _plain(row[k]) for k in keys} for _, row in self.stops.iterrows()]
        for item in stops:
            for k in ("leg_m", "cumulative_m", "snap_m"):
                item[k] = round(item[k], 1)
            item["eta_min"] = round(item["eta_min"], 1)
        for item, streets in zip(stops, _street_lists(self.stops), strict=True):
            item["streets"] = streets
        return {
            "stops": stops,
            "total_m": round(self.total_m, 1),
            "final_leg_m": round(self.final_leg_m, 1),
            "walk_min": round(self.walk_min, 1),
            "visit_min": round(self.visit_min, 1),
            "total_min": round(self.total_min, 1),
            "round_trip": self.round_trip,
            "start": self.start.to_dict(),
            "end": self.end.to_dict() if self.end is not None else None,
            "dropped": [d.to_dict() for d in self.dropped],
            "time_budget_min": _plain(self.time_budget_min),
            "speed_kmh": float(self.speed_kmh),
            "minutes_per_visit": float(self.minutes_per_visit),
            "exact": self.exact,
            "notes": list(self.notes),
            "start_note": self.start_note,
            "final_leg_streets": list(self.final_leg_streets),
            "route": {
                "type": "LineString",
                "coordinates": [[round(x, 7), round(y, 7)] for x, y in self.route.coords],
            },
        }

    def to_gpx(self, *, name: str | None = None) -> str:
        """The plan as GPX 1.1: the route as a track, each stop as a waypoint (:mod:`geo.walks.gpx`).

        Parameters
        ----------
        name
            Name of the track; default ``"Begehung ab <start>"``.
        """
        from geo.walks.gpx import walk_gpx

        return walk_gpx(self, name=name)


#: How the street names of a leg are joined in the ``streets`` column.
STREET_SEPARATOR = " → "


def _street_lists(stops: pd.DataFrame) -> list[list[str]]:
    """The ``streets`` column as lists of names (empty lists without the column)."""
    if "streets" not in stops.columns:
        return [[] for _ in range(len(stops))]
    return [[p for p in str(v).split(STREET_SEPARATOR) if p] if isinstance(v, str) else [] for v in stops["streets"]]


def _plain(value: Any) -> Any:
    """numpy/pandas scalars as plain Python values for JSON."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
