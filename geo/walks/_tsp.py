"""Order of visits on a distance matrix (travelling-salesman solver).

Private to :mod:`geo.walks.tour`. Three kinds of walks are solved, all on a
symmetric matrix of non-negative distances:

* round trip -- start at ``start``, visit every other node, return to ``start``;
* one-way with fixed end -- start at ``start``, end at ``end``;
* one-way with open end -- start at ``start``, end wherever is shortest.

All three are reduced to one problem, a shortest Hamiltonian *path* with
both ends fixed: a round trip ends at a copy of the start node, an open end
at a dummy node that is at distance 0 from everything.

That path is solved exactly with the Held–Karp dynamic programme (vectorised
over all subsets of one size at a time) for up to :data:`EXACT_MAX_STOPS`
stops between the ends, and otherwise by iterated local search: several
constructions (nearest neighbour, cheapest insertion, farthest insertion),
each improved by 2-opt and Or-opt (moving chains of 1–3 stops, also
reversed) until no move improves, then random double-bridge kicks from a
seeded generator, each followed by local search, keeping the best path. Every
move evaluates all candidates at once with numpy; the ends never move.

:func:`exact_milp` solves the same problem exactly as an integer programme
(scipy's HiGHS with lazily added subtour cuts); it is slow and there for
checking the heuristic in tests and benchmarks.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass

import numpy as np

#: Up to this many stops between the fixed ends the exact Held–Karp solver is used.
EXACT_MAX_STOPS: int = 12

#: Default time limit (seconds) of the kicks of the heuristic; reached only by large inputs.
TIME_LIMIT_S: float = 3.0

#: Held–Karp refuses more stops than this (memory grows with 2**k · k²).
HELD_KARP_LIMIT: int = 16

_EPS = 1e-9


@dataclass(frozen=True)
class Solution:
    """A solved walk.

    Attributes
    ----------
    order
        Node indices in visiting order. Starts with the start node; ends with
        the end node if one was fixed. A round trip does not repeat the start
        at the end.
    cost
        Length of the walk (for a round trip including the way back).
    exact
        Whether the order is proven optimal.
    """

    order: np.ndarray
    cost: float
    exact: bool


def walk_cost(dist: np.ndarray, order: np.ndarray | list[int], *, round_trip: bool) -> float:
    """Length of a walk through ``order`` (closed back to ``order[0]`` if ``round_trip``)."""
    order = np.asarray(order, dtype=np.int64)
    if len(order) < 2:
        return 0.0
    cost = float(dist[order[:-1], order[1:]].sum())
    if round_trip:
        cost += float(dist[order[-1], order[0]])
    return cost


def solve(
    dist: np.ndarray,
    *,
    start: int = 0,
    end: int | None = None,
    round_trip: bool = True,
    seed: int = 0,
    exact_max: int = EXACT_MAX_STOPS,
    kicks: int | None = None,
    time_limit_s: float | None = TIME_LIMIT_S,
) -> Solution:
    """Shortest walk through all nodes of a distance matrix.

    Parameters
    ----------
    dist
        Symmetric ``(n, n)`` matrix of finite, non-negative distances.
    start
        Index of the start node.
    end
        Index of the end node of a one-way walk; None for an open end.
        Must be None for a round trip.
    round_trip
        Return to ``start`` at the end.
    seed
        Seed of the random kicks of the heuristic; same input, same answer.
    exact_max
        Solve exactly (Held–Karp) when at most this many nodes lie between the
        fixed ends (at most :data:`HELD_KARP_LIMIT`).
    kicks
        Number of double-bridge kicks of the iterated local search; default
        grows with the number of nodes.
    time_limit_s
        Stop kicking after this many seconds (a guard for very large inputs:
        it is not reached below about 60 nodes, where the answer depends on
        ``seed`` only). None for no limit.

    Returns
    -------
    Solution
        Visiting order, its length and whether it is proven optimal.
    """
    dist = _check_matrix(dist)
    n = len(dist)
    if not 0 <= start < n:
        raise ValueError(f"start {start} out of range for {n} nodes")
    if round_trip and end is not None:
        raise ValueError("a round trip has no separate end")
    if end is not None and not (0 <= end < n and end != start):
        raise ValueError(f"end {end} must be a node other than start")

    aug, s, e = _as_fixed_path(dist, start, end, round_trip)
    k = len(aug) - 2
    if k <= min(exact_max, HELD_KARP_LIMIT):
        path = held_karp_path(aug, s, e)
        exact = True
    else:
        path = heuristic_path(aug, s, e, seed=seed, kicks=kicks, time_limit_s=time_limit_s)
        exact = False
    order = _strip_augmented(path, n, end, round_trip)
    return Solution(order=order, cost=walk_cost(dist, order, round_trip=round_trip), exact=exact)


def nearest_neighbour(
    dist: np.ndarray, *, start: int = 0, end: int | None = None, round_trip: bool = True
) -> np.ndarray:
    """Order of the plain nearest-neighbour rule (always walk to the closest unvisited node).

    The baseline the benchmark compares against; arguments as in :func:`solve`.
    """
    dist = _check_matrix(dist)
    aug, s, e = _as_fixed_path(dist, start, end, round_trip)
    return _strip_augmented(_nearest_neighbour_path(aug, s, e), len(dist), end, round_trip)


# -- reduction to a fixed-end path -------------------------------------------------


def _check_matrix(dist: np.ndarray) -> np.ndarray:
    dist = np.asarray(dist, dtype=np.float64)
    if dist.ndim != 2 or dist.shape[0] != dist.shape[1]:
        raise ValueError(f"distance matrix must be square, got shape {dist.shape}")
    if not np.isfinite(dist).all() or (dist < 0).any():
        raise ValueError("distances must be finite and non-negative")
    if not np.allclose(dist, dist.T, rtol=1e-9, atol=1e-6):
        raise ValueError("distance matrix must be symmetric")
    return dist


def _as_fixed_path(
    dist: np.ndarray, start: int, end: int | None, round_trip: bool
) -> tuple[np.ndarray, int, int]:
    """Matrix and ends of the equivalent fixed-end Hamiltonian path problem."""
    n = len(dist)
    if end is not None:
        return dist, start, end
    aug = np.zeros((n + 1, n + 1))
    aug[:n, :n] = dist
    if round_trip:  # node n is a copy of the start: the way back
        aug[n, :n] = dist[start]
        aug[:n, n] = dist[:, start]
        aug[start, n] = aug[n, start] = 0.0
    return aug, start, n  # open end: node n is at distance 0 from all


def _strip_augmented(path: np.ndarray, n: int, end: int | None, round_trip: bool) -> np.ndarray:
    if end is None:
        path = path[path < n]
    return np.asarray(path, dtype=np.int64)


# -- exact: Held–Karp ------------------------------------------------------------


def held_karp_path(dist: np.ndarray, s: int, e: int) -> np.ndarray:
    """Shortest path from ``s`` to ``e`` through all nodes, exactly (Held–Karp).

    Parameters
    ----------
    dist
        Square distance matrix (need not be symmetric).
    s
        Start node.
    e
        End node, different from ``s``.

    Returns
    -------
    numpy.ndarray
        All node indices in path order, ``s`` first and ``e`` last.
    """
    m = len(dist)
    inner = np.array([v for v in range(m) if v not in (s, e)], dtype=np.int64)
    k = len(inner)
    if k > HELD_KARP_LIMIT:
        raise ValueError(f"Held–Karp is limited to {HELD_KARP_LIMIT} inner nodes, got {k}")
    if k == 0:
        return np.array([s, e], dtype=np.int64)
    sub = dist[np.ix_(inner, inner)]  # sub[i, j]: from inner i to inner j
    n_masks = 1 << k
    bits = (1 << np.arange(k)).astype(np.int64)
    dp = np.full((n_masks, k), np.inf)
    parent = np.full((n_masks, k), -1, dtype=np.int8)
    dp[bits, np.arange(k)] = dist[s, inner]
    masks = np.arange(n_masks, dtype=np.int64)
    popcount = ((masks[:, None] & bits[None, :]) != 0).sum(axis=1)
    sub_t = sub.T[None, :, :]  # [., j, i] = cost i -> j
    for size in range(2, k + 1):
        layer = masks[popcount == size]
        # cand[., j, i]: reach i with the mask minus j, then step i -> j. If j is
        # not in the mask, mask ^ bit_j is a larger, not yet computed subset -> inf.
        cand = dp[layer[:, None] ^ bits[None, :]] + sub_t
        best = np.argmin(cand, axis=2)
        dp[layer] = np.take_along_axis(cand, best[:, :, None], axis=2)[:, :, 0]
        parent[layer] = best
    full = n_masks - 1
    j = int(np.argmin(dp[full] + dist[inner, e]))
    rev = [e]
    mask = full
    while j >= 0:
        rev.append(int(inner[j]))
        prev = int(parent[mask, j])
        mask ^= 1 << j
        j = prev
    rev.append(s)
    return np.array(rev[::-1], dtype=np.int64)


# -- heuristic: constructions + iterated 2-opt / Or-opt ----------------------------------


def heuristic_path(
    dist: np.ndarray,
    s: int,
    e: int,
    *,
    seed: int = 0,
    kicks: int | None = None,
    time_limit_s: float | None = TIME_LIMIT_S,
) -> np.ndarray:
    """Short path from ``s`` to ``e`` through all nodes (iterated local search).

    Parameters
    ----------
    dist
        Symmetric square distance matrix.
    s
        Start node.
    e
        End node, different from ``s``.
    seed
        Seed of the kicks.
    kicks
        Number of double-bridge kicks; default ``min(2000, 30 + 12 · n)``.
    time_limit_s
        Stop kicking after this many seconds; None for no limit.

    Returns
    -------
    numpy.ndarray
        All node indices in path order, ``s`` first and ``e`` last.
    """
    m = len(dist)
    if m <= 3:
        inner = [v for v in range(m) if v not in (s, e)]
        return np.array([s, *inner, e], dtype=np.int64)
    deadline = None if time_limit_s is None else time.perf_counter() + time_limit_s
    rng = np.random.default_rng(seed)
    starts = [
        _nearest_neighbour_path(dist, s, e),
        _insertion_path(dist, s, e, farthest=False),
        _insertion_path(dist, s, e, farthest=True),
    ]
    best = None
    best_cost = np.inf
    for path in starts:
        path = local_search(dist, path)
        cost = _path_cost(dist, path)
        if cost < best_cost - _EPS:
            best, best_cost = path, cost
    assert best is not None
    if m < 8:  # too few inner nodes for a double bridge; 2-opt/Or-opt is near exhaustive here
        return best
    n_kicks = min(2000, 30 + 12 * m) if kicks is None else kicks
    current, current_cost = best, best_cost
    for _ in range(n_kicks):
        if deadline is not None and time.perf_counter() > deadline:
            break
        cand = local_search(dist, _double_bridge(current, rng))
        cost = _path_cost(dist, cand)
        if cost < current_cost - _EPS:
            current, current_cost = cand, cost
            if cost < best_cost - _EPS:
                best, best_cost = cand, cost
    return best


def local_search(dist: np.ndarray, path: np.ndarray) -> np.ndarray:
    """Improve a fixed-end path by 2-opt and Or-opt moves until none improves.

    Each round evaluates every 2-opt move (reverse a stretch) and every Or-opt
    move (move a chain of 1–3 nodes elsewhere, either way round) and makes the
    single best one. The first and last node stay in place.

    Parameters
    ----------
    dist
        Symmetric square distance matrix.
    path
        Node indices; the ends are kept.

    Returns
    -------
    numpy.ndarray
        The improved path (a new array).
    """
    path = np.array(path, dtype=np.int64)
    m = len(path)
    if m < 4:
        return path
    while True:
        # distances by position in the path: every move below reads slices of it
        pos = dist[np.ix_(path, path)]
        w = np.diagonal(pos, 1)  # w[e]: length of edge e = (path[e], path[e + 1])
        move2, gain2 = _best_two_opt(pos, w)
        move3, gain3 = _best_or_opt(pos, w)
        if max(gain2, gain3) <= 1e-7:
            return path
        if gain2 >= gain3:
            i, j = move2
            path[i + 1 : j + 1] = path[i + 1 : j + 1][::-1]
        else:
            path = _apply_or_opt(path, *move3)


def _best_two_opt(pos: np.ndarray, w: np.ndarray) -> tuple[tuple[int, int], float]:
    # reversing path[i+1 .. j] swaps edges (i, i+1), (j, j+1) for (i, j), (i+1, j+1)
    delta = pos[:-1, :-1] + pos[1:, 1:] - w[:, None] - w[None, :]
    delta = np.triu(delta, k=2)  # j >= i + 2 (j = i + 1 changes nothing)
    flat = int(np.argmin(delta))
    i, j = divmod(flat, len(w))
    return (i, j), -float(delta[i, j])


@functools.lru_cache(maxsize=256)
def _chain_touches(m: int, length: int) -> np.ndarray:
    """``[r, e]``: edge ``e`` touches or lies inside the chain starting at position ``r + 1``."""
    rows = np.arange(m - length - 1)[:, None]
    edges = np.arange(m - 1)[None, :]
    return (edges >= rows) & (edges <= rows + length)


def _best_or_opt(pos: np.ndarray, w: np.ndarray) -> tuple[tuple[int, int, int, bool], float]:
    m = len(pos)
    n_edges = m - 1
    best_gain = 0.0
    best_move = (0, 0, 0, False)
    for length in (1, 2, 3):
        n_chains = m - length - 1  # chains path[s : s + length] for s = 1 .. m - length - 1
        if n_chains <= 0:
            break
        first = pos[1 : m - length]  # row s: distances from the chain's first node
        last = pos[length : m - 1]  # row s: distances from the chain's last node
        removal = w[:n_chains] + w[length : length + n_chains] - np.diagonal(pos, length + 1)[:n_chains]
        bad = _chain_touches(m, length)
        gain = removal[:, None] - (first[:, :-1] + last[:, 1:] - w[None, :])
        gain[bad] = -np.inf
        k = int(np.argmax(gain))
        if gain.flat[k] > best_gain:
            r, c = divmod(k, n_edges)
            best_gain, best_move = float(gain.flat[k]), (r + 1, length, c, False)
        if length > 1:
            gain = removal[:, None] - (last[:, :-1] + first[:, 1:] - w[None, :])
            gain[bad] = -np.inf
            k = int(np.argmax(gain))
            if gain.flat[k] > best_gain:
                r, c = divmod(k, n_edges)
                best_gain, best_move = float(gain.flat[k]), (r + 1, length, c, True)
    return best_move, best_gain


def _apply_or_opt(path: np.ndarray, s: int, length: int, edge: int, reverse: bool) -> np.ndarray:
    chain = path[s : s + length]
    if reverse:
        chain = chain[::-1]
    if edge < s:  # insert between path[edge] and path[edge + 1]
        return np.concatenate([path[: edge + 1], chain, path[edge + 1 : s], path[s + length :]])
    return np.concatenate([path[:s], path[s + length : edge + 1], chain, path[edge + 1 :]])


def _double_bridge(path: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Cut the inner part into four stretches A B C D and join them as A C B D."""
    inner = len(path) - 2
    cuts = np.sort(rng.choice(np.arange(1, inner), size=3, replace=False)) + 1
    p, q, r = (int(c) for c in cuts)
    return np.concatenate([path[:p], path[q:r], path[p:q], path[r:]])


