"""The costed layer DAG as Graphviz DOT or Mermaid text, optionally with blocks collapsed.

A node is a layer (name, type from :func:`archcalc.report.breakdown.layer_type`,
output shape) or, with ``collapse``, an outermost block call (its name, layer
count and output shape). Edges are the layers' inputs, read from the layer DiGraph
(``Network.graph``, networkx; collapsed blocks are its quotient, :func:`contract`);
``input`` is the network input.

>>> quote_dot('a "b"')
'"a \\\\"b\\\\""'
"""

from __future__ import annotations

from dataclasses import dataclass, field

from archcalc.report.breakdown import layer_type
from archcalc.report.tables import human, shape_str

INPUT = "input"


@dataclass
class Node:
    """A drawn node: an id, its label lines, and the names it stands for."""

    name: str
    lines: list[str]
    members: list[str] = field(default_factory=list)


def nodes_and_edges(a, collapse: bool = False) -> tuple[list[Node], list[tuple[str, str]]]:
    """Nodes (input first, then layers or collapsed blocks in document order) and unique edges."""
    net = a.network
    owner = {INPUT: INPUT}
    nodes: dict[str, Node] = {INPUT: Node(INPUT, [INPUT, shape_str(net.input_shape)])}
    macs: dict[str, int] = {}
    for cost, lay in zip(a.layers, net.layers):
        key = lay.blocks[0] if collapse and lay.blocks else lay.name
        owner[lay.name] = key
        node = nodes.setdefault(key, Node(key, []))
        node.members.append(lay.name)
        macs[key] = macs.get(key, 0) + cost.macs
        what = layer_type(lay) if key == lay.name else f"{len(node.members)} layers"
        node.lines = [key, what, shape_str(cost.output)]
    for key, node in nodes.items():
        if macs.get(key):
            node.lines.append(f"{human(macs[key])} MACs")
    g = contract(net.graph, owner) if collapse else net.graph
    edges = [(u, v) for v in g for u in g.pred[v]]
    return list(nodes.values()), edges


def contract(g, owner: dict[str, str]):
    """The quotient of the layer DiGraph ``g`` by ``owner`` (layer -> its node): one node per
    owner, in ``g``'s (document) order, an edge ``U -> V`` when a member of ``V`` reads a member
    of ``U`` (no self-loops). A node's predecessors keep the order its members first read them.

    (``networkx.quotient_graph`` gives the same graph but tests every pair of blocks: quadratic.)
    """
    import networkx as nx

    q = nx.DiGraph()
    q.add_nodes_from(dict.fromkeys(owner.get(n, n) for n in g))
    for v in g:
        dst = owner.get(v, v)
        for u in g.pred[v]:
            src = owner.get(u, u)
            if src != dst:
                q.add_edge(src, dst)
    return q


def quote_dot(text: str) -> str:
    """A DOT double-quoted string (newlines become ``\\n`` line breaks)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(a, collapse: bool = False) -> str:
    """The graph in Graphviz DOT (``dot -Tsvg``)."""
    nodes, edges = nodes_and_edges(a, collapse)
    out = [f"digraph {quote_dot(a.network.name)} {{", "  rankdir=TB;",
           '  node [shape=box, style="rounded", fontname="Helvetica", fontsize=10];']
    for n in nodes:
        out.append(f"  {quote_dot(n.name)} [label={quote_dot(chr(10).join(n.lines))}];")
    for s, d in edges:
        out.append(f"  {quote_dot(s)} -> {quote_dot(d)};")
    out.append("}")
    return "\n".join(out) + "\n"


def to_mermaid(a, collapse: bool = False) -> str:
    """The graph as a Mermaid flowchart (renders in GitHub Markdown)."""
    nodes, edges = nodes_and_edges(a, collapse)
    ids = {n.name: f"n{i}" for i, n in enumerate(nodes)}
    out = ["flowchart TD"]
    for n in nodes:
        label = "<br/>".join(line.replace('"', "#quot;") for line in n.lines)
        out.append(f'  {ids[n.name]}["{label}"]')
    for s, d in edges:
        out.append(f"  {ids[s]} --> {ids[d]}")
    return "\n".join(out) + "\n"
