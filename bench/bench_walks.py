"""Benchmark: planning a 40-stop walk on a synthetic walking network of about 5 km².

Writes a synthetic OSM grid (45 × 45 crossings, 50 m apart, with gaps,
diagonal footways and one-way streets; see ``geo.osm._synthetic``), loads it
(timed separately), then plans walks for several random sets of stops and
reports the planning time (snapping, distance matrix, solving, route
geometry), split into its parts, and the quality of the order: the walking
distance against the plain nearest-neighbour order and against the proven
optimum (integer programme, where it finishes).

Target (issue 5): 40 stops planned in under 2 s on a 2-core machine, within
3 % of the optimum.

Run: ``./dev bench`` or ``.venv/bin/python bench/bench_walks.py [--stops N] [--sets K]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from geo import settings  # noqa: E402
from geo.osm._synthetic import write_grid_osm  # noqa: E402
from geo.places.areas import get_quarter  # noqa: E402
from geo.walks import _distances, _tsp  # noqa: E402
from geo.walks import network as walks  # noqa: E402
from geo.walks.tour import plan_walk  # noqa: E402

MODES = {
    "Rundgang": {"round_trip": True, "end": None},
    "offenes Ende": {"round_trip": False, "end": None},
    "festes Ziel": {"round_trip": False, "end": "corner"},
}


def random_stops(bounds: tuple[float, float, float, float], n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    lon0, lat0, lon1, lat1 = bounds
    return pd.DataFrame(
        {
            "unit_id": [f"B{seed:02d}-{i:03d}" for i in range(n)],
            "lon": rng.uniform(lon0, lon1, n),
            "lat": rng.uniform(lat0, lat1, n),
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stops", type=int, default=40)
    parser.add_argument("--sets", type=int, default=5, help="random sets of stops per mode")
    parser.add_argument("--grid", type=int, default=45, help="crossings per side")
    parser.add_argument("--spacing", type=float, default=50.0, help="metres between crossings")
    parser.add_argument("--no-exact", action="store_true", help="skip the integer-programme optimum")
    args, _ = parser.parse_known_args()  # ./dev bench passes its arguments to every benchmark

    office = get_quarter("leipziger-osten")
    start = (office.office_lon, office.office_lat)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        grid = write_grid_osm(Path(tmp) / "grid.osm", nx=args.grid, ny=args.grid, spacing_m=args.spacing)
        t_write = time.perf_counter() - t0
        t0 = time.perf_counter()
        G = walks.load_walk_graph(grid.path)
        t_load = time.perf_counter() - t0
    side_km = (args.grid - 1) * args.spacing / 1000
    print(
        f"network: {args.grid} × {args.grid} grid, {side_km:.2f} km × {side_km:.2f} km = {side_km**2:.1f} km², "
        f"{grid.n_ways} ways ({len(grid.oneway_ways)} one-way); graph {len(G):,} nodes, {G.number_of_edges():,} edges"
    )
    print(f"{'write synthetic .osm':<38} {t_write:8.3f} s")
    print(f"{'load graph (not part of planning)':<38} {t_load:8.3f} s")
    print(
        f"start: {office.office_name} ({start[0]}, {start[1]}); {args.stops} stops per walk, {args.sets} sets\n"
    )

    # first plan on the fresh graph, parts timed one by one (the street index is built here once)
    stops = random_stops(grid.bounds, args.stops, 0)
    t0 = time.perf_counter()
    net = _distances._network(G)
    t_index = time.perf_counter() - t0
    lon = np.concatenate([[start[0]], stops["lon"]])
    lat = np.concatenate([[start[1]], stops["lat"]])
    t0 = time.perf_counter()
    matrix = _distances._Matrix(net, lon, lat, ["Start", *stops["unit_id"]], settings.walk_max_snap_m)
    t_matrix = time.perf_counter() - t0
    t0 = time.perf_counter()
    _tsp.solve(matrix.dist)
    t_solve = time.perf_counter() - t0
    t0 = time.perf_counter()
    plan = plan_walk(G, stops, start=start)
    t_plan_warm = time.perf_counter() - t0
    print("planning parts, first walk on the loaded graph:")
    print(f"  {'street index (once per graph)':<36} {t_index:8.3f} s")
    print(f"  {'snapping + distance matrix':<36} {t_matrix:8.3f} s")
    print(f"  {'solving the order':<36} {t_solve:8.3f} s")
    route_etc = max(t_plan_warm - t_matrix - t_solve, 0.0)
    print(f"  {'route geometry + table (rest)':<36} {route_etc:8.3f} s")
    t_cold = t_index + t_plan_warm
    print(f"  {'whole plan_walk, cold':<36} {t_cold:8.3f} s   ({plan.summary})\n")

    header = f"{'mode':<14} {'set':>3} {'plan s':>7} {'km':>6} {'vs NN':>7} {'vs opt':>7} {'opt s':>6}"
    print(header)
    print("-" * len(header))
    times: list[float] = []
    ratios_opt: list[float] = []
    ratios_nn: list[float] = []
    corner = (grid.bounds[0], grid.bounds[3])  # north-west corner of the grid
    for mode, mode_opts in MODES.items():
        for k in range(args.sets):
            stops = random_stops(grid.bounds, args.stops, k)
            end = corner if mode_opts["end"] == "corner" else None
            t0 = time.perf_counter()
            plan = plan_walk(G, stops, start=start, end=end, round_trip=mode_opts["round_trip"])
            dt = time.perf_counter() - t0
            times.append(dt)
            # the same matrix again (cheap), for the reference orders
            points = [start, *zip(stops["lon"], stops["lat"], strict=True)] + ([end] if end else [])
            mat = walks.distance_matrix(G, points)
            opts = {"round_trip": mode_opts["round_trip"], "end": len(points) - 1 if end else None}
            nn_m = _tsp.walk_cost(mat, _tsp.nearest_neighbour(mat, **opts), round_trip=opts["round_trip"])
            ratios_nn.append(plan.total_m / nn_m)
            opt_text, opt_s = "", ""
            if not args.no_exact:
                t0 = time.perf_counter()
                best = _tsp.exact_milp(mat, time_limit_s=60, **opts)
                opt_s = f"{time.perf_counter() - t0:6.1f}"
                ratios_opt.append(plan.total_m / best.cost)
                opt_text = f"{plan.total_m / best.cost:7.4f}"
            print(
                f"{mode:<14} {k:>3} {dt:7.3f} {plan.total_m / 1000:6.2f} {plan.total_m / nn_m:7.3f} "
                f"{opt_text:>7} {opt_s:>6}"
            )
    print()
    stops = random_stops(grid.bounds, args.stops, 0)
    stops["priority"] = np.arange(args.stops) % 3
    t0 = time.perf_counter()
    plan = plan_walk(G, stops, start=start, time_budget_min=240)
    t_budget = time.perf_counter() - t0
    times.append(t_budget)
    print(
        f"with a 240 min budget and priorities 0/1/2: {t_budget:.3f} s, {len(plan.stops)} stops kept, "
        f"{len(plan.dropped)} dropped, {plan.total_min:.0f} min planned"
    )
    print(f"planning time per walk (warm): mean {np.mean(times):.3f} s, max {max(times):.3f} s")
    print(f"distance vs nearest-neighbour order: mean {np.mean(ratios_nn):.3f}, worst {max(ratios_nn):.3f}")
    if ratios_opt:
        print(f"distance vs optimum: mean {np.mean(ratios_opt):.4f}, worst {max(ratios_opt):.4f}")
    slow = max(max(times), t_cold) >= 2.0
    off = bool(ratios_opt) and max(ratios_opt) > 1.03
    print(
        "targets: planning < 2 s:",
        "met" if not slow else "MISSED",
        f"(cold {t_cold:.2f} s, warm max {max(times):.2f} s)",
        "| within 3 % of optimum:",
        ("met" if not off else "MISSED") if ratios_opt else "not checked",
    )


if __name__ == "__main__":
    main()
