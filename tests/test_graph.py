"""archcalc.graph: the layer graph (networkx DAG), consumer counts for liveness, topological order."""

from __future__ import annotations

import pytest

from archcalc.api import analyze
from archcalc.errors import GraphError
from archcalc.graph import INPUT, topological_order


@pytest.fixture(scope="module")
def resnet50():
    return analyze("resnet", variant="50", resolution=64).network


def test_the_dag_follows_document_order(resnet50):
    import networkx as nx

    g = resnet50.graph
    assert nx.is_directed_acyclic_graph(g)
    order = [n for n in nx.lexicographical_topological_sort(g, key=lambda n: g.nodes[n]["order"])]
    assert order == [INPUT] + [lay.name for lay in resnet50.layers]


def test_consumer_counts_are_out_degrees(resnet50):
    counts = resnet50.consumer_counts()
    # ResNet-50 has 3 + 4 + 6 + 3 = 16 bottlenecks; each one's input is read by its first
    # conv and by the shortcut (a downsample or the residual add), every other tensor once.
    assert sorted(n for n, c in counts.items() if c == 2) == sorted(
        lay.inputs[0] for lay in resnet50.layers if lay.name.endswith(".conv1"))
    assert sum(c == 2 for c in counts.values()) == 16
    assert counts[INPUT] == 1 and counts[resnet50.layers[-1].name] == 0
    assert max(counts.values()) == 2


def test_a_layer_reading_one_tensor_twice_consumes_it_once():
    net = analyze("resnet", variant="50", resolution=64).network
    adds = [lay for lay in net.layers if lay.op.op == "add"]
    assert adds and all(len(set(lay.inputs)) == 2 for lay in adds)


def test_topological_order_keeps_the_given_order_where_free():
    assert topological_order({"a": ["input"], "b": ["input"], "c": ["a", "b"]}) == ["a", "b", "c"]
    assert topological_order({"c": ["a", "b"], "b": ["input"], "a": ["input"]}) == ["b", "a", "c"]


def test_topological_order_names_a_cycle_and_a_dangling_reference():
    with pytest.raises(GraphError, match="cycle in the layer graph: a -> b -> c -> a"):
        topological_order({"a": ["c"], "b": ["a"], "c": ["b"]})
    with pytest.raises(GraphError, match="'b' reads 'zz', which is not a node"):
        topological_order({"a": ["input"], "b": ["zz"]})


def test_unknown_layer_names_close_matches(resnet50):
    with pytest.raises(GraphError, match="no layer named 'conv1'; similar: layer1.0.conv1"):
        resnet50.layer("conv1")