def _path_cost(dist: np.ndarray, path: np.ndarray) -> float:
    return float(dist[path[:-1], path[1:]].sum())


def _nearest_neighbour_path(dist: np.ndarray, s: int, e: int) -> np.ndarray:
    m = len(dist)
    free = np.ones(m, dtype=bool)
    free[[s, e]] = False
    path = [s]
    cur = s
    for _ in range(m - 2):
        row = np.where(free, dist[cur], np.inf)
        cur = int(np.argmin(row))
        free[cur] = False
        path.append(cur)
    path.append(e)
    return np.array(path, dtype=np.int64)


def _insertion_path(dist: np.ndarray, s: int, e: int, *, farthest: bool) -> np.ndarray:
    """Cheapest or farthest insertion, starting from the bare path ``s -> e``."""
    m = len(dist)
    path = [s, e]
    free = np.ones(m, dtype=bool)
    free[[s, e]] = False
    near = np.minimum(dist[s], dist[e])  # distance of each node to the path so far
    for _ in range(m - 2):
        cand = np.flatnonzero(free)
        p = np.array(path)
        a, b = p[:-1], p[1:]
        extra = dist[a[None, :], cand[:, None]] + dist[cand[:, None], b[None, :]] - dist[a, b][None, :]
        if farthest:
            r = int(np.argmax(near[cand]))
            pos = int(np.argmin(extra[r]))
        else:
            r, pos = divmod(int(np.argmin(extra)), len(a))
        v = int(cand[r])
        path.insert(pos + 1, v)
        free[v] = False
        near = np.minimum(near, dist[v])
    return np.array(path, dtype=np.int64)


