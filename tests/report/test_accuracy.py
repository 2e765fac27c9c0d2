"""report/accuracy.py (points from archcalc.study): the default figure compares like with like; lines per family."""

from __future__ import annotations

from archcalc.report.accuracy import extra_data, standard_points
from archcalc.study import accuracy_points

COLS = ("macs", "deviation", "peak")


def test_default_accuracy_points_are_standard_input_imagenet1k():
    pts = accuracy_points(["convnext", "mobilenet"])
    std = standard_points(pts)
    conv = [p for p in std if p.spec == "convnext"]
    # README ImageNet-1K table at 224 (tiny, small, base, large) and torchvision's four acc@1 rows
    assert sorted(p.variant for p in conv) == sorted(["tiny", "small", "base", "large"] * 2)
    assert all(not p.vars and not extra_data(p.source) for p in conv)
    # MobileNet: rho < 1 changes the 224 input (Table 7: 192, 160, 128) and is left out; alpha is kept
    mob = [p for p in std if p.spec == "mobilenet"]
    assert mob and all(str(p.vars.get("rho", 1)) == "1" for p in mob)
    assert {str(p.vars["alpha"]) for p in mob if "alpha" in p.vars} == {"1", "0.75", "0.5", "0.25"}
    assert len(pts) > len(std)  # the others exist and are drawn with --all


def test_pretrain_field_marks_extra_data_points():
    from archcalc.report.accuracy import Point

    plain = Point("s", "Net", "a", {}, "a", 1, 1, 80.0, "Some paper, Table 2")
    tagged = Point("s", "Net", "a", {}, "a", 1, 1, 85.0, "Some paper, Table 2", pretrain="JFT-300M")
    assert standard_points([plain, tagged]) == [plain]
    # ConvNeXt's 22K->1K rows carry the field, not only the words in their source text
    conv = [p for p in accuracy_points(["convnext"]) if p.pretrain]
    assert len(conv) == 10 and all(p.pretrain == "ImageNet-22K" for p in conv)


def test_series_split_variant_families_and_leave_ablations_unconnected():
    from archcalc.report.accuracy import ablations, series

    lines = series(standard_points(accuracy_points(["senet", "wide_resnet", "mobilenet"])))
    senet = {label: [p.variant for p in ps] for (net, label), ps in lines.items() if net == "SENet"}
    assert sorted(map(len, senet.values())) == [2, 3]  # SE-ResNeXt-50/101 and SE-ResNet-50/101/152
    assert sum(net == "Wide ResNet" for net, _ in lines) == 1  # wrn-50-2, wrn-101-2: one family
    # MobileNet v1's shallow and full-conv variants are separate architectures, not a curve
    (key,) = ablations(lines)
    assert key[0] == "MobileNet v1" and {p.variant for p in lines[key]} == {"shallow", "full-conv"}


def test_points_from_forked_workers_equal_the_serial_ones():
    from archcalc.study import start_accuracy_points

    from dataclasses import astuple

    specs = ["convnext", "mobilenet", "resnet"]
    fields = lambda lists: [[astuple(p) for p in points] for points in lists]  # noqa: E731 (Point: eq=False)
    serial = fields([accuracy_points([s]) for s in specs])
    assert fields(start_accuracy_points(specs, jobs=2).results()) == serial
    assert fields(start_accuracy_points(specs, jobs=1).results()) == serial
    assert sum(len(p) for p in serial) > 10
