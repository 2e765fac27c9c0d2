"""Per-op knowledge in one place: every op declares its layer kind and a contract example,
and has an executor kernel and a torch equivalent registered beside it (each once).

A new op fails here until it has all four.
"""

from __future__ import annotations

from typing import get_args

import numpy as np
import pytest

from archcalc.ops import LAYER_KINDS, OPS, Ctx
from archcalc.ops.conv import Conv2d


def op_name(cls) -> str:
    return get_args(cls.model_fields["op"].annotation)[0]


def build(cls):
    fields, ins = cls.example
    return cls(op=op_name(cls), **fields), [tuple(s) for s in ins]


@pytest.mark.parametrize("cls", OPS, ids=op_name)
def test_op_declares_kind_and_a_valid_example(cls):
    assert cls.kind in LAYER_KINDS, f"{cls.__name__}.kind must be one of {LAYER_KINDS}"
    op, ins = build(cls)
    out = op.output_shape(ins, Ctx())
    assert all(isinstance(d, int) and d > 0 for d in out)
    assert op.layer_kind(ins) in LAYER_KINDS


@pytest.mark.parametrize("cls", OPS, ids=op_name)
def test_op_has_a_kernel_that_agrees_on_its_example(cls):
    from archcalc.executor.dispatch import KERNELS, Params

    assert cls in KERNELS, f"{cls.__name__} has no executor kernel (archcalc/executor/dispatch.py)"
    op, ins = build(cls)
    out = tuple(op.output_shape(ins, Ctx()))
    rng = np.random.default_rng(0)
    y, macs = KERNELS[cls](op, [rng.standard_normal((2,) + s).astype(np.float32) for s in ins],
                           Params(np.random.default_rng(0)))
    assert tuple(y.shape) == (2,) + out
    assert macs == 2 * op.macs(ins, out)


@pytest.mark.parametrize("cls", OPS, ids=op_name)
def test_op_has_a_torch_equivalent(cls):
    pytest.importorskip("torch")
    from archcalc.exporters.torch_ref import TORCH_OPS

    assert cls in TORCH_OPS, f"{cls.__name__} has no torch equivalent (archcalc/exporters/torch_ref.py)"


def test_registering_a_kernel_twice_is_an_error():
    from archcalc.executor.dispatch import KERNELS, kernel

    before = KERNELS[Conv2d]
    with pytest.raises(TypeError, match="Conv2d is registered twice"):
        kernel(Conv2d)(lambda op, xs, p: (xs[0], 0))
    assert KERNELS[Conv2d] is before


def test_the_op_table_must_match_the_classes():
    """archcalc.ops.WHERE is written out: a name listed for a class that does not declare it,
    a class's declared name the table lacks, or an op without a kind, is an error."""
    from archcalc.ops import WHERE, _all_ops
    from archcalc.ops.base import Op

    with pytest.raises(TypeError, match=r"Relu declares op names \['relu'\], archcalc.ops.WHERE lists \['relu', 'relu6'\]"):
        _all_ops({"relu": ("activation", "Relu"), "relu6": ("activation", "Relu")})
    with pytest.raises(TypeError, match=r"Silu declares op names \['silu', 'swish'\], archcalc.ops.WHERE lists \['silu'\]"):
        _all_ops({"silu": ("activation", "Silu")})

    class Unkinded(Op):
        pass

    with pytest.raises(TypeError, match="must declare its kind"):
        _all_ops({"x": ("shape", "Unkinded")}, load=lambda module, name: Unkinded)
    assert _all_ops(WHERE) == OPS  # the real table passes, in its order


