"""Memory traffic, arithmetic intensity and the roofline lower bound of each layer on a device.

Rules (docs/conventions.md, "Traffic and roofline"):

* **No reuse between layers** (``fused=False``): a layer reads its inputs and its
  parameters and writes its output, each once, at the dtype's bytes per element.
* **Fused conv + norm + activation** (``fused=True``, what deployed engines do): a
  norm or activation that is the only consumer of a conv's (or of a fused chain's)
  output is folded into it; the chain reads the conv's inputs and every parameter of
  the chain and writes only the last output.
* **Intensity** = FLOPs / bytes moved; **time** >= ``max(FLOPs / peak, bytes /
  bandwidth)`` at the device's peak for the dtype; the larger term names the bound.

A device profile is data (``archcalc/devices/*.yaml`` or a file written by ``archcalc
devices measure``): peak FLOP/s per dtype, memory bandwidth, cache size, and the
sources of the numbers.

>>> from archcalc.api import analyze
>>> r = roofline(analyze("mobilenet"), device("a100"))
>>> r.layers[0].bound, round(r.layers[0].intensity, 2)
('memory', 9.8)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from archcalc.errors import SpecError
from archcalc.memory import DTYPE_BYTES

DEVICES_DIR = Path(__file__).resolve().parent / "devices"
#: ops folded into a preceding conv by the fused rule
FUSABLE = {"batchnorm", "relu", "relu6", "silu", "swish", "gelu", "hardswish", "hardsigmoid", "sigmoid", "tanh"}


class Source(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str
    address: str
    checked: bool = False


class Device(BaseModel):
    """A device profile: peaks per dtype (FLOP/s), bandwidth (B/s), cache (bytes), sources."""

    model_config = ConfigDict(extra="forbid")
    name: str
    description: str = ""
    kind: str = Field("cpu", pattern="^(cpu|gpu|npu)$")
    peak_flops: dict[str, float]
    bandwidth: float = Field(gt=0)
    cache: float | None = Field(None, ge=0)
    threads: int | None = Field(None, ge=1)
    sources: list[Source] = []
    note: str = ""
    measured: dict[str, Any] | None = None

    @field_validator("peak_flops")
    @classmethod
    def _positive(cls, v: dict[str, float]) -> dict[str, float]:
        for k, x in v.items():
            if not x > 0 or x == float("inf"):
                raise ValueError(f"peak_flops.{k} must be a positive number of FLOP/s, got {x}")
        return v

    def peak(self, dtype: str) -> float:
        """Peak FLOP/s for ``dtype`` (an error naming the dtypes the profile has)."""
        if dtype not in self.peak_flops:
            raise SpecError(f"device '{self.name}' has no peak for {dtype} (it has {', '.join(self.peak_flops)})")
        return self.peak_flops[dtype]


def bundled_devices() -> list[str]:
    """Names of the bundled device profiles."""
    return sorted(p.stem for p in DEVICES_DIR.glob("*.yaml"))


def device(name_or_path: str | Path) -> Device:
    """A bundled profile by name, or a profile file."""
    import yaml

    p = Path(name_or_path)
    if not p.suffix:
        p = DEVICES_DIR / f"{name_or_path}.yaml"
        if not p.is_file():
            raise SpecError(f"no device '{name_or_path}'; bundled: {', '.join(bundled_devices())} "
                            "(or give a profile file, e.g. from `archcalc devices measure`)")
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
        raise SpecError(f"{p}: cannot read device profile ({type(e).__name__})") from None
    if not isinstance(data, dict):
        raise SpecError(f"{p}: a device profile is a mapping (name, peak_flops, bandwidth, ...)")
    try:
        return Device.model_validate(data)
    except ValidationError as e:
        err = e.errors()[0]
        where = ".".join(str(x) for x in err["loc"])
        raise SpecError(f"{p}: {where}: {err['msg']}") from None


@dataclass
class LayerBound:
    """One layer (or fused chain, named by its first layer) on a device."""

    name: str
    op: str
    members: int
    flops: Any
    bytes_read: Any
    bytes_written: Any
    compute_s: float
    memory_s: float

    @property
    def bytes(self) -> Any:
        return self.bytes_read + self.bytes_written

    @property
    def intensity(self) -> float:
        return float(self.flops) / float(self.bytes) if self.bytes else float("inf")

    @property
    def time_s(self) -> float:
        return max(self.compute_s, self.memory_s)

    @property
    def bound(self) -> str:
        return "compute" if self.compute_s >= self.memory_s else "memory"


@dataclass
class Roofline:
    """Per-layer bounds and the network's latency lower bound."""

    device: Device
    dtype: str
    fused: bool
    layers: list[LayerBound]

    @property
    def time_s(self) -> float:
        return sum(lay.time_s for lay in self.layers)

    @property
    def flops(self) -> Any:
        return sum(lay.flops for lay in self.layers)

    @property
    def bytes(self) -> Any:
        return sum(lay.bytes for lay in self.layers)

    @property
    def ridge(self) -> float:
        """Arithmetic intensity (FLOP/byte) where the device turns compute-bound."""
        return self.device.peak(self.dtype) / self.device.bandwidth


def traffic(a: Any, fused: bool = False) -> list[tuple[str, str, int, Any, Any, Any]]:
    """(name, op, layers, FLOPs, bytes read, bytes written) per layer or fused chain."""
    if a.symbolic:
        raise SpecError.naming("roofline needs a numeric analysis (drop {symbolic})", "symbolic")
    nb = DTYPE_BYTES[a.dtype]
    consumers: dict[str, int] = {}
    for lay in a.network.layers:
        for src in lay.inputs:
            consumers[src] = consumers.get(src, 0) + 1
    out: list[list[Any]] = []
    chain_end: str | None = None
    for lay, c in zip(a.network.layers, a.layers):
        params = c.params + c.buffers if lay.op.op == "batchnorm" else c.params
        reads = (c.reads - c.params + params) * nb
        if (fused and out and chain_end is not None and lay.op.op in FUSABLE and lay.inputs == [chain_end]
                and consumers.get(chain_end, 0) == 1):
            row = out[-1]
            row[2] += 1
            row[3] += c.flops
            row[4] += params * nb
            row[5] = c.writes * nb
            chain_end = lay.name
            continue
        out.append([lay.name, lay.op.op, 1, c.flops, reads, c.writes * nb])
        chain_end = lay.name if lay.op.op in ("conv2d", "linear") else None
    return [tuple(r) for r in out]


def roofline(a: Any, dev: Device, fused: bool = False) -> Roofline:
    """The roofline of analysis ``a`` (its dtype and batch) on device ``dev``."""
    peak, bw = dev.peak(a.dtype), dev.bandwidth
    layers = [LayerBound(name, op, n, flops, r, w, float(flops) / peak, float(r + w) / bw)
              for name, op, n, flops, r, w in traffic(a, fused)]
    return Roofline(dev, a.dtype, fused, layers)
