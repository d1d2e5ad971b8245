"""Planning a walk: the order in which to visit units on foot, within a time budget, and the way there.

:func:`plan_walk` orders the stops (round trip back to the start, or one-way
to a fixed or open end) by their walking distances along the network
(:mod:`geo.walks.network`), fits them into a time budget by leaving out the
least important stops, and returns a :class:`geo.walks.plan.WalkPlan` with
distances, arrival times and the route along the streets.

The order is solved exactly for up to 12 stops and by iterated 2-opt/Or-opt
local search beyond (see :mod:`geo.walks._tsp`).

A walk starts at the office of its quarter (``data/quarters.toml``). Where the office's
address is not entered (``configured = false``), it starts at its first stop instead:
a one-way walk at the stop where the shortest walk begins, a round trip at its most
important stop (every stop of a round trip lies on the same loop), and the plan's
``start_note`` says so (:data:`FIRST_STOP_NOTE`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
from shapely.geometry import LineString

from geo import settings
from geo.errors import InputError
from geo.formats import fmt_number
from geo.walks import _tsp
from geo.walks._distances import _join, _Matrix, _network
from geo.walks._stop_input import _default_start, _resolve_point, _role_label, _stop_table
from geo.walks.plan import STREET_SEPARATOR, DroppedStop, WalkPlan, WalkPoint

__all__ = ["FIRST_STOP_NOTE", "plan_walk"]

#: Said on the plan, the page and the walk sheet when a walk starts at its first stop.
FIRST_STOP_NOTE: str = "Start am ersten Halt – Büroadresse nicht eingetragen"


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
        A quarter whose office address is not entered starts the walk at its
        first stop (see the module description).
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
    if end is not None and end_pt is None:
        raise InputError(f"Ziel: Die Büroadresse von „{end}“ ist nicht eingetragen (data/quarters.toml).")

    n = len(table)
    first_stop, anchor = start_pt is None, 0
    if start_pt is None:
        if n == 0:
            raise InputError("Ohne Büroadresse beginnt die Begehung am ersten Halt; es ist aber kein Stopp gewählt.")
        anchor = int(np.argmax(table["priority"].to_numpy(float)))
        start_pt = WalkPoint("Start", float(table["lon"].iloc[anchor]), float(table["lat"].iloc[anchor]))
    lon = np.concatenate([[start_pt.lon], table["lon"].to_numpy(float)])
    lat = np.concatenate([[start_pt.lat], table["lat"].to_numpy(float)])
    labels = [_role_label("Start", start_pt), *table["unit_id"]]
    if end_pt is not None:
        lon = np.append(lon, end_pt.lon)
        lat = np.append(lat, end_pt.lat)
        labels.append(_role_label("Ziel", end_pt))
    matrix = _Matrix(_network(G), lon, lat, labels, max_snap_m)
    dist = matrix.dist
    if first_stop and not round_trip:  # a free start: every stop may come first
        dist = dist.copy()
        dist[0, :] = dist[:, 0] = 0.0
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
        shown = ", ".join(d.label if d.label == d.unit_id else f"{d.label} ({d.unit_id})" for d in dropped)
        notes.append(
            f"{len(dropped)} von {n} Stopps passen nicht ins Zeitbudget von {fmt_number(time_budget_min)} "
            f"min und wurden weggelassen (geringste Dringlichkeit zuerst): {shown}."
        )
    start_note = None
    if first_stop:
        path, matrix, start_pt = _start_at_first_stop(
            path, table, lon, lat, labels, G, max_snap_m, round_trip=round_trip, anchor=anchor + 1
        )
        start_note = FIRST_STOP_NOTE
        notes.insert(0, f"{FIRST_STOP_NOTE}: Die Begehung beginnt bei {table['label'].iloc[path[1] - 1]}.")
    plan = _build_plan(
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
    plan.start_note = start_note
    return plan


def _start_at_first_stop(
    path: list[int],
    table: pd.DataFrame,
    lon: np.ndarray,
    lat: np.ndarray,
    labels: list[str],
    G: nx.MultiDiGraph,
    max_snap_m: float,
    *,
    round_trip: bool,
    anchor: int,
) -> tuple[list[int], _Matrix, WalkPoint]:
    """The walk moved to start at its first stop: the path, the distances from there, the start point.

    A one-way walk was solved with a free start (``path[1]`` is where it begins); a round
    trip was solved from the ``anchor`` stop's place and is turned to begin there (or at
    its first kept stop when the budget left the anchor out).
    """
    n = len(table)
    kept = [i for i in path[1:] if 1 <= i <= n]
    if not kept:
        raise InputError("Das Zeitbudget reicht für keinen einzigen Stopp.")
    first = anchor if round_trip and anchor in kept else kept[0]
    if round_trip:
        k = path.index(first)
        path = [0, first, *path[k + 1 :], *path[1:k]]
    lon, lat = lon.copy(), lat.copy()
    lon[0], lat[0] = float(table["lon"].iloc[first - 1]), float(table["lat"].iloc[first - 1])
    matrix = _Matrix(_network(G), lon, lat, labels, max_snap_m)
    return path, matrix, WalkPoint(f"erster Halt ({table['label'].iloc[first - 1]})", lon[0], lat[0])


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

    # put back what still fits, highest dropped priority first; a stop that does not fit even
    # on its own (too far for the budget) does not hold back the less urgent ones
    out = [idx for idx, _ in removed]
    bare = [0] + ([end_index] if end_index is not None else [])
    alone = {i: minutes(_cheapest_insertion(dist, bare, i, fixed_tail, round_trip)) for i in out}
    tiers = sorted({priority[i - 1] for i in out}, reverse=True)
    for tier in tiers:
        blocked = False
        for idx in [i for i in reversed(out) if priority[i - 1] == tier]:
            trial = _cheapest_insertion(dist, path, idx, fixed_tail, round_trip)
            if minutes(trial) <= budget + 1e-9:
                path = trial
                out.remove(idx)
                exact = False
            elif alone[idx] <= budget + 1e-9:
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
    labels = table["label"].astype(str).tolist()
    rankings = table["ranking"].tolist() if "ranking" in table.columns else [None] * len(table)
    dropped = []
    for i in out:
        p = priority[i - 1]
        shown = _priority_text(p)
        cost = (
            f"etwa {fmt_number(detours[i] / m_per_min + minutes_per_visit)} min: "
            f"Umweg {fmt_number(detours[i])} m und {fmt_number(minutes_per_visit)} min vor Ort"
        )
        if alone[i] > budget + 1e-9:
            way = "Hin- und Rückweg" if round_trip else "Weg"
            why = (
                f"Schon allein dauert er mit {way} und Besuch etwa {fmt_number(alone[i])} min: zu weit für "
                "dieses Zeitbudget; die weniger dringlichen Stopps, die passen, sind eingeplant."
            )
        elif not kept_prio:
            why = "Für keinen Stopp reicht die Zeit."
        elif p < min(kept_prio):
            why = (
                f"Seine Dringlichkeit ({shown}) ist niedriger als die aller eingeplanten Stopps "
                f"(ab {_priority_text(min(kept_prio))}); er hätte {cost} gekostet."
            )
        else:
            why = f"Unter den Stopps mit Dringlichkeit {shown} kostet er besonders viel Zeit ({cost})."
        ranking = rankings[i - 1]
        dropped.append(
            DroppedStop(
                unit_id=unit_ids[i - 1],
                priority=float(p),
                reason=f"Passt nicht ins Zeitbudget von {fmt_number(budget)} min. {why}",
                label=labels[i - 1],
                ranking=ranking if isinstance(ranking, str) else "",
                too_far=bool(alone[i] > budget + 1e-9),
            )
        )
    return path, exact, dropped


def _priority_text(value: float) -> str:
    return fmt_number(value, digits=0 if float(value).is_integer() else 1)


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
    rows["streets"] = [
        STREET_SEPARATOR.join(matrix.leg_streets(path[k], path[k + 1])) for k in range(len(stop_path))
    ]
    rows["decision"] = _decisions(rows["priority"].to_numpy(float), dropped, time_budget_min)
    if end_index is not None:
        final_streets = matrix.leg_streets(path[-2], end_index)
    elif round_trip and len(path) > 1:
        final_streets = matrix.leg_streets(path[-1], 0)
    else:
        final_streets = ()
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
        final_leg_streets=final_streets,
    )


def _decisions(priority: np.ndarray, dropped: list[DroppedStop], budget: float | None) -> list[str]:
    """Why each kept stop is in the walk (German)."""
    if budget is None:
        return ["eingeplant (ohne Zeitbudget)"] * len(priority)
    if not dropped:
        return [f"eingeplant: alle Stopps passen ins Zeitbudget von {fmt_number(budget)} min"] * len(priority)
    fitting = [d.priority for d in dropped if not d.too_far]
    if not fitting:
        return ["eingeplant: passt ins Zeitbudget (weggelassen sind nur Stopps, die allein zu weit sind)"] * len(
            priority
        )
    top, which = max(fitting), "weggelassenen Stopps" + (", die passen könnten," if len(fitting) < len(dropped) else "")
    return [
        f"eingeplant: Dringlichkeit {_priority_text(p)} höher als die aller {which} (bis {_priority_text(top)})"
        if p > top
        else f"eingeplant: Dringlichkeit {_priority_text(p)} wie weggelassene Stopps, aber weniger Umweg"
        for p in priority
    ]
