"""``archcalc roofline`` (per-layer bounds on a device) and ``archcalc devices`` (profiles, measure)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from archcalc.cli import app
from archcalc.cli.options import Format, PointArgs, SpecArg, point_command
from archcalc.cli.output import Out, check_target, emit
from archcalc.report.formats import dumps

devices_app = typer.Typer(help="Device profiles for the roofline: list the bundled ones, or measure this machine.",
                          invoke_without_command=True, no_args_is_help=False)
app.add_typer(devices_app, name="devices")


@point_command(app)
def roofline(
    spec: SpecArg,
    device: Annotated[str, typer.Option("--device", "-d", help="A bundled profile (see `archcalc devices`) or a profile file.")] = "this-machine.yaml",
    point: PointArgs = None,
    fused: Annotated[bool, typer.Option("--fused", help="Count a conv with its following norm and activation once.")] = False,
    per_layer: Annotated[bool, typer.Option("--per-layer/--summary", help="Show every layer, or totals only.")] = True,
    fmt: Format = "table",
    plot: Annotated[Optional[str], typer.Option("--plot", help="Also draw the roofline to FILE.png|svg|pdf.")] = None,
    out: Out = None,
) -> None:
    """Per-layer roofline bound on a device: max(FLOPs/peak, bytes/bandwidth), which bound applies, total."""
    from archcalc.api import analyze
    from archcalc.roofline import device as load_device
    from archcalc.roofline import roofline as run

    check_target(out)
    if plot is not None:
        from archcalc.report.plots import check_path

        check_path(plot)
    dev = load_device(device)
    path, at = point.at(spec)
    a = analyze(path, **at)
    r = run(a, dev, fused)
    if fmt == "json":
        doc = {"model": a.network.name, "variant": a.network.variant, "device": dev.model_dump(), "dtype": a.dtype,
               "batch": a.batch, "fused": fused, "ridge": r.ridge, "time_s": r.time_s, "flops": r.flops,
               "bytes": r.bytes,
               "layers": [{"name": x.name, "op": x.op, "members": x.members, "flops": x.flops,
                           "bytes_read": x.bytes_read, "bytes_written": x.bytes_written, "intensity": x.intensity,
                           "bound": x.bound, "time_s": x.time_s} for x in r.layers]}
        emit(dumps(doc) + "\n", out)
    else:
        from archcalc.report.roofline import roofline_table

        emit(roofline_table(a, r, fmt, per_layer), out)
    if plot is not None:
        from archcalc.report.roofline import plot_roofline

        typer.echo(f"wrote {plot_roofline(a, r, plot)}", err=True)


@devices_app.callback()
def devices(ctx: typer.Context, fmt: Format = "table") -> None:  # (json or a table format)
    """List the bundled device profiles, their peaks, bandwidth and sources."""
    if ctx.invoked_subcommand is not None:
        return
    from archcalc.report.tables import human, human_bytes, render
    from archcalc.roofline import bundled_devices, device

    rows = []
    for name in bundled_devices():
        d = device(name)
        peaks = ", ".join(f"{k} {human(v)}" for k, v in d.peak_flops.items())
        src = "; ".join(s.title + ("" if s.checked else " (not re-checked)") for s in d.sources)
        rows.append([d.name, d.kind, peaks, human_bytes(d.bandwidth) + "/s", src])
    if fmt == "json":
        typer.echo(dumps([device(n).model_dump() for n in bundled_devices()]))
        return
    typer.echo(render(["device", "kind", "peak FLOP/s", "bandwidth", "sources"], rows, fmt))


@devices_app.command("measure")
def measure_cmd(
    out: Annotated[str, typer.Option("--out", "-o", help="Profile file to write (YAML).")] = "this-machine.yaml",
    threads: Annotated[int, typer.Option("--threads", min=1, max=1024, help="BLAS threads for the compute peak.")] = 1,
) -> None:
    """Measure this machine's fp32 peak (BLAS sgemm) and bandwidth (STREAM-style copy) into a profile."""
    import yaml

    from archcalc.measure import measure

    check_target(out)
    prof = measure(threads)
    emit(yaml.safe_dump(prof, sort_keys=False), out)
    typer.echo(f"fp32 peak {prof['peak_flops']['fp32']:.4g} FLOP/s, bandwidth {prof['bandwidth']:.4g} B/s "
               f"({threads} thread(s))", err=True)
