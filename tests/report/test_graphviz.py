"""archcalc.report.graphviz: the collapsed graph is the quotient of the layer DiGraph."""

from __future__ import annotations

import pytest

nx = pytest.importorskip("networkx")

from archcalc.api import analyze  # noqa: E402
from archcalc.report.graphviz import INPUT, contract, nodes_and_edges  # noqa: E402


@pytest.mark.parametrize("spec, variant", [("resnet", "50"), ("densenet", "121"), ("efficientnet", "b0")])
def test_collapse_is_networkx_quotient(spec, variant):
    a = analyze(spec, variant=variant, resolution=64)
    g = a.network.graph
    owner = {INPUT: INPUT} | {lay.name: lay.blocks[0] if lay.blocks else lay.name for lay in a.network.layers}
    blocks: dict[str, set] = {}
    for n in g:
        blocks.setdefault(owner[n], set()).add(n)
    # networkx's own quotient (quadratic in blocks, fine at this size) is the independent answer
    q = nx.quotient_graph(g, list(blocks.values()), create_using=nx.DiGraph)
    name = {frozenset(b): k for k, b in blocks.items()}
    expected = {(name[u], name[v]) for u, v in q.edges if u != v}
    nodes, edges = nodes_and_edges(a, collapse=True)
    assert set(edges) == expected and len(edges) == len(expected)
    assert [n.name for n in nodes] == list(contract(g, owner)) == list(blocks)
    assert nx.is_directed_acyclic_graph(contract(g, owner))


def test_predecessors_keep_the_order_members_read_them():
    g = nx.DiGraph()
    for i, n in enumerate(["input", "x", "y", "b1", "b2"]):
        g.add_node(n, order=i)
    g.add_edges_from([("input", "x"), ("input", "y"), ("x", "y"), ("y", "b1"), ("x", "b2"), ("b1", "b2")])
    q = contract(g, {"b1": "B", "b2": "B"})
    assert list(q) == ["input", "x", "y", "B"]
    assert list(q.pred["B"]) == ["y", "x"] and not q.has_edge("B", "B")
