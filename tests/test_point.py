"""archcalc.point: variant + overrides + resolution -> the evaluated point."""

from __future__ import annotations

from fractions import Fraction

import pytest

from archcalc.api import load
from archcalc.errors import SpecError
from archcalc.point import free_vars, input_shape, resolve


@pytest.fixture(scope="module")
def mobilenet():
    return load("mobilenet")


def test_defaults_variant_and_overrides(mobilenet):
    p = resolve(mobilenet)
    assert p.variant is None and p.vars["alpha"] == 1 and p.vars["shallow"] == 0
    assert resolve(mobilenet, "shallow").vars["shallow"] == 1
    q = resolve(mobilenet, vars={"alpha": "3/4", "rho": "6/7"})
    assert q.vars["alpha"] == Fraction(3, 4) and q.vars["rho"] == Fraction(6, 7)
    assert input_shape(q, q.vars, ideal=False) == (3, 192, 192)  # round(224 * 6/7)


def test_resolution_sets_the_input_size(mobilenet):
    p = resolve(mobilenet, resolution=160)
    assert input_shape(p, p.vars, ideal=False) == (3, 160, 160)


def test_unknown_variant_and_var_are_errors_naming_the_choices(mobilenet):
    with pytest.raises(SpecError, match="has no variant 'deep' \\(variants: full-conv, shallow\\)"):
        resolve(mobilenet, "deep")
    with pytest.raises(SpecError, match="has no var 'beta' \\(its vars: alpha, rho"):
        resolve(mobilenet, vars={"beta": "1"})


def test_free_vars_are_the_plain_number_vars(mobilenet):
    assert free_vars(resolve(mobilenet))[:3] == ["alpha", "rho", "classes"]
    assert "widths" not in free_vars(resolve(mobilenet))
