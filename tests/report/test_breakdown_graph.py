"""breakdown reproduces MobileNet's Table 2 ("resource per layer type"); graph draws the costed DAG.

Table 2 of Howard et al. 2017: Conv 1x1 94.86 % of mult-adds / 74.59 % of
parameters; Conv DW 3x3 3.06 % / 1.06 %; Conv 3x3 (first layer) 1.91 % (the
paper prints 1.19 %, a digit transposition: 10,838,016 / 568,740,352) / 0.02 %;
fully connected 0.18 % / 24.33 %. Its parameter denominator is weights only.
"""

from __future__ import annotations

from archcalc.api import analyze
from archcalc.report.breakdown import breakdown, percent
from archcalc.report.graphviz import nodes_and_edges, to_dot, to_mermaid

TABLE2 = {  # layer type: (mult-adds %, parameters %)
    "conv 1x1": ("94.86%", "74.59%"),
    "depthwise conv 3x3": ("3.06%", "1.06%"),
    "conv 3x3": ("1.91%", "0.02%"),
    "fully connected": ("0.18%", "24.33%"),
}


def test_mobilenet_table2():
    a = analyze("mobilenet")
    shares = {s.group: s for s in breakdown(a, "kind")}
    total_w = a.totals["params_by_kind"]["weights"]
    for kind, (macs_pct, params_pct) in TABLE2.items():
        s = shares[kind]
        assert percent(s.macs, a.totals["macs"]) == macs_pct, kind
        assert percent(s.weights, total_w) == params_pct, kind
    # 13 depthwise and 13 pointwise layers (Table 1), one first conv, one FC
    assert (shares["conv 1x1"].layers, shares["depthwise conv 3x3"].layers) == (13, 13)


def test_breakdown_groupings_sum_to_totals():
    a = analyze("mobilenet")
    for by in ("op", "block", "stage", "kind"):
        shares = breakdown(a, by)
        assert sum(s.macs for s in shares) == a.totals["macs"]
        assert sum(s.layers for s in shares) == len(a.layers)
    stages = [s.group for s in breakdown(a, "stage")]
    assert stages[:3] == ["conv0", "bn0", "relu0"] and "block12" in stages


def test_graph_mobilenet_is_a_chain():
    a = analyze("mobilenet")
    nodes, edges = nodes_and_edges(a)
    assert len(nodes) == len(a.layers) + 1 and len(edges) == len(a.layers)  # a sequential net
    cnodes, cedges = nodes_and_edges(a, collapse=True)
    # conv0, bn0, relu0, 13 separable blocks, pool, flatten, fc, plus the input
    assert len(cnodes) == 3 + 13 + 3 + 1 and len(cedges) == len(cnodes) - 1
    dot = to_dot(a, collapse=True)
    assert dot.startswith('digraph "MobileNet v1" {') and '"block0.sep" -> "block1.sep";' in dot
    assert to_mermaid(a).startswith("flowchart TD\n")
