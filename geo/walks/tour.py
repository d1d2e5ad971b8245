"""Planning a walk: the order in which to visit units on foot, within a time budget, and the way there.

:func:`plan_walk` orders the stops (round trip back to the start, or one-way
to a fixed or open end) by their walking distances along the network
(:mod:`geo.walks.network`), fits them into a time budget by leaving out the
least important stops, and returns a :class:`geo.walks.plan.WalkPlan` with
distances, arrival times and the route along the streets.

The order is solved exactly for up to 12 stops and by iterated 2-opt/Or-opt
local search beyond (see :mod:`geo.walks._tsp`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from shapely.geometry import LineString, Point

from geo import settings
from geo.errors import InputError
from geo.formats import fmt_number
from geo.walks import _tsp
from geo.walks._distances import _join, _Matrix, _network, _point_xy
from geo.walks.plan import DroppedStop, WalkPlan, WalkPoint

__all__ = ["plan_walk"]


def plan_walk(
    G: nx.MultiDiGraph,
    stops: pd.DataFrame,
    *,
    start: Any = None,
    end: Any = None,
    round_trip: bool = True,
    speed_kmh: float | None = None,
    minutes_per_visit: float = 10.0,
    time_budget_min: float | None = None,
    priorities: Mapping[str, float] | pd.Series | None = None,
    max_snap_m: float | None = None,
) -> WalkPlan:
    """Plan a walk that visits the stops in the shortest order.

    Parameters
    ----------
    G
        Walking network from :func:`geo.walks.network.load_walk_graph`.
    stops
        One row per unit to visit: ``unit_id`` and the location, as point
        geometry (GeoDataFrame, any CRS; a frame without CRS is taken as
        EPSG:4326) or as ``lon``/``lat`` columns. Optional: ``priority``
        (higher is more important, missing is 0), ``label`` (name shown on the
        route sheet), else ``street`` and ``housenumber`` make the label.
    start
        Where the walk starts: ``(lon, lat)``, a shapely point, a
        :class:`WalkPoint`, or the name or slug of a quarter (its office).
        Default: the office of the stops' quarter (column ``quarter``), or
        else of the configured quarter whose office is nearest to the stops.
    end
        End of a one-way walk (same forms as ``start``); None with
        ``round_trip=False`` leaves the end open (the walk ends at the last
        stop). Must be None for a round trip.
    round_trip
        Return to the start.
    speed_kmh
        Walking speed (default :data:`geo.settings.walk_speed_kmh`).
    minutes_per_visit
        Time planned at each stop.
    time_budget_min
        Longest allowed walk in minutes, walking and visits together. If the
        stops do not fit, the least important are left out (lowest priority
        first; of equal priority, the one whose visit costs the longest detour)
        until the rest fits, and each is listed in ``dropped`` with the reason.
    priorities
        Priority per ``unit_id``; overrides the ``priority`` column.
    max_snap_m
        Refuse stops farther than this from every street segment (default
        :data:`geo.settings.walk_max_snap_m`).

    Returns
    -------
    WalkPlan
        Stops in walking order with distances, times and the route.

    Raises
    ------
    InputError
        If the stops lack ids or locations, an id repeats, the options
        contradict each other, a stop is off the network or unreachable, or
        not even the way from start to end fits into the time budget.
    """
    if round_trip and end is not None:
        raise InputError(
            "Ein Rundgang kehrt zum Start zurück; ein abweichendes Ziel (end) geht nur mit round_trip=False."
        )
    speed_kmh = settings.walk_speed_kmh if speed_kmh is None else speed_kmh
    max_snap_m = settings.walk_max_snap_m if max_snap_m is None else max_snap_m
    if not speed_kmh > 0:
        raise InputError(f"Gehgeschwindigkeit muss größer als 0 km/h sein, angegeben: {speed_kmh}.")
    if not minutes_per_visit >= 0:
        raise InputError(f"Zeit je Besuch darf nicht negativ sein, angegeben: {minutes_per_visit} min.")
    if time_budget_min is not None and not time_budget_min > 0:
        raise InputError(f"Zeitbudget muss größer als 0 min sein, angegeben: {time_budget_min} min.")

    table = _stop_table(stops, priorities)
    start_pt = _resolve_point(start, "Start", table) if start is not None else _default_start(table)
    end_pt = _resolve_point(end, "Ziel", table) if end is not None else None

    n = len(table)
    lon = np.concatenate([[start_pt.lon], table["lon"].to_numpy(float)])
    lat = np.concatenate([[start_pt.lat], table["lat"].to_numpy(float)])
    labels = [_role_label("Start", start_pt), *table["unit_id"]]
    if end_pt is not None:
        lon = np.append(lon, end_pt.lon)
        lat = np.append(lat, end_pt.lat)
        labels.append(_role_label("Ziel", end_pt))
    matrix = _Matrix(_network(G), lon, lat, labels, max_snap_m)
    dist = matrix.dist
    end_index = n + 1 if end_pt is not None else None
    m_per_min = speed_kmh * 1000.0 / 60.0

    def minutes(path: list[int]) -> float:
        n_stops = len(path) - 1 - (end_index is not None)
        return _path_length(dist, path, round_trip) / m_per_min + n_stops * minutes_per_visit

    kept = list(range(1, n + 1))
    path, exact = _solve(dist, kept, end_index, round_trip)
    dropped: list[DroppedStop] = []
    notes: list[str] = []
    if time_budget_min is not None and minutes(path) > time_budget_min + 1e-9:
        path, exact, dropped = _fit_budget(
            dist, path, table, end_index, round_trip, minutes, time_budget_min, m_per_min, minutes_per_visit
        )
        ids = ", ".join(d.unit_id for d in dropped)
        notes.append(
            f"{len(dropped)} von {n} Stopps passen nicht ins Zeitbudget von {fmt_number(time_budget_min)} "
            f"min und wurden weggelassen (niedrigste Priorität zuerst): {ids}."
        )
    return _build_plan(
        matrix=matrix,
        path=path,
        table=table,
        start=start_pt,
        end=start_pt if round_trip else end_pt,
        round_trip=round_trip,
        end_index=end_index,
        m_per_min=m_per_min,
        speed_kmh=speed_kmh,
        minutes_per_visit=minutes_per_visit,
        time_budget_min=time_budget_min,
        dropped=dropped,
        exact=exact,
        notes=notes,
    )


# -- solving and fitting into the budget ------------------------------------------


def _solve(
    dist: np.ndarray, kept: list[int], end_index: int | None, round_trip: bool
) -> tuple[list[int], bool]:
    """Best path over start (0), the kept stops and the fixed end, as indices into ``dist``."""
    nodes = [0, *kept] + ([end_index] if end_index is not None else [])
    sub = dist[np.ix_(nodes, nodes)]
    sol = _tsp.solve(
        sub,
        start=0,
        end=len(nodes) - 1 if end_index is not None else None,
        round_trip=round_trip,
    )
    return [nodes[i] for i in sol.order], sol.exact


def _path_length(dist: np.ndarray, path: list[int], round_trip: bool) -> float:
    return _tsp.walk_cost(dist, path, round_trip=round_trip)


def _fit_budget(
    dist: np.ndarray,
    path: list[int],
    table: pd.DataFrame,
    end_index: int | None,
    round_trip: bool,
    minutes: Any,
    budget: float,
    m_per_min: float,
    minutes_per_visit: float,
) -> tuple[list[int], bool, list[DroppedStop]]:
    """Leave out stops, least important first, until the walk fits into ``budget`` minutes.

    Stops are removed one at a time from the current path: the lowest
    priority first and, among equals, the one whose removal saves most
    walking. The rest is then solved again; dropped stops of the highest
    dropped priority are put back where they still fit (never a lower
    priority while a higher one stays out).
    """
    priority = table["priority"].to_numpy(float)
    unit_ids = table["unit_id"].tolist()
    fixed_tail = 1 if end_index is not None else 0
    removed: list[tuple[int, float]] = []  # (index, detour_m) in order of removal

    def detour(p: list[int], pos: int) -> float:
        prev = p[pos - 1]
        if pos + 1 < len(p):
            nxt = p[pos + 1]
        elif round_trip:
            nxt = p[0]
        else:
            return float(dist[prev, p[pos]])
        return float(dist[prev, p[pos]] + dist[p[pos], nxt] - dist[prev, nxt])

    while minutes(path) > budget + 1e-9:
        inner = list(range(1, len(path) - fixed_tail))
        if not inner:
            raise InputError(
                f"Schon der Weg vom Start zum Ziel dauert {fmt_number(minutes(path))} min und passt nicht "
                f"ins Zeitbudget von {fmt_number(budget)} min."
            )
        lowest = min(priority[path[k] - 1] for k in inner)
        candidates = [k for k in inner if priority[path[k] - 1] == lowest]
        savings = [detour(path, k) for k in candidates]
        pos = candidates[int(np.argmax(savings))]
        removed.append((path[pos], max(savings)))
        path = path[:pos] + path[pos + 1 :]

    kept = [i for i in path[1 : len(path) - fixed_tail]]
    solved, exact = _solve(dist, kept, end_index, round_trip)
    if _path_length(dist, solved, round_trip) <= _path_length(dist, path, round_trip):
        path = solved
    else:
        exact = False

    # put back what still fits, highest dropped priority first
    out = [idx for idx, _ in removed]
    tiers = sorted({priority[i - 1] for i in out}, reverse=True)
    for tier in tiers:
        blocked = False
        for idx in [i for i in reversed(out) if priority[i - 1] == tier]:
            trial = _cheapest_insertion(dist, path, idx, fixed_tail, round_trip)
            if minutes(trial) <= budget + 1e-9:
                path = trial
                out.remove(idx)
                exact = False
            else:
                blocked = True
        if blocked:
            break
    if len(out) < len(removed):
        kept = path[1 : len(path) - fixed_tail]
        solved, solved_exact = _solve(dist, kept, end_index, round_trip)
        if _path_length(dist, solved, round_trip) <= _path_length(dist, path, round_trip):
            path, exact = solved, solved_exact

    detours = dict(removed)
    kept_prio = [priority[i - 1] for i in path[1 : len(path) - fixed_tail]]
    dropped = []
    for i in out:
        p = priority[i - 1]
        shown = fmt_number(p, digits=0 if float(p).is_integer() else 1)
        cost = (
            f"etwa {fmt_number(detours[i] / m_per_min + minutes_per_visit)} min: "
            f"Umweg {fmt_number(detours[i])} m und {fmt_number(minutes_per_visit)} min vor Ort"
        )
        if not kept_prio:
            why = "Für keinen Stopp reicht die Zeit."
        elif p < min(kept_prio):
            why = f"Seine Priorität ({shown}) ist niedriger als die aller eingeplanten Stopps ({cost})."
        else:
            why = f"Unter den Stopps mit Priorität {shown} kostet er besonders viel Zeit ({cost})."
        dropped.append(
            DroppedStop(
                unit_id=unit_ids[i - 1],
                priority=float(p),
                reason=f"Passt nicht ins Zeitbudget von {fmt_number(budget)} min. {why}",
            )
        )
    return path, exact, dropped


def _cheapest_insertion(
    dist: np.ndarray, path: list[int], idx: int, fixed_tail: int, round_trip: bool
) -> list[int]:
    """``path`` with ``idx`` inserted where it lengthens the walk least (ends stay in place)."""
    best_pos, best_cost = None, np.inf
    last = len(path) - fixed_tail  # insert before positions 1 .. last (last = append for open end)
    for pos in range(1, last + 1):
        prev = path[pos - 1]
        if pos < len(path):
            nxt = path[pos]
        elif round_trip:
            nxt = path[0]
        else:
            nxt = None
        cost = dist[prev, idx] + (dist[idx, nxt] - dist[prev, nxt] if nxt is not None else 0.0)
        if cost < best_cost:
            best_pos, best_cost = pos, cost
    assert best_pos is not None
    return path[:best_pos] + [idx] + path[best_pos:]


# -- building the plan ------------------------------------------------------------------


def _build_plan(
    *,
    matrix: _Matrix,
    path: list[int],
    table: pd.DataFrame,
    start: WalkPoint,
    end: WalkPoint | None,
    round_trip: bool,
    end_index: int | None,
    m_per_min: float,
    speed_kmh: float,
    minutes_per_visit: float,
    time_budget_min: float | None,
    dropped: list[DroppedStop],
    exact: bool,
    notes: list[str],
) -> WalkPlan:
    dist = matrix.dist
    stop_path = [i for i in path[1:] if i != end_index]
    legs = [float(dist[path[k], path[k + 1]]) for k in range(len(stop_path))]
    cumulative = np.cumsum(legs) if legs else np.zeros(0)
    if end_index is not None:
        final_leg = float(dist[path[-2], end_index])
    elif round_trip and len(path) > 1:
        final_leg = float(dist[path[-1], 0])
    else:
        final_leg = 0.0
    total_m = float(cumulative[-1] if len(cumulative) else 0.0) + final_leg
    eta = cumulative / m_per_min + np.arange(len(stop_path)) * minutes_per_visit

    rows = table.iloc[[i - 1 for i in stop_path]].reset_index(drop=True)
    rows.insert(0, "order", np.arange(1, len(stop_path) + 1))
    rows["leg_m"] = legs
    rows["cumulative_m"] = cumulative
    rows["eta_min"] = eta
    rows["snap_m"] = matrix.snaps.snap_m[stop_path] if stop_path else np.zeros(0)
    front = [
        "order",
        "unit_id",
        "label",
        "priority",
        "leg_m",
        "cumulative_m",
        "eta_min",
        "snap_m",
        "lon",
        "lat",
    ]
    rows = rows[front + [c for c in rows.columns if c not in front]]
    stops_gdf = gpd.GeoDataFrame(
        rows, geometry=gpd.points_from_xy(rows["lon"], rows["lat"]), crs=settings.storage_crs
    )

    walk_path = list(path) + ([0] if round_trip and len(path) > 1 else [])
    coords = _join([matrix.leg_coords(a, b) for a, b in zip(walk_path[:-1], walk_path[1:], strict=True)])
    if len(coords) >= 2:
        lon, lat = matrix.net.to_lonlat.transform(coords[:, 0], coords[:, 1])
        route = LineString(np.column_stack([lon, lat]))
    else:
        route = LineString()

    walk_min = total_m / m_per_min
    visit_min = len(stop_path) * minutes_per_visit
    return WalkPlan(
        stops=stops_gdf,
        start=start,
        end=end,
        round_trip=round_trip,
        final_leg_m=final_leg,
        total_m=total_m,
        walk_min=walk_min,
        visit_min=visit_min,
        total_min=walk_min + visit_min,
        route=route,
        dropped=dropped,
        time_budget_min=time_budget_min,
        speed_kmh=speed_kmh,
        minutes_per_visit=minutes_per_visit,
        exact=exact,
        notes=notes,
    )


# -- input -----------------------------------------------------------------------------------


def _stop_table(stops: pd.DataFrame, priorities: Mapping[str, float] | pd.Series | None) -> pd.DataFrame:
    """unit_id, lon, lat, priority, label and the other columns of the stops, index 0 … n-1."""
    if not isinstance(stops, pd.DataFrame):
        raise InputError("Die Stopps müssen eine Tabelle (DataFrame) mit der Spalte „unit_id“ sein.")
    if "unit_id" not in stops.columns:
        raise InputError("Den Stopps fehlt die Spalte „unit_id“.")
    frame = pd.DataFrame(stops.drop(columns=[stops.geometry.name]) if _has_geometry(stops) else stops)
    frame = frame.reset_index(drop=True)
    ids = frame["unit_id"]
    if ids.isna().any():
        raise InputError(f"{int(ids.isna().sum())} Stopp(s) ohne unit_id.")
    frame["unit_id"] = ids.astype(str)
    repeated = sorted(set(frame["unit_id"][frame["unit_id"].duplicated()]))
    if repeated:
        raise InputError(f"Stopps mehrfach angegeben: {', '.join(repeated)}.")

    if _has_geometry(stops):
        geoms = stops.geometry
        if geoms.crs is None:
            geoms = geoms.set_crs(settings.storage_crs)
        geoms = geoms.to_crs(settings.storage_crs).to_numpy()
        bad = shapely.is_missing(geoms) | shapely.is_empty(geoms)
        lon = np.full(len(geoms), np.nan)
        lat = np.full(len(geoms), np.nan)
        if (~bad).any():
            lon[~bad], lat[~bad] = _point_xy(geoms[~bad])
    elif {"lon", "lat"} <= set(frame.columns):
        lon = pd.to_numeric(frame["lon"], errors="coerce").to_numpy(float)
        lat = pd.to_numeric(frame["lat"], errors="coerce").to_numpy(float)
    else:
        raise InputError("Den Stopps fehlt die Lage: Punktgeometrie oder Spalten „lon“ und „lat“.")
    missing = ~(np.isfinite(lon) & np.isfinite(lat))
    if missing.any():
        shown = ", ".join(frame["unit_id"][missing].tolist()[:10])
        raise InputError(f"Stopps ohne Lage (Koordinaten fehlen): {shown}.")
    frame["lon"] = lon
    frame["lat"] = lat

    if "priority" in frame.columns:
        prio = pd.to_numeric(frame["priority"], errors="coerce")
        bad = prio.isna() & frame["priority"].notna()
        if bad.any():
            shown = ", ".join(frame["unit_id"][bad].tolist()[:10])
            raise InputError(f"Priorität muss eine Zahl sein (höher = wichtiger); ungültig bei: {shown}.")
        prio = prio.fillna(0.0).astype(float)
    else:
        prio = pd.Series(0.0, index=frame.index)
    if priorities is not None:
        given = (
            pd.Series(priorities, dtype=float) if not isinstance(priorities, pd.Series) else priorities.copy()
        )
        given.index = given.index.astype(str)
        unknown = sorted(set(given.index) - set(frame["unit_id"]))
        if unknown:
            raise InputError(f"Prioritäten für unbekannte Stopps angegeben: {', '.join(unknown[:10])}.")
        mapped = frame["unit_id"].map(given)
        prio = mapped.astype(float).where(mapped.notna(), prio)
    frame["priority"] = prio.to_numpy(float)

    if "label" not in frame.columns:
        frame["label"] = _labels(frame)
    else:
        frame["label"] = frame["label"].where(frame["label"].notna(), _labels(frame)).astype(str)
    return frame


def _has_geometry(frame: pd.DataFrame) -> bool:
    return isinstance(frame, gpd.GeoDataFrame) and frame._geometry_column_name in frame.columns


def _labels(frame: pd.DataFrame) -> pd.Series:
    """``"Eisenbahnstraße 66"`` from street and house number, else the unit id."""
    if "street" not in frame.columns:
        return frame["unit_id"].astype(str)
    street = frame["street"].astype("string").str.strip()
    number = (
        frame["housenumber"].astype("string").str.strip()
        if "housenumber" in frame.columns
        else pd.Series(pd.NA, index=frame.index, dtype="string")
    )
    text = (street.fillna("") + " " + number.fillna("")).str.strip()
    return text.where(street.notna() & (text != ""), frame["unit_id"].astype(str)).astype(str)


def _resolve_point(value: Any, role: str, table: pd.DataFrame) -> WalkPoint:
    if isinstance(value, WalkPoint):
        return value
    if isinstance(value, str):
        from geo.places.areas import get_quarter

        quarter = get_quarter(value)
        return WalkPoint(quarter.office_name, quarter.office_lon, quarter.office_lat)
    if hasattr(value, "office_lon") and hasattr(value, "office_lat"):
        return WalkPoint(
            str(getattr(value, "office_name", role)), float(value.office_lon), float(value.office_lat)
        )
    if isinstance(value, Point):
        if value.is_empty:
            raise InputError(f"{role}: leerer Punkt.")
        return WalkPoint(role, float(value.x), float(value.y))
    try:
        lon, lat = (float(v) for v in value)
    except (TypeError, ValueError):
        raise InputError(
            f"{role} nicht verstanden: {value!r}. Erwartet wird (lon, lat), ein Punkt oder ein Quartiersname."
        ) from None
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise InputError(f"{role}: Koordinaten müssen endliche Zahlen sein, angegeben: {value!r}.")
    return WalkPoint(role, lon, lat)


def _role_label(role: str, point: WalkPoint) -> str:
    return role if point.name == role else f"{role} ({point.name})"


def _default_start(table: pd.DataFrame) -> WalkPoint:
    """The office of the stops' quarter, or of the quarter whose office is nearest to them."""
    from geo.places.areas import get_quarter, load_quarters

    if "quarter" in table.columns:
        named = {q for q in table["quarter"].dropna().astype(str) if q.strip()}
        if len(named) == 1:
            quarter = get_quarter(named.pop())
            return WalkPoint(quarter.office_name, quarter.office_lon, quarter.office_lat)
    quarters = list(load_quarters().values())
    if not len(table):
        q = quarters[0]
        return WalkPoint(q.office_name, q.office_lon, q.office_lat)
    to_metric = Transformer.from_crs(settings.storage_crs, settings.metric_crs, always_xy=True)
    sx, sy = to_metric.transform(table["lon"].to_numpy(float), table["lat"].to_numpy(float))
    cx, cy = float(np.mean(sx)), float(np.mean(sy))
    ox_, oy_ = to_metric.transform([q.office_lon for q in quarters], [q.office_lat for q in quarters])
    q = quarters[int(np.argmin(np.hypot(np.asarray(ox_) - cx, np.asarray(oy_) - cy)))]
    return WalkPoint(q.office_name, q.office_lon, q.office_lat)
