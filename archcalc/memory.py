"""Peak live activation memory by the liveness rule of DESIGN.md.

Execute in document order; a tensor is live from the step that produces it
until its last consumer has run; the network input counts; no in-place reuse.
Peak = the largest sum of live tensors at any step, the step's own output
included. The executor frees by the same rule and measures the same quantity.

The input (8) and ``a`` (4) are live together at step 1; the input is then freed:

>>> peak_elements([("a", 4, ["input"]), ("b", 2, ["a"]), ("c", 4, ["a", "b"])], 8)
(12, 'a')
"""

from __future__ import annotations

from typing import Any

DTYPE_BYTES = {"fp32": 4, "fp16": 2, "bf16": 2, "int8": 1}
#: optimizer -> fp32 state tensors per parameter (training memory: archcalc.training)
OPTIMIZERS = {"sgd": 0, "sgd-momentum": 1, "adam": 2, "adamw": 2}


def last_uses(steps: list[tuple[str, object, list[str]]], graph: Any = None) -> dict[str, int]:
    """Step index (1-based; the input is step 0) after which each tensor can be freed.

    With the layer DiGraph (``Network.graph``: nodes carry their step as ``order``) the last
    consumer of a tensor is its successor of highest order, read from the graph. Without it
    (``archcalc cost``, which does not import networkx) one pass over ``steps`` finds the same.

    >>> last_uses([("a", 4, ["input"]), ("b", 2, ["a"]), ("c", 4, ["a", "b"])])
    {'input': 1, 'a': 3, 'b': 3, 'c': 3}
    """
    if graph is not None:
        order = graph.nodes(data="order")
        return {n: max((order[s] for s in graph.succ[n]), default=order[n]) for n in graph}
    last = {"input": 0}
    for t, (name, _, inputs) in enumerate(steps, start=1):
        last[name] = t
        for src in inputs:
            last[src] = t
    return last


def live_elements(steps: list[tuple[str, object, list[str]]], input_elements, graph: Any = None) -> list:
    """Live elements at the input and during each step (the step's own output included);
    ``graph``: the layer DiGraph of ``steps``, for :func:`last_uses`.

    >>> live_elements([("a", 4, ["input"]), ("b", 2, ["a"]), ("c", 4, ["a", "b"])], 8)
    [8, 12, 6, 10]
    """
    last = last_uses(steps, graph)
    size = {"input": input_elements}
    frees: list[list[str]] = [[] for _ in range(len(steps) + 1)]  #: step -> tensors freed after it
    for name, t in last.items():
        frees[t].append(name)
    live = input_elements
    curve = [input_elements]
    for name in frees[0]:
        live -= size[name]
    for t, (name, elems, _) in enumerate(steps, start=1):
        size[name] = elems
        live += elems
        curve.append(live)
        for gone in frees[t]:
            live -= size[gone]
    return curve


def peak_elements(steps: list[tuple[str, object, list[str]]], input_elements, graph: Any = None) -> tuple[object, str]:
    """(peak live elements, name of the step where it is first reached) for (name, size, inputs) steps."""
    curve = live_elements(steps, input_elements, graph)
    at = curve.index(max(curve))  # the first step where the peak is reached
    return curve[at], "input" if at == 0 else steps[at - 1][0]
