"""Counting conventions as data: archcalc's own, and the presets that reproduce other tools.

Ground floor: imports nothing from the pipeline, the report layer or the CLI.  A
:class:`Convention` is a name, a unit, the tool (and version) it reproduces, and one
:class:`Rule` per op: which *quantities* of a layer it counts, with a coefficient each.
The quantities are read off archcalc's own per-layer record (:func:`facts`), so a preset
is a sum of numbers archcalc already proves; nothing here re-derives an op's formula.

>>> PRESETS["fvcore"].rule_for("batchnorm").terms
(('in', 1), ('in_if_affine', 1))
>>> PRESETS["thop"].rule_for("relu").terms
()
>>> ARCHCALC.describe("caption", batch=8, dtype="fp16").endswith("batch 8, fp16.")
True

One wording of archcalc's convention (:meth:`Convention.describe`) serves every table
header, compare footnote, figure caption and the JSON ``conventions`` string.

A rule belongs to a *pass* (``inference`` today); a training-pass rule is one more
:class:`Rule` with ``pass_="training"`` in the same preset (issue 14).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

# ------------------------------------------------------------- quantities --
#: What a rule can count on a layer (all per batch); see :func:`facts`.
QUANTITIES: dict[str, str] = {
    "macs": "conv/linear multiply-accumulates (archcalc's MACs)",
    "flops": "archcalc's FLOPs of the layer (2 x MACs + every other kind)",
    "bias_out": "one add per output element when the layer has a bias",
    "out": "output elements",
    "in": "input elements (the first input)",
    "in_if_affine": "input elements again when the norm has an affine scale/shift",
    "positions": "output positions (H x W, 1 for a vector)",
    "macs_x_groups": "MACs times the conv's groups (FlopCounterMode's weight-gradient overcount)",
    "macs_if_input_grad": "MACs when the layer computes its input's gradient (not fed by the "
                          "network input, unless --input-grad)",
    "params": "the layer's learnable parameters (once per call)",
    "params_x_positions": "the layer's parameters times its output positions (H x W)",
    "window_plus_one": "(input H*W / output H*W + 1) per output element (thop's adaptive-pool formula)",
}


@dataclass(frozen=True)
class LayerFacts:
    """The numbers of one layer a rule may count (per batch), from archcalc's own record."""

    name: str
    op: str
    macs: Any
    flops: Any
    out: Any
    ins: tuple
    positions: Any
    params: Any
    biases: Any
    norm_affine: Any
    in_hw: Any = 1
    out_hw: Any = 1
    batch: Any = 1
    groups: Any = 1
    input_grad: bool = True  #: training: does the layer compute its input's gradient?
    impl: str = "module"  #: how the framework implements it: "module", "functional", "subclass"

    def quantity(self, q: str) -> Any:
        if q == "macs":
            return self.macs
        if q == "flops":
            return self.flops
        if q == "out":
            return self.out
        if q == "in":
            return self.ins[0] if self.ins else 0
        if q == "bias_out":
            return self.out if self.biases else 0
        if q == "in_if_affine":
            return (self.ins[0] if self.ins else 0) if self.norm_affine else 0
        if q == "params":
            return self.params * self.batch
        if q == "macs_x_groups":
            return self.macs * self.groups
        if q == "macs_if_input_grad":
            return self.macs if self.input_grad else 0
        if q == "positions":
            return self.positions
        if q == "params_x_positions":
            return self.params * self.positions
        if q == "window_plus_one":
            # thop: int((H_in/H_out * W_in/W_out + 1) * output elements), in float64
            if isinstance(self.in_hw, int) and isinstance(self.out_hw, int):
                if self.in_hw % self.out_hw == 0:
                    return (self.in_hw // self.out_hw + 1) * self.out
                return int((self.in_hw / self.out_hw + 1) * self.out)
            return (self.in_hw / self.out_hw + 1) * self.out
        raise KeyError(f"unknown quantity {q!r} (choose from {', '.join(QUANTITIES)})")



def facts(layer, cost, batch=1, impl: str = "module", input_grad: bool = False) -> LayerFacts:
    """:class:`LayerFacts` of a graph layer (``.name``, ``.in_shapes``, ``.out_shape``,
    ``.inputs``, ``.op``) and its cost record (``.macs``, ``.flops``, ``.params``,
    ``.params_by_kind``); ``input_grad``: the network input requires a gradient."""
    def numel(shape):
        n = 1
        for d in shape:
            n *= d
        return n

    out_shape = tuple(layer.out_shape)
    ins = tuple(numel(s) * batch for s in layer.in_shapes)
    pos = numel(out_shape[1:]) if len(out_shape) == 3 else 1
    in0 = tuple(layer.in_shapes[0]) if layer.in_shapes else ()
    in_hw = numel(in0[1:]) if len(in0) == 3 else 1
    pk = cost.params_by_kind
    return LayerFacts(
        name=layer.name, op=cost.op, macs=cost.macs, flops=cost.flops, out=numel(out_shape) * batch,
        ins=ins, positions=pos * batch, params=cost.params, biases=pk.get("biases", 0),
        norm_affine=pk.get("norm_affine", 0), in_hw=in_hw, out_hw=pos, batch=batch, impl=impl,
        groups=getattr(getattr(layer, "op", None), "groups", 1) or 1,
        input_grad=input_grad or any(src != "input" for src in getattr(layer, "inputs", ("x",))),
    )


# ------------------------------------------------------------------ rules --
@dataclass(frozen=True)
class Rule:
    """How one preset counts one op: ``sum(coef * quantity)`` over ``terms``.

    ``impl`` restricts the rule to layers the framework implements that way (``functional``:
    a ``torch.nn.functional`` call rather than a module, which hook-based tools never see);
    ``pass_`` is the pass it counts (``inference``; issue 14 adds ``training`` entries).
    """

    op: str
    terms: tuple[tuple[str, int], ...]
    why: str
    impl: str | None = None
    pass_: str = "inference"

    def count(self, f: LayerFacts) -> Any:
        return sum((c * f.quantity(q) for q, c in self.terms), 0)


def _r(op: str, terms: Iterable[tuple[str, int]] | str, why: str, **kw) -> Rule:
    if isinstance(terms, str):
        terms = ((terms, 1),)
    return Rule(op, tuple(terms), why, **kw)


ZERO = ()


@dataclass(frozen=True)
class Convention:
    """A counting convention: per-op rules plus what it is called and what it reproduces."""

    name: str
    unit: str
    tool: str
    tool_version: str
    summary: str
    rules: tuple[Rule, ...]
    entry: str = ""  #: the call whose number the preset reproduces
    default_why: str = "no rule for this op: counted 0"
    quirks: tuple[str, ...] = ()
    evidence: str = ""
    words: Mapping[str, str] = field(default_factory=dict)
    #: archcalc's own FLOPs: FLOPs per MAC (kind ``mul_add``) and the kinds a FLOP total sums
    flops_per_mac: int = 2
    flop_kinds: tuple[str, ...] = ("mul_add", "add", "mul", "div", "compare", "exp")

    def rule_for(self, op: str, impl: str = "module", pass_: str = "inference") -> Rule:
        """The rule that counts ``op`` (implemented as ``impl``); a zero rule when none does."""
        best = None
        for r in self.rules:
            if r.pass_ != pass_ or r.op not in (op, "*"):
                continue
            if r.impl is not None and r.impl != impl:
                continue
            rank = (r.op == op, r.impl is not None)
            if best is None or rank > best[0]:
                best = (rank, r)
        return best[1] if best else Rule(op, ZERO, self.default_why)

    def count(self, f: LayerFacts, pass_: str = "inference") -> Any:
        return self.rule_for(f.op, f.impl, pass_).count(f)

    @property
    def passes(self) -> tuple[str, ...]:
        """The passes this preset has rules for (``inference``, and ``training`` where given)."""
        return tuple(dict.fromkeys(("inference",) + tuple(r.pass_ for r in self.rules)))

    @property
    def label(self) -> str:
        """``fvcore [fvcore 0.1.5.post20221221; unit ...]`` — for headers and figure captions."""
        tool = f"{self.tool} {self.tool_version}".strip()
        return f"{self.name} [{tool}; unit {self.unit}]" if tool else f"{self.name} [unit {self.unit}]"

    def describe(self, where: str = "analysis", **point: Any) -> str:
        """The convention in words, for one place: ``analysis`` (a table header and the JSON
        ``conventions`` string; ``batch``, ``dtype``, ``symbolic``), ``compare`` (a compare
        footnote; ``inputs``, ``batches``, ``dtypes``), ``caption`` (a figure; ``batch``,
        ``dtype``) or ``preset`` (a preset's one-line summary)."""
        w = self.words
        if where == "preset" or not w:
            return f"{self.label}: {self.summary}"
        if where == "analysis":
            model = (" Symbolic: the ideal model (sizes H/stride, channels unrounded)."
                     if point.get("symbolic") else "")
            return (f"{w['macs']}; {w['flops']}; {w['params']}; batch {point.get('batch', 1)}, "
                    f"dtype {point.get('dtype', 'fp32')}.{model}")
        if where == "compare":
            return (f"{w['macs']}; {w['flops']}; {w['params']} (published params compared in the "
                    "source's convention); activations = output elements of every layer; peak = "
                    f"largest live activation memory. Input {', '.join(point['inputs'])} (C x H x W), "
                    f"batch {', '.join(point['batches'])}, {', '.join(point['dtypes'])}.")
        if where == "caption":
            return (f"{w['macs']}, computed by archcalc at each point; {w['params']}; "
                    f"batch {point.get('batch', 1)}, {point.get('dtype', 'fp32')}.")
        raise ValueError(f"unknown place {where!r} for a conventions sentence")


# ---------------------------------------------------------------- presets --
_WORDS = {
    "macs": ("MACs = multiply-accumulates of conv and linear layers, zero-padded taps included "
             "(the MobileNet paper's mult-adds; the ResNet/EfficientNet/ConvNeXt papers' and torchvision's FLOPs)"),
    "flops": "FLOPs = 2 x MACs + bias, norm, activation, pooling, add and mul work (docs/conventions.md)",
    "params": "params = learnable parameters (weights, biases, norm affine, other); BN running stats are buffers",
}

#: the ops whose MACs the MAC-only presets count (conv_transpose2d: aten.convolution too, h12)
_CONV_LINEAR = ("conv2d", "conv_transpose2d", "linear")

ARCHCALC = Convention(
    name="archcalc", unit="FLOPs", tool="archcalc", tool_version="",
    summary="FLOPs = 2 x MACs of conv/linear + every other floating-point operation by kind "
            "(bias, norm, activation, pooling, add, mul); docs/conventions.md per-op table",
    rules=(_r("*", "flops", "archcalc FLOPs: 2 x MACs + the op's other work by kind"),),
    words=_WORDS,
)


def _macs_only(factor: int, why: str) -> tuple[Rule, ...]:
    return tuple(_r(op, (("macs", factor),), why) for op in _CONV_LINEAR)


PRESETS: dict[str, Convention] = {p.name: p for p in (
    ARCHCALC,
    Convention(
        name="macs", unit="MACs", tool="archcalc", tool_version="",
        summary="multiply-accumulates of conv and linear layers only (bias, norm, activations 0)",
        rules=_macs_only(1, "conv/linear MACs"), default_why="not conv/linear: no MACs"),
    Convention(
        name="flops", unit="FLOPs (2 per MAC)", tool="archcalc", tool_version="",
        summary="2 x conv/linear MACs, nothing else (OpenVINO, PaddleClas 'GFLOPs')",
        rules=_macs_only(2, "2 FLOPs per conv/linear MAC"), default_why="not conv/linear: 0"),
    Convention(
        name="paper", unit="MACs (the papers' 'FLOPs', 'FLOPS', 'mult-adds')", tool="papers", tool_version="",
        summary="conv + linear multiply-accumulates: MobileNet's 'mult-adds', ResNet's and DenseNet's "
                "'FLOPs', EfficientNet's 'FLOPS', ConvNeXt's 'FLOPs' are all MACs",
        rules=_macs_only(1, "the papers count one multiply-add once"), default_why="not conv/linear: 0",
        quirks=("ResNet (He et al. 2016, Table 1) calls multiply-adds 'FLOPs': 3.8 x 10^9 for ResNet-50",
                "EfficientNet (Tan & Le 2019, Table 2) prints MACs as 'FLOPS' (0.39B for B0)",
                "MobileNet v1 Table 6 'Million Mult-Adds' 569 = conv + fc MACs",
                "which layers a paper includes (the classifier, SE) varies: the spec's `reference:` "
                "entries record it (`exclude:`), and `archcalc cost` prints each check")),
    Convention(
        name="flopcounter", unit="FLOPs (2 per MAC)", tool="torch", tool_version="2.14.1",
        entry="torch.utils.flop_counter.FlopCounterMode().get_total_flops()",
        summary="2 x MACs of aten convolution/mm/addmm/bmm, bias adds and everything else 0",
        rules=_macs_only(2, "aten.convolution / aten.addmm: 2 x MACs, bias ignored") + (
            _r("conv2d", (("macs", 2), ("macs_x_groups", 2), ("macs_if_input_grad", 2)),
               "forward 2F + convolution_backward: weight gradient 2F x groups (its overcount), "
               "input gradient 2F unless fed by the network input", pass_="training"),
            _r("linear", (("macs", 4), ("macs_if_input_grad", 2)),
               "forward 2F + mm for the weight gradient 2F + mm for the input gradient 2F "
               "unless fed by the network input", pass_="training"),
        ),
        default_why="no FlopCounterMode formula for this aten op: 0",
        quirks=("--training: around forward + loss.backward(), convolution_backward's weight "
                "gradient is counted with the full input channels as its batch, i.e. x groups "
                "too many for a grouped conv (depthwise: x C); the preset reproduces that",)),
    Convention(
        name="torchvision", unit="GFLOPS (= conv+linear GMACs)", tool="torchvision", tool_version="0.29.1",
        entry="Weights.meta['_ops'] (the GFLOPS column)",
        summary="the GFLOPS column of torchvision's weight tables: conv + linear MACs, printed "
                "in G to 3 decimals",
        rules=_macs_only(1, "torchvision _ops: conv+linear MACs"), default_why="not conv/linear: 0",
        quirks=("the table prints GMACs rounded to 3 decimals, so only the rounded value can match",)),
    Convention(
        name="fvcore", unit="fvcore 'flops' (1 per MAC)", tool="fvcore", tool_version="0.1.5.post20221221",
        entry="fvcore.nn.FlopCountAnalysis(model, x).total()",
        summary="one 'flop' per MAC of conv/linear (no bias); BN n (2n with affine); layer/group "
                "norm 4n (5n with affine); adaptive avg pool its input elements; every elementwise "
                "op, activation, max pool and add 0",
        rules=(
            _r("conv2d", "macs", "aten::_convolution: prod(w) x output positions (bias ignored)"),
            _r("linear", "macs", "aten::linear: input elements x out_features (bias ignored)"),
            _r("batchnorm", (("in", 1), ("in_if_affine", 1)), "aten::batch_norm (eval): n, 2n with affine"),
            _r("layernorm", (("in", 4), ("in_if_affine", 1)), "aten::layer_norm: 4n, 5n with affine"),
            _r("groupnorm", (("in", 4), ("in_if_affine", 1)), "aten::group_norm: 4n, 5n with affine"),
            _r("global_avgpool", "in", "aten::adaptive_avg_pool2d: 1 per input element"),
        ),
        default_why="fvcore has no default handle (relu/max_pool/add/mul ignored or unsupported): 0",
        quirks=("bias adds are never counted, for conv or linear",
                "aten::relu, max_pool2d, add, mul, sigmoid, silu, gelu are ignored or 'unsupported' "
                "(a warning, counted 0)",
                "avg_pool2d (DenseNet transitions) has no handle: 0",
                "mmengine 0.10.7's FlopAnalyzer (the fvcore fork) has the same default handles "
                "(source compared, not run): this preset stands for it too")),
    Convention(
        name="ptflops", unit="ptflops MACs", tool="ptflops", tool_version="0.7.5",
        entry="get_model_complexity_info(model, (3, H, W), backend='pytorch')",
        summary="conv/linear MACs + bias; BN n (2n affine); ReLU, max/avg/adaptive pool counted "
                "twice (module hook + patched functional), GELU too; SiLU once (functional only); "
                "ReLU6 once (module); LayerNorm n (never x2); sigmoid, add, mul 0",
        rules=(
            _r("conv2d", (("macs", 1), ("bias_out", 1)), "conv hook: MACs + 1 per output element for the bias"),
            _r("linear", (("macs", 1), ("bias_out", 1)), "linear hook: (in x out + out) per row"),
            _r("batchnorm", (("in", 1), ("in_if_affine", 1)), "bn hook: input elements, x2 with affine"),
            _r("layernorm", "in", "nn.LayerNorm: the bn hook, input elements (its `affine` test "
               "looks for `.affine`, and LayerNorm has `.elementwise_affine`: never x2)"),
            _r("layernorm", ZERO, "LayerNorm2d: not the exact type nn.LayerNorm, no hook", impl="subclass"),
            _r("groupnorm", (("in", 1), ("in_if_affine", 1)), "nn.GroupNorm: the bn hook, x2 with affine"),
            _r("relu", (("out", 1), ("in", 1)),
               "nn.ReLU hook (output elements) + patched F.relu (input elements): counted twice"),
            _r("relu", "in", "F.relu called directly: the patched functional only", impl="functional"),
            _r("relu6", "out", "nn.ReLU6 hook; its F.hardtanh is not patched: once"),
            _r("maxpool", (("in", 2),), "nn.MaxPool2d hook + patched F.max_pool2d: input elements twice"),
            _r("avgpool", (("in", 2),), "nn.AvgPool2d hook + patched F.avg_pool2d: input elements twice"),
            _r("global_avgpool", (("in", 2),),
               "nn.AdaptiveAvgPool2d hook + patched F.adaptive_avg_pool2d: input elements twice"),
            _r("global_avgpool", "in", "F.adaptive_avg_pool2d called directly: once", impl="functional"),
            _r("silu", "in", "nn.SiLU has no hook; the patched F.silu counts input elements once"),
            _r("softmax", "in", "nn.Softmax has no hook; the patched F.softmax counts input elements once"),
            _r("gelu", (("out", 1), ("in", 1)),
               "nn.GELU hook (added if nn has GELU) + patched F.gelu: counted twice"),
        ),
        default_why="no ptflops module hook or patched functional (sigmoid, x + y, x * y, LayerNorm2d): 0",
        quirks=("hooks match the exact module type: torchvision's LayerNorm2d (a LayerNorm subclass) is 0",
                "LayerNorm goes through the BN hook, whose affine test reads `.affine`: LayerNorm "
                "(`.elementwise_affine`) is never doubled",
                "`out += identity` and `x * scale` are Python operators, not the patched torch.add/mul: 0",
                "ReLU, GELU, MaxPool, AvgPool and AdaptiveAvgPool modules call a patched functional, so "
                "both the module hook and the functional count them")),
    Convention(
        name="ptflops-aten", unit="ptflops MACs (aten)", tool="ptflops", tool_version="0.7.5",
        entry="get_model_complexity_info(model, (3, H, W), backend='aten')",
        summary="aten.convolution MACs + bias, aten.addmm/mm MACs (+ bias): conv and linear only",
        rules=(
            _r("conv2d", (("macs", 1), ("bias_out", 1)), "aten.convolution: MACs + bias elements"),
            _r("linear", (("macs", 1), ("bias_out", 1)), "aten.addmm: MACs + bias elements"),
        ),
        default_why="not in ptflops' ATEN_OPS_MAPPING (conv, mm, addmm, bmm): 0"),
    Convention(
        name="thop", unit="thop MACs", tool="thop", tool_version="0.1.1-2209072238",
        entry="thop.profile(model, inputs=(x,))",
        summary="conv/linear MACs without bias; BN 4n with affine (2n without); adaptive avg pool "
                "(kernel + 1) per output; avg pool 1 per output; ReLU, ReLU6, max pool 0; a module "
                "type without a rule (SiLU, Sigmoid, GELU, LayerNorm2d) 0",
        rules=(
            _r("conv2d", "macs", "count_convNd: output elements x C_in/groups x k (no bias)"),
            _r("linear", "macs", "count_linear: in_features x output elements (no bias)"),
            _r("batchnorm", (("in", 2), ("in_if_affine", 2)), "count_normalization: 2n, x2 with affine"),
            _r("layernorm", (("in", 2), ("in_if_affine", 2)), "nn.LayerNorm: count_normalization, 2n x2 with affine"),
            _r("layernorm", ZERO, "LayerNorm2d: not the exact type nn.LayerNorm, no rule", impl="subclass"),
            _r("global_avgpool", "window_plus_one", "count_adap_avgpool: (kernel adds + 1 div) per output"),
            _r("global_avgpool", ZERO, "F.adaptive_avg_pool2d is not a module: thop never sees it",
               impl="functional"),
            _r("avgpool", "out", "count_avgpool: 1 per output element"),
            _r("softmax", (("out", 3), ("positions", -1)),
               "count_softmax: C exp + (C - 1) add + C div per position"),
        ),
        default_why="thop: zero_ops (ReLU, ReLU6, MaxPool, Dropout) or no rule for the module type: 0",
        quirks=("rules are looked up by exact module type: torchvision's LayerNorm2d and timm's "
                "BatchNormAct2d get no rule and count 0",
                "normalisation counts 2 per element (calculate_norm) and doubles that again with "
                "affine: an affine BatchNorm2d is 4 per element")),
    Convention(
        name="torchinfo", unit="torchinfo mult-adds", tool="torchinfo", tool_version="1.8.0",
        entry="torchinfo.summary(model, input_size).total_mult_adds",
        summary="per leaf module with weights: parameters x output positions for Conv*, "
                "parameters x batch for every other module (Linear, norms)",
        rules=(
            _r("conv2d", "params_x_positions", "'Conv' in class name: params x output H x W"),
            _r("linear", "params", "nn.Linear: params x output_size[0] (the batch), whatever the rank"),
            _r("batchnorm", "params", "BatchNorm2d: its 2C parameters x batch"),
            _r("layernorm", "params", "LayerNorm: its 2C parameters x batch"),
            _r("groupnorm", "params", "GroupNorm: its 2C parameters x batch"),
        ),
        default_why="torchinfo: a leaf module without parameters: 0",
        quirks=("nn.Linear on a channel-last 4-D tensor (ConvNeXt's MLP) counts params x batch, not "
                "x H x W: convnext_tiny comes out 92.8 % low",
                "parameters owned by a non-leaf module (ConvNeXt's layer_scale) are never counted")),
)}

DEFAULT = "archcalc"


def get(name: str) -> Convention:
    """The preset called ``name``; ``ValueError`` naming the choices otherwise."""
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown convention '{name}' (choose from {', '.join(PRESETS)})") from None


def describe(where: str = "analysis", convention: str | Convention = DEFAULT, **point: Any) -> str:
    """Module-level shortcut: ``get(convention).describe(where, **point)``."""
    conv = convention if isinstance(convention, Convention) else get(convention)
    return conv.describe(where, **point)


# ------------------------------------------------------- implementations --
#: How the torchvision implementation of a model realises some of its layers, when not as
#: the plain module a hook-based tool looks up by exact type (keyed by the spec's model name):
#: ``functional`` — a ``torch.nn.functional`` call, no module at all (ptflops' patched
#: functionals still count it; module hooks, thop and torchinfo never see it);
#: ``subclass`` — a subclass of the module (torchvision's ``LayerNorm2d``), which exact-type
#: rule tables (ptflops, thop) miss while aten-level tools (fvcore) and torchinfo count it.
IMPLEMENTATION: dict[str, dict[str, str]] = {
    # DenseNet.forward: F.relu(features) then F.adaptive_avg_pool2d(out, (1, 1))
    "DenseNet": {"head.relu": "functional", "head.pool": "functional"},
    # MobileNetV2._forward_impl: nn.functional.adaptive_avg_pool2d(x, (1, 1))
    "MobileNetV2": {"head.pool": "functional"},
    # ConvNeXt: stem, downsampling and head norms are LayerNorm2d (blocks use nn.LayerNorm)
    "ConvNeXt": {"stem.norm": "subclass", "stage1.downsample.norm": "subclass",
                 "stage2.downsample.norm": "subclass", "stage3.downsample.norm": "subclass",
                 "head.norm": "subclass"},
}


def layer_facts(network, costs, batch=1, input_grad: bool = False) -> list[LayerFacts]:
    """:class:`LayerFacts` of every layer of ``network`` (``.name``, ``.layers``), with the
    implementation recorded in :data:`IMPLEMENTATION`; ``costs`` are its cost records."""
    impl = IMPLEMENTATION.get(network.name, {})
    return [facts(lay, c, batch, impl.get(lay.name, "module"), input_grad)
            for lay, c in zip(network.layers, costs)]


def layer_counts(convention: str | Convention, network, costs, batch=1, pass_: str = "inference",
                 input_grad: bool = False) -> list:
    """The count of every layer under ``convention``, in document order; ``pass_`` is
    ``inference`` or ``training`` (forward + backward, where the preset has such rules)."""
    conv = convention if isinstance(convention, Convention) else get(convention)
    if pass_ not in conv.passes:
        raise ValueError(f"convention '{conv.name}' has no {pass_} rules "
                         f"(presets with training rules: {', '.join(n for n, p in PRESETS.items() if pass_ in p.passes)})")
    return [conv.count(f, pass_) for f in layer_facts(network, costs, batch, input_grad)]


# ---------------------------------------------------------------- explain --
@dataclass(frozen=True)
class Difference:
    """One layer counted by two presets: both counts and the rule of each that made them."""

    layer: str
    op: str
    a: Any
    b: Any
    rule_a: Rule
    rule_b: Rule

    @property
    def diff(self) -> Any:
        return self.a - self.b


def differences(a: str | Convention, b: str | Convention, layers: Iterable[LayerFacts],
                pass_: str = "inference") -> list[Difference]:
    """Every layer under presets ``a`` and ``b`` (all layers; their ``diff`` sums exactly to
    the difference of the two totals)."""
    ca = a if isinstance(a, Convention) else get(a)
    cb = b if isinstance(b, Convention) else get(b)
    out = []
    for f in layers:
        ra, rb = ca.rule_for(f.op, f.impl, pass_), cb.rule_for(f.op, f.impl, pass_)
        out.append(Difference(f.name, f.op, ra.count(f), rb.count(f), ra, rb))
    return out


def by_rule(diffs: Iterable[Difference]) -> list[tuple[str, int, Any, Any, Rule, Rule]]:
    """The differences grouped by op and the pair of rules that decided them:
    (op, layers, count a, count b, rule a, rule b), in first-seen order."""
    groups: dict[tuple, list] = {}
    for d in diffs:
        key = (d.op, d.rule_a, d.rule_b)
        g = groups.setdefault(key, [d.op, 0, 0, 0, d.rule_a, d.rule_b])
        g[1] += 1
        g[2] += d.a
        g[3] += d.b
    return [tuple(g) for g in groups.values()]
