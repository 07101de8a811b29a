"""Force-directed positions for person graphs too big for the browser to lay out.

vis-network's own solver needs about a minute for 10,000 people and still leaves a
tangle; :func:`layout` computes ForceAtlas2's forces with numpy in a second or two, and
the page then draws the people where they are (see :mod:`celebgraph.viz`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import networkx as nx
import numpy as np

from celebgraph.graph import communities

SEED = 42
ITERATIONS = 150


def _near_pairs(
    pos: np.ndarray, reach: float, most: int = 2_000_000
) -> tuple[np.ndarray, np.ndarray]:
    """Index arrays ``i, j`` of the ordered pairs (i ≠ j) in the same or neighbouring
    squares of side ``reach``: every pair closer than ``reach``, and some more; none if
    there would be more than ``most`` (a crowd, early on: the grid's repulsion spreads it).
    """
    square = np.floor(pos / reach).astype(np.int64)
    square -= square.min(axis=0) - 1  # a free row and column all around
    width = int(square[:, 1].max()) + 2
    key = square[:, 0] * width + square[:, 1]
    order = np.argsort(key, kind="stable")
    count = np.bincount(key, minlength=(int(square[:, 0].max()) + 2) * width)
    first = np.cumsum(count) - count
    neighbours = np.array([dx * width + dy for dx in (-1, 0, 1) for dy in (-1, 0, 1)])
    near = (key + neighbours[:, None]).ravel()  # 9 rows of everybody's neighbour squares
    first, count = first[near], count[near]
    if count.sum() > most:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    i = np.repeat(np.tile(np.arange(len(pos)), 9), count)
    within = np.arange(len(i)) - np.repeat(np.cumsum(count) - count, count)
    j = order[np.repeat(first, count) + within]
    return i[i != j], j[i != j]


def layout(
    graph: nx.MultiDiGraph, groups: Iterable[Iterable[str]] | None = None,
    seed: int = SEED, iterations: int = ITERATIONS,
) -> dict[str, tuple[int, int]]:  # fmt: skip
    """Seeded force-directed positions in vis-network's pixels, for graphs too big to lay
    out in the browser: ForceAtlas2's forces (springs along links; every pair repelled in
    proportion to the product of their degrees + 1; gravity), the people of a community
    (``groups``, Louvain's by default) starting out together.

    The repulsion of all pairs is read off a potential computed on a grid with FFTs
    (particle-mesh) plus exact forces between people in the same or adjacent cells, so an
    iteration costs O(people + grid² log grid), not O(people²): 10,000 people take
    under two seconds.

    >>> G = nx.MultiDiGraph([("a", "b"), ("b", "c"), ("x", "y")])
    >>> pos = layout(G)
    >>> sorted(pos), pos == layout(G)
    (['a', 'b', 'c', 'x', 'y'], True)
    """
    nodes = sorted(graph)
    n = len(nodes)
    if n == 0:
        return {}
    index = {node: i for i, node in enumerate(nodes)}
    pairs = sorted({tuple(sorted((index[a], index[b]))) for a, b in graph.edges() if a != b})
    a, b = np.array(pairs, dtype=np.int64).reshape(-1, 2).T
    mass = np.bincount(a, minlength=n) + np.bincount(b, minlength=n) + 1.0
    groups = [list(g) for g in (communities(graph, seed=seed) if groups is None else groups)]
    grouped = {node for g in groups for node in g}
    groups.append([node for node in nodes if node not in grouped])
    # Start: communities on a sunflower spiral, largest in the middle, each a random disc.
    rng = np.random.default_rng(seed)
    pos = np.zeros((n, 2))
    placed = 0
    for k, members in enumerate(g for g in groups if g):
        at = np.array([index[m] for m in members])
        radius = math.sqrt(placed + len(at) / 2)
        turn = k * math.pi * (3 - math.sqrt(5))
        angle = rng.uniform(0, 2 * math.pi, len(at))
        disc = math.sqrt(len(at)) * np.sqrt(rng.uniform(0, 1, len(at)))
        pos[at, 0] = 2 * radius * math.cos(turn) + disc * np.cos(angle)
        pos[at, 1] = 2 * radius * math.sin(turn) + disc * np.sin(angle)
        placed += len(at)
    # The potential of unit masses, log distance (softened by a cell), in grid cells.
    size = int(min(512, max(64, 2 ** math.ceil(math.log2(2.5 * math.sqrt(n))))))
    offset = np.arange(2 * size)
    offset = np.where(offset < size, offset, offset - 2 * size) ** 2
    kernel = np.fft.rfft2(0.5 * np.log(offset[:, None] + offset[None, :] + 1.0))
    step_max = 0.1 * float(np.ptp(pos, axis=0).max()) + 1.0
    for _ in range(iterations):
        pos -= mass @ pos / mass.sum()
        low = pos.min(axis=0)
        cell = max(float(np.ptp(pos, axis=0).max()) / (size - 2), 1e-6)
        # cloud in cell: each person's mass shared among the 4 surrounding grid points
        u = (pos - low) / cell
        corner = np.minimum(np.floor(u).astype(np.int64), size - 2)
        fx, fy = (u - corner).T
        base = corner[:, 0] * size + corner[:, 1]
        share = ((base, (1 - fx) * (1 - fy)), (base + size, fx * (1 - fy)),
                 (base + 1, (1 - fx) * fy), (base + size + 1, fx * fy))  # fmt: skip
        density = sum(np.bincount(at, weights=w * mass, minlength=size * size) for at, w in share)
        field = np.fft.rfft2(density.reshape(size, size), s=(2 * size, 2 * size))
        potential = np.fft.irfft2(field * kernel, s=(2 * size, 2 * size))[:size, :size]
        gx, gy = (g.ravel() / cell for g in np.gradient(potential))
        force = np.zeros((n, 2))
        for at, w in share:
            force[:, 0] += w * gx[at]
            force[:, 1] += w * gy[at]
        force *= mass[:, None]
        # Within a cell the grid's repulsion fades (softened, and shared among grid
        # points): pairs that close get the rest, else twins (people with the same
        # links) would end up on the same spot.
        i, j = _near_pairs(pos, cell)
        apart = pos[i] - pos[j]
        r2 = np.maximum((apart**2).sum(axis=1), 1e-4 * cell * cell)
        rest = (r2 < cell * cell) * mass[i] * mass[j] * (1 / r2 - 1 / (r2 + cell * cell))
        for axis in (0, 1):
            force[:, axis] += np.bincount(i, weights=rest * apart[:, axis], minlength=n)
        pull = pos[b] - pos[a]
        for axis in (0, 1):
            force[:, axis] += np.bincount(a, weights=pull[:, axis], minlength=n)
            force[:, axis] -= np.bincount(b, weights=pull[:, axis], minlength=n)
        distance = np.hypot(pos[:, 0], pos[:, 1])[:, None]
        force -= mass[:, None] * pos / np.maximum(distance, 1e-9)
        move = force / mass[:, None]
        length = np.hypot(move[:, 0], move[:, 1])[:, None]
        pos += move * np.minimum(1.0, step_max / np.maximum(length, 1e-12))
        step_max *= 0.97  # cooling: big moves first, then the details
    # Pixels: people about 80 px apart on average, and the median link at least 100 px.
    pos -= pos.mean(axis=0)
    spread = math.sqrt(float((pos**2).sum(axis=1).mean()))
    scale = 80 * math.sqrt(n / (2 * math.pi)) / spread if spread > 0 else 1.0
    if len(a):
        scale = max(scale, 100 / max(float(np.median(np.hypot(*(pos[b] - pos[a]).T))), 1e-9))
    return {
        node: (round(x * scale), round(y * scale))
        for node, (x, y) in zip(nodes, pos.tolist(), strict=True)
    }
