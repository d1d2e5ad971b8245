"""The visiting-order solver: exact against brute force, heuristic against exact."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from geo.walks import _tsp

MODES = {
    "round_trip": {"round_trip": True, "end": None},
    "open_end": {"round_trip": False, "end": None},
    "fixed_end": {"round_trip": False, "end": "last"},
}


def euclidean(n: int, seed: int) -> np.ndarray:
    pts = np.random.default_rng(seed).random((n, 2)) * 1000
    return np.sqrt(((pts[:, None] - pts[None]) ** 2).sum(-1))


def manhattan(n: int, seed: int) -> np.ndarray:
    """Grid-like distances: many equal lengths, as on a street grid."""
    pts = np.round(np.random.default_rng(seed).random((n, 2)) * 20) * 50
    return np.abs(pts[:, None] - pts[None]).sum(-1)


def mode_args(mode: str, n: int) -> dict:
    args = dict(MODES[mode])
    if args["end"] == "last":
        args["end"] = n - 1
    return args


def brute_force(dist: np.ndarray, *, start: int, end: int | None, round_trip: bool) -> float:
    n = len(dist)
    inner = [v for v in range(n) if v not in (start, end)]
    best = np.inf
    for perm in itertools.permutations(inner):
        order = [start, *perm] + ([end] if end is not None else [])
        best = min(best, _tsp.walk_cost(dist, order, round_trip=round_trip))
    return best


def assert_valid(order: np.ndarray, n: int, *, start: int, end: int | None) -> None:
    assert sorted(order.tolist()) == list(range(n))
    assert order[0] == start
    if end is not None:
        assert order[-1] == end


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("metric", [euclidean, manhattan])
def test_small_instances_match_brute_force(mode, metric):
    for seed in range(12):
        n = 2 + seed % 8  # 2 … 9 nodes
        dist = metric(n, seed)
        args = mode_args(mode, n)
        if args["end"] == 0:  # n == 1 has no separate end
            continue
        start = seed % n if args["end"] is None else 0
        best = brute_force(dist, start=start, **args)
        sol = _tsp.solve(dist, start=start, **args)
        assert sol.exact
        assert_valid(sol.order, n, start=start, end=args["end"])
        assert sol.cost == pytest.approx(best, abs=1e-6)
        assert _tsp.walk_cost(dist, sol.order, round_trip=args["round_trip"]) == pytest.approx(sol.cost)
        heur = _tsp.solve(dist, start=start, exact_max=0, **args)
        assert not heur.exact or n <= 2
        assert_valid(heur.order, n, start=start, end=args["end"])
        assert heur.cost <= best * 1.03 + 1e-9


def test_held_karp_handles_asymmetric_distances():
    rng = np.random.default_rng(7)
    for n in range(3, 9):
        dist = rng.random((n, n)) * 100
        np.fill_diagonal(dist, 0)
        path = _tsp.held_karp_path(dist, 0, n - 1)
        assert path[0] == 0 and path[-1] == n - 1
        assert _tsp.walk_cost(dist, path, round_trip=False) == pytest.approx(
            brute_force(dist, start=0, end=n - 1, round_trip=False)
        )


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("n", [14, 15, 16])
def test_heuristic_within_three_percent_of_held_karp(mode, n):
    for seed in range(2):
        dist = (euclidean if seed == 0 else manhattan)(n, 100 * n + seed)
        args = mode_args(mode, n)
        exact = _tsp.solve(dist, exact_max=_tsp.HELD_KARP_LIMIT, **args)
        assert exact.exact
        heur = _tsp.solve(dist, exact_max=0, **args)
        assert not heur.exact
        assert_valid(heur.order, n, start=0, end=args["end"])
        assert heur.cost >= exact.cost - 1e-6
        assert heur.cost <= exact.cost * 1.03


@pytest.mark.parametrize("mode", list(MODES))
def test_forty_stops_within_three_percent_of_optimum(mode):
    n = 41  # start + 40 stops (+ the end is one of them in the fixed-end mode)
    for seed in range(2):
        dist = (euclidean if seed == 0 else manhattan)(n, 4000 + seed)
        args = mode_args(mode, n)
        heur = _tsp.solve(dist, **args)
        assert_valid(heur.order, n, start=0, end=args["end"])
        optimum = _tsp.exact_milp(dist, **args)
        assert_valid(optimum.order, n, start=0, end=args["end"])
        assert heur.cost >= optimum.cost - 1e-6
        assert heur.cost <= optimum.cost * 1.03
        # and far better than the nearest-neighbour rule it starts from
        nn = _tsp.walk_cost(dist, _tsp.nearest_neighbour(dist, **args), round_trip=args["round_trip"])
        assert heur.cost <= nn


def test_forty_stops_no_worse_than_other_seeds():
    dist = euclidean(40, 77)
    costs = [_tsp.solve(dist, seed=s, kicks=150).cost for s in range(1, 6)]
    assert _tsp.solve(dist).cost <= min(costs) * 1.01


def test_fixed_start_and_end_are_kept():
    dist = euclidean(30, 5)
    for start, end in [(0, 29), (12, 3), (29, 0)]:
        sol = _tsp.solve(dist, start=start, end=end, round_trip=False)
        assert sol.order[0] == start and sol.order[-1] == end
        sol = _tsp.solve(dist, start=start, round_trip=False)
        assert sol.order[0] == start
        sol = _tsp.solve(dist, start=start, round_trip=True)
        assert sol.order[0] == start and len(sol.order) == 30


def test_local_search_keeps_ends_and_never_worsens():
    dist = euclidean(25, 9)
    rng = np.random.default_rng(0)
    for _ in range(5):
        path = np.concatenate([[0], rng.permutation(np.arange(1, 24)), [24]])
        better = _tsp.local_search(dist, path)
        assert better[0] == 0 and better[-1] == 24
        assert sorted(better.tolist()) == list(range(25))
        assert _tsp.walk_cost(dist, better, round_trip=False) <= _tsp.walk_cost(dist, path, round_trip=False)


def test_solution_is_deterministic():
    dist = euclidean(35, 11)
    a = _tsp.solve(dist, round_trip=False)
    b = _tsp.solve(dist, round_trip=False)
    assert a.order.tolist() == b.order.tolist()


def test_trivial_sizes():
    assert _tsp.solve(np.zeros((1, 1))).order.tolist() == [0]
    two = np.array([[0.0, 5.0], [5.0, 0.0]])
    assert _tsp.solve(two).cost == 10.0
    assert _tsp.solve(two, round_trip=False).cost == 5.0
    assert _tsp.solve(two, end=1, round_trip=False).order.tolist() == [0, 1]


def test_invalid_input_is_refused():
    with pytest.raises(ValueError, match="symmetric"):
        _tsp.solve(np.array([[0.0, 1.0], [2.0, 0.0]]))
    with pytest.raises(ValueError, match="round trip"):
        _tsp.solve(euclidean(4, 0), end=3, round_trip=True)
    with pytest.raises(ValueError, match="other than start"):
        _tsp.solve(euclidean(4, 0), start=2, end=2, round_trip=False)
    with pytest.raises(ValueError, match="finite"):
        _tsp.solve(np.array([[0.0, np.inf], [np.inf, 0.0]]))
    with pytest.raises(ValueError, match="limited"):
        _tsp.held_karp_path(euclidean(_tsp.HELD_KARP_LIMIT + 3, 0), 0, 1)
