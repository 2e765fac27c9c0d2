"""Every bundled spec and variant builds, and matches every published figure it records.

The figures live in each spec's ``reference:`` list (with source, unit and
params convention); archcalc.reference.check compares them: the count rounded or
truncated to a printed figure's precision gives the figure; an official
implementation's count matches exactly.
Entries with ``deviation:`` document a figure the architecture cannot meet and
are checked only to be *off* (so that a stale deviation note is noticed).
"""

from __future__ import annotations

import pytest

from archcalc.api import analyze, load
from archcalc.study import check_reference
from archcalc.spec.loader import bundled_specs

SPECS = bundled_specs()
VARIANTS = [
    (p.stem, v) for p in SPECS for v in (list(load(p).spec.variants) or [None])
]
REFS = [(p.stem, i) for p in SPECS for i in range(len(load(p).spec.reference))]


@pytest.mark.parametrize("spec,variant", VARIANTS, ids=[f"{s}:{v}" for s, v in VARIANTS])
def test_every_variant_builds(spec, variant):
    a = analyze(spec, variant=variant)
    assert a.totals["params"] > 0 and a.totals["macs"] > 0
    assert len(a.layers) == len({c.name for c in a.layers})


@pytest.mark.parametrize("spec,index", REFS, ids=[f"{s}#{i}" for s, i in REFS])
def test_reference_figure(spec, index):
    loaded = load(spec)
    ref = loaded.spec.reference[index]
    c = check_reference(loaded, ref)
    where = f"{spec} {ref.variant or ''} {ref.vars} ({ref.source})"
    if ref.deviation:
        # A documented deviation must really deviate, or the note is stale.
        assert c.macs_ok is False or c.params_ok is False, f"{where}: deviation note but figures match"
        return
    if c.macs_fig is not None:
        assert c.macs_ok, f"{where}: MACs {c.macs:,} vs published {c.macs_fig.text}"
    if c.params_fig is not None:
        assert c.params_ok, f"{where}: params {c.params:,} ({ref.params_convention}) vs {c.params_fig.text}"
