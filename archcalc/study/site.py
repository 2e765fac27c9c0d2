"""``archcalc report --format html``: the bundled reports as self-contained pages, with an index.

Pages (deterministic, like the text reports): ``index.html``; ``compare.html``
(the comparison table of :data:`archcalc.study.reports.COMPARE`);
``mobilenet_grid.html`` (MobileNet's alpha x rho grid); ``architectures.html``
(every variant of every bundled spec); one cost page per compared network.
Every page is built before the first file is written, so a failure writes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from archcalc.report.compare import Row, attach_references, split_spec_arg
from archcalc.report.html import analysis_page, index_page, published_checks, rows_html
from archcalc.study import analyze_cached, compare_rows, load_cached
from archcalc.study.reports import COMPARE_COLUMNS, GRID_COLUMNS, compare_items, grid_rows, variants_of


def slug(text: str) -> str:
    """A file-name-safe lowercase slug.

    >>> slug("senet:se-resnet-50")
    'senet-se-resnet-50'
    """
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def site_pages(specs, version: str) -> dict[str, str]:
    """File name -> page text for every page of the site."""
    cache: dict = {}
    pages: dict[str, str] = {}
    entries: list[tuple[str, str, str]] = []
    items = compare_items(specs)
    rows = compare_rows(items, cache=cache)
    pages["compare.html"] = rows_html("Architectures compared at their published input resolution",
                                      ["network", "variant"], rows, COMPARE_COLUMNS, version=version)
    entries.append(("compare.html", "Comparison", "the bundled architectures side by side, with published figures"))
    axes, grid = grid_rows(cache)
    if grid:
        pages["mobilenet_grid.html"] = rows_html(
            "MobileNet v1: width multiplier alpha x resolution multiplier rho (Howard et al. 2017, Tables 6-7)",
            [n for n, _ in axes], grid, GRID_COLUMNS, axes, version)
        entries.append(("mobilenet_grid.html", "MobileNet grid", "the 16-model alpha x rho grid"))
    arch: list[Row] = []
    for path in specs:
        loaded = load_cached(path)
        for variant in variants_of(loaded):
            a = analyze_cached(loaded, variant, {}, cache=cache)
            arch.append(attach_references(Row([loaded.spec.name, variant or "default"], a)))
    pages["architectures.html"] = rows_html("Bundled architectures (every variant at its default vars)",
                                            ["network", "variant"], arch, COMPARE_COLUMNS, version=version)
    entries.append(("architectures.html", "Architectures", "one row per variant of every bundled spec"))
    for item, row in zip(items, rows):
        path, _ = split_spec_arg(item)
        name = slug(f"{Path(path).stem}-{row.analysis.network.variant or ''}") + ".html"
        pages[name] = analysis_page(row.analysis, published_checks(row.analysis), version)
        label = row.analysis.network.name + (f" [{row.analysis.network.variant}]" if row.analysis.network.variant else "")
        entries.append((name, label, "per-layer costs, charts and graph"))
    pages["index.html"] = index_page("archcalc reports", entries, version)
    return pages


def write_site(outdir: str | Path, specs=None, log: Callable[[str], None] | None = None) -> list[Path]:
    """Build every page, then write them all into ``outdir`` all-or-nothing (archcalc.io.Staged).

    The directory is checked before any work; a missing one is created (its parent must exist).
    """
    from archcalc import __version__
    from archcalc.errors import OutputError
    from archcalc.io import Staged, check_directory
    from archcalc.spec.loader import bundled_specs

    out = check_directory(outdir, "the HTML report")
    pages = site_pages(list(specs or bundled_specs()), __version__)
    if not out.exists():
        try:
            out.mkdir()
        except OSError as e:
            raise OutputError(f"cannot create directory '{outdir}': {e.strerror}") from None
    with Staged(out, "the HTML report") as staged:
        for name, text in pages.items():
            staged.write_text(name, text)
    written = [out / name for name in pages]
    if log:
        for p in written:
            log(f"wrote {p}")
    return written
