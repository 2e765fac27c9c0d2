"""The HTML pages: self-contained, complete, equal to the JSON, and working in a real browser."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from archcalc.api import analyze
from archcalc.cli import app, main
from archcalc.report.html import _groups, analysis_page, published_checks
from archcalc.study.site import write_site

REPORTS = Path(__file__).resolve().parents[2] / "reports"
runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def r50(tmp_path_factory):
    out = tmp_path_factory.mktemp("html") / "resnet50.html"
    res = run("cost", "resnet", "-v", "50", "--format", "html", "-o", str(out))
    assert res.exit_code == 0, res.output
    return out


def external_refs(html: str) -> list[str]:
    """Every src/href/url() that would leave the file."""
    refs = re.findall(r'(?:src|href)\s*=\s*"([^"]*)"', html) + re.findall(r"url\(([^)#][^)]*)\)", html)
    return [r for r in refs if not r.startswith("#") and re.match(r"[a-z]+:", r)]


def test_cost_page_is_self_contained(r50):
    html = r50.read_text()
    assert html.startswith("<!DOCTYPE html>")
    assert external_refs(html) == []
    assert "<link" not in html and "<script src" not in html and "@import" not in html


def test_cost_page_has_every_layer_and_the_json_totals(r50):
    html = r50.read_text()
    doc = json.loads(run("cost", "resnet", "-v", "50", "--format", "json").output)
    rows = re.findall(r'<tr[^>]* data-name="([^"]+)"', html)
    assert rows == [layer["name"] for layer in doc["layers"]]
    assert len(rows) == 175
    t = doc["totals"]
    for key, value in (("params", t["params"]), ("MACs", t["macs"]), ("FLOPs", t["flops"])):
        assert re.search(rf'data-key="{key}">{value:,} \(', html), key
    assert f"at {t['peak_at']}" in html
    # the peak-memory layer is the one row marked
    assert re.findall(r'<tr class="peak"[^>]* data-name="([^"]+)"', html) == [t["peak_at"]]


def test_cost_page_states_conventions_and_point():
    a = analyze("mobilenet", vars={"alpha": "0.75"})
    html = analysis_page(a, published_checks(a), "9.9")
    assert "multiply-accumulates of conv and linear layers" in html
    assert "alpha=3/4" in html and "3x224x224" in html and "archcalc 9.9" in html
    # the paper's 0.75 row is recorded at this point and shown with its verdict
    assert "matches" in html and "325M" in html


def test_groups_are_the_spec_nesting():
    g = _groups(["stem.conv", "stem.bn", "layer1.0.conv1", "layer1.0.bn1", "layer1.1.conv1", "fc"])
    assert g == {"stem": 2, "layer1": 3, "layer1.0": 2}


def test_symbolic_page_renders_mathml():
    a = analyze("mobilenet", symbolic=True, symbols=["alpha"])
    html = analysis_page(a, [], "x")
    assert html.count("<math") >= 3 and "<msup><mi>&#945;</mi><mn>2</mn></msup>" in html  # alpha squared


def test_compare_and_sweep_pages(tmp_path):
    cmp = tmp_path / "c.html"
    res = run("compare", "resnet:50", "senet:se-resnet-50", "convnext:tiny", "--format", "html", "-o", str(cmp))
    assert res.exit_code == 0, res.output
    html = cmp.read_text()
    assert external_refs(html) == [] and html.count('<tr data-i="') == 3
    assert "4,089,184,256" not in html and 'data-v="4089184256"' in html  # exact value kept for sorting
    grid = tmp_path / "g.html"
    res = run("sweep", "mobilenet", "--alpha", "1,0.75,0.5,0.25", "--rho", "1,6/7,5/7,4/7", "--format", "html",
              "-o", str(grid))
    assert res.exit_code == 0, res.output
    html = grid.read_text()
    assert html.count('<tr data-i="') == 16
    assert 'data-v="568740352"' in html  # the alpha=1, rho=1 cell of the MACs grid
    assert "top-1 accuracy" in html  # the accuracy chart: every grid point has a published top-1


def test_bad_out_is_exit_2_and_writes_nothing(tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        main(["cost", "mobilenet", "-f", "html", "-o", str(tmp_path / "no" / "x.html")])
    assert e.value.code == 2 and "does not exist" in capsys.readouterr().err
    assert not (tmp_path / "no").exists()


def test_site_is_current(tmp_path):
    written = write_site(tmp_path)
    names = sorted(p.name for p in written)
    committed = sorted(p.name for p in (REPORTS / "site").glob("*.html"))
    assert names == committed, "run `archcalc report --format html` and commit reports/site/"
    stale = [n for n in names if (tmp_path / n).read_bytes() != (REPORTS / "site" / n).read_bytes()]
    assert not stale, f"stale {stale}: run `archcalc report --format html` and commit reports/site/"


# ------------------------------------------------------------- in a browser --
def visible_rows(drv):
    return [r for r in drv.find_elements("css selector", "#layers tbody tr:not(.grp)") if r.is_displayed()]


def test_browser_page_loads_offline_without_console_errors(chromium, r50, tmp_path, requested_urls):
    requested_urls(chromium)  # drain the browser's own start-up requests (its new-tab page)
    chromium.get(r50.as_uri())
    assert chromium.title.startswith("ResNet [50]")
    errors = [e for e in chromium.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
    assert errors == []
    requests = requested_urls(chromium)
    page = r50.as_uri()
    assert (page, page) in requests
    # the page asks for nothing but itself, and nothing at all goes to the network
    assert [u for u, doc in requests if doc == page and not u.startswith(("file:", "data:"))] == []
    assert [u for u, _ in requests if u.startswith(("http:", "https:", "ws:", "wss:"))] == []
    shot = tmp_path / "resnet50.png"
    assert chromium.save_screenshot(str(shot)) and shot.read_bytes()[:4] == b"\x89PNG"


def test_browser_sort_by_macs_puts_costliest_first(chromium, r50):
    doc = json.loads(run("cost", "resnet", "-v", "50", "--format", "json").output)
    costliest = max(doc["layers"], key=lambda r: r["macs"])["macs"]
    chromium.get(r50.as_uri())
    head = [h for h in chromium.find_elements("css selector", "#layers thead th") if h.text == "MACs"][0]
    head.click()
    first = visible_rows(chromium)[0]
    assert int(first.find_elements("css selector", "td")[6].get_attribute("data-v")) == costliest
    # group rows are hidden while sorted flat; "#" restores document order and the groups
    assert not any(g.is_displayed() for g in chromium.find_elements("css selector", "#layers tr.grp"))
    num = chromium.find_elements("css selector", "#layers thead th")[0]
    num.click()
    num.click()  # descending, then ascending = document order
    assert visible_rows(chromium)[0].get_attribute("data-name") == doc["layers"][0]["name"]
    assert chromium.find_elements("css selector", "#layers tr.grp")[0].is_displayed()


def test_browser_filter_and_kind_narrow_rows(chromium, r50):
    chromium.get(r50.as_uri())
    box = chromium.find_element("id", "filter")
    box.send_keys("layer1.*.conv*")
    names = [r.get_attribute("data-name") for r in visible_rows(chromium)]
    assert names and all(re.fullmatch(r"layer1\.\d+\.conv\d", n) for n in names) and len(names) == 9
    assert chromium.find_element("id", "count").text == "9 of 175 layers shown"
    box.clear()
    box.send_keys("layer4")  # a prefix: the stage's layers
    assert all(r.get_attribute("data-name").startswith("layer4.") for r in visible_rows(chromium))
    box.clear()
    chromium.execute_script("var s=document.getElementById('kind');s.value='conv2d';"
                            "s.dispatchEvent(new Event('input'))")
    assert len(visible_rows(chromium)) == 53  # ResNet-50: 49 convs in blocks + 4 downsample + stem = 53


def test_browser_collapse_hides_a_stage(chromium, r50):
    chromium.get(r50.as_uri())
    before = len(visible_rows(chromium))
    grp = chromium.find_element("css selector", 'tr.grp[data-group="layer2"] button')
    grp.click()
    rows = visible_rows(chromium)
    assert not any(r.get_attribute("data-name").startswith("layer2.") for r in rows)
    assert len(rows) == before - sum(1 for r in chromium.find_elements("css selector", "#layers tbody tr[data-name]")
                                     if r.get_attribute("data-name").startswith("layer2."))
    # nested group rows of the stage are hidden too; expanding brings everything back
    assert not chromium.find_element("css selector", 'tr.grp[data-group="layer2.0"]').is_displayed()
    grp.click()
    assert len(visible_rows(chromium)) == before


def test_browser_totals_equal_json(chromium, r50):
    doc = json.loads(run("cost", "resnet", "-v", "50", "--format", "json").output)
    chromium.get(r50.as_uri())
    shown = {td.get_attribute("data-key"): td.text for td in chromium.find_elements("css selector", "#totals td[data-key]")}
    assert shown["params"].startswith(f"{doc['totals']['params']:,} ")
    assert shown["MACs"].startswith(f"{doc['totals']['macs']:,} ")
    assert shown["FLOPs"].startswith(f"{doc['totals']['flops']:,} ")