# -- exact, for checking: integer programme ------------------------------------------


def exact_milp(
    dist: np.ndarray,
    *,
    start: int = 0,
    end: int | None = None,
    round_trip: bool = True,
    time_limit_s: float = 120.0,
) -> Solution:
    """Optimal walk by integer programming (for tests and benchmarks only).

    The fixed-end path is closed into a tour by forcing the edge end–start;
    the tour is found with scipy's MILP solver (HiGHS) on the degree
    constraints, adding a subtour-elimination cut for every subtour of a
    solution until the solution is one tour. Arguments as in :func:`solve`.

    Parameters
    ----------
    dist
        Symmetric distance matrix.
    start
        Index of the start node.
    end
        Index of the end node of a one-way walk, None for an open end.
    round_trip
        Return to ``start``.
    time_limit_s
        Time limit of each MILP solve.

    Returns
    -------
    Solution
        The optimal order (``exact`` True).
    """
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    dist = _check_matrix(dist)
    n = len(dist)
    aug, s, e = _as_fixed_path(dist, start, end, round_trip)
    m = len(aug)
    if m <= 3:
        path = heuristic_path(aug, s, e)
        order = _strip_augmented(path, n, end, round_trip)
        return Solution(order, walk_cost(dist, order, round_trip=round_trip), True)
    iu, ju = np.triu_indices(m, k=1)
    n_var = len(iu)
    cost = aug[iu, ju]
    lower = np.zeros(n_var)
    closing = np.flatnonzero((iu == min(s, e)) & (ju == max(s, e)))
    lower[closing] = 1.0
    rows = np.concatenate([iu, ju])
    cols = np.concatenate([np.arange(n_var), np.arange(n_var)])
    degree = coo_matrix((np.ones(2 * n_var), (rows, cols)), shape=(m, n_var)).tocsr()
    constraints = [LinearConstraint(degree, 2, 2)]
    while True:
        res = milp(
            cost,
            integrality=np.ones(n_var),
            bounds=Bounds(lower, np.ones(n_var)),
            constraints=constraints,
            options={"time_limit": time_limit_s},
        )
        if res.x is None:  # pragma: no cover - only on solver failure
            raise RuntimeError(f"MILP failed: {res.message}")
        chosen = res.x > 0.5
        graph = coo_matrix((np.ones(chosen.sum()), (iu[chosen], ju[chosen])), shape=(m, m))
        n_comp, label = connected_components(graph, directed=False)
        if n_comp == 1:
            break
        for c in range(n_comp):
            inside = label == c
            row = (inside[iu] & inside[ju]).astype(float)  # edges within the subset
            constraints.append(LinearConstraint(row[None, :], -np.inf, inside.sum() - 1))
    # walk the tour from s, leaving over the non-closing neighbour
    nbrs: dict[int, list[int]] = {v: [] for v in range(m)}
    for a_, b_ in zip(iu[chosen], ju[chosen], strict=True):
        nbrs[int(a_)].append(int(b_))
        nbrs[int(b_)].append(int(a_))
    tour = [s]
    prev, cur = e, s
    while cur != e:
        nxt = nbrs[cur][0] if nbrs[cur][0] != prev else nbrs[cur][1]
        prev, cur = cur, nxt
        tour.append(cur)
    order = _strip_augmented(np.array(tour), n, end, round_trip)
    return Solution(order, walk_cost(dist, order, round_trip=round_trip), True)