def test_the_registry_looks_ops_up_without_importing_every_module():
    """REGISTRY imports a class's module on first lookup (issue 16); its names are WHERE's."""
    import subprocess
    import sys

    code = ("import sys; from archcalc.ops import REGISTRY; c = REGISTRY['relu']; "
            "print(c.__name__, len(REGISTRY), 'conv_transpose2d' in REGISTRY, "
            "sorted(m for m in sys.modules if m.startswith('archcalc.ops.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split()[:3] == ["Relu", "35", "True"]
    assert "'archcalc.ops.bridge'" not in out and "'archcalc.ops.activation'" in out


@pytest.mark.parametrize("groups,cin,k,kind", [
    (32, 32, 3, "depthwise"), (4, 32, 3, "grouped"), (1, 32, 1, "pointwise"), (1, 32, 3, "conv"),
    (1, 1, 3, "conv"),  # one input channel, one group: a standard conv, not depthwise
])
def test_one_definition_of_depthwise(groups, cin, k, kind):
    op = Conv2d(op="conv2d", out_channels=64, kernel_size=k, groups=groups)
    assert op.layer_kind([(cin, 8, 8)]) == kind


# ------------------------------------------------------------------ field kinds --
def _own_fields(cls):
    from archcalc.ops.base import ENTRY_KEYS

    return [k for k in cls.model_fields if k not in ENTRY_KEYS]


@pytest.mark.parametrize("cls", OPS, ids=op_name)
def test_every_op_field_declares_its_kind(cls):
    from typing import Literal, get_origin

    from archcalc.ops.base import FIELD_KINDS, field_kind

    for key in _own_fields(cls):
        kind = field_kind(cls, key)  # TypeError when the field declares none (or two)
        assert kind in FIELD_KINDS, f"{cls.__name__}.{key}: {kind} is not one of FIELD_KINDS"
        f = cls.model_fields[key]
        if kind.flag:
            assert f.is_required() or isinstance(f.default, bool), f"{cls.__name__}.{key}: a flag's default is a bool"
        if kind.choice:
            assert get_origin(f.annotation) is Literal, f"{cls.__name__}.{key}: a choice is a Literal of its words"
        elif not f.is_required() and f.default is not None and not isinstance(f.default, str):
            assert isinstance(f.default, bool) == kind.flag, f"{cls.__name__}.{key}: default {f.default!r} vs {kind.name}"


def test_a_field_without_a_declared_kind_fails_the_contract():
    from typing import ClassVar, Literal

    from archcalc.ops.base import Op, Pair, Raw, field_kind

    class Undeclared(Op):
        op: Literal["undeclared"]
        kind: ClassVar[str] = "shape"
        size: Raw = 1
        stride: Pair = 1

    assert field_kind(Undeclared, "stride").pair
    with pytest.raises(TypeError, match=r"Undeclared\.size declares 0 kinds"):
        field_kind(Undeclared, "size")


def test_the_builder_reads_the_declaration(monkeypatch):
    # the declared kind decides: declare conv2d's dilation a flag and 1 is refused as one
    import archcalc.graph as graph
    from archcalc.ops.base import FLAG, field_kind
    from archcalc.errors import SpecError

    assert graph._check_field(Conv2d, "dilation", [1, 2], "conv2d") == [1, 2]
    real = field_kind
    monkeypatch.setattr(graph, "field_kind", lambda cls, key: FLAG if key == "dilation" else real(cls, key))
    with pytest.raises(SpecError, match=r"conv2d: 'dilation' must be true or false, got 1"):
        graph._check_field(Conv2d, "dilation", 1, "conv2d")


def test_adaptive_pool_output_size_is_a_pair(tmp_path):
    # declared a pair like kernel_size (it was refused as "must be a number" when pairs were a key list)
    from archcalc.api import analyze
    from archcalc.validate import validate

    spec = tmp_path / "ap.yaml"
    spec.write_text("name: ap\ninput: [3, 16, 16]\nlayers:\n  - op: conv2d\n    out_channels: 4\n    kernel_size: 3\n"
                    "  - op: adaptive_avgpool\n    output_size: [2, 3]\n")
    assert analyze(str(spec)).layers[-1].output == (4, 2, 3)
    assert validate(str(spec)).ok  # the executor's own shapes and counts agree


@pytest.mark.parametrize("cls", OPS, ids=op_name)
def test_op_annotations_are_objects_not_strings(cls):
    """The op modules are imported without ``from __future__ import annotations``: pydantic
    then takes each field's type as it is instead of compiling and evaluating its text, for
    every class and every inherited field (42 M instructions of ``archcalc cost``'s start-up,
    issue 16)."""
    for klass in (k for k in cls.__mro__ if k.__module__.startswith("archcalc.")):
        for name, ann in vars(klass).get("__annotations__", {}).items():
            assert not isinstance(ann, str), f"{klass.__name__}.{name} is annotated with the string {ann!r}"
