"""Self-contained HTML pages: one file per network, comparison or sweep, plus an index.

A page needs nothing but itself: CSS, JavaScript and every chart (hand-built SVG)
are inline, there is no network access, and it opens from ``file://``. Everything
a reader needs is in the HTML itself (the per-layer table, the totals, the charts
and the graph), so the page reads without JavaScript and prints; the small script
only adds sorting, filtering and collapsing of the per-layer table.

Renderers here render: they take results (an :class:`~archcalc.api.Analysis`, or
rows already evaluated by the study code) and return text. They never load a spec
or run an analysis.

>>> svg_text(10, 20, "a < b")
'<text x="10" y="20">a &lt; b</text>'
>>> glob_help()
'name, prefix (layer1) or glob (*.conv*)'
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction
from html import escape
from typing import Any

from archcalc.report.tables import human, human_bytes, shape_str, unicode_math

#: qualitative colours for layer kinds (colour-blind friendly, Okabe-Ito order)
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#999999",
           "#332288", "#882255", "#44AA99", "#999933", "#AA4499", "#117733", "#661100", "#6699CC")

CSS = """
:root{--fg:#1b1f23;--muted:#586069;--line:#d0d7de;--bg:#fff;--accent:#0072B2;--peak:#D55E00}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg);
 margin:0 auto;max-width:1280px;padding:16px 24px 48px}
h1{font-size:22px;margin:8px 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}
.meta{color:var(--muted);margin:0 0 4px}.conv{color:var(--muted);font-size:12.5px;max-width:980px}
table{border-collapse:collapse;font-variant-numeric:tabular-nums}
th,td{padding:3px 8px;border-bottom:1px solid #eaeef2;text-align:left;white-space:nowrap}
th{position:sticky;top:0;background:#f6f8fa;border-bottom:1px solid var(--line);font-weight:600}
td.n,th.n{text-align:right}
table.sortable th{cursor:pointer;user-select:none}
table.sortable th[aria-sort=descending]::after{content:" \\25BE"}table.sortable th[aria-sort=ascending]::after{content:" \\25B4"}
.summary{display:flex;flex-wrap:wrap;gap:24px;align-items:flex-start}
.summary table td:first-child{color:var(--muted)}
.ok{color:#1a7f37;font-weight:600}.bad{color:#cf222e;font-weight:600}
.bar{background-repeat:no-repeat;background-size:var(--w) 100%;background-image:linear-gradient(#cfe3f3,#cfe3f3)}
.bar.p{background-image:linear-gradient(#f6dcb4,#f6dcb4)}
tr.peak td{background:#fdebe3}tr.peak td.name::after{content:" \\25C6 peak memory";color:var(--peak);font-size:11px}
tr.grp td{background:#f6f8fa;font-weight:600;color:#24292f}
tr.grp button{border:0;background:none;cursor:pointer;font:inherit;padding:0 4px;width:22px}
tr.hidden{display:none}
.tools{display:flex;gap:12px;align-items:center;margin:6px 0;flex-wrap:wrap}
.tools input,.tools select{font:inherit;padding:3px 6px;border:1px solid var(--line);border-radius:4px}
.count{color:var(--muted)}
.wrap{overflow-x:auto;max-height:78vh;overflow-y:auto;border:1px solid var(--line)}
.charts{display:flex;flex-wrap:wrap;gap:20px}
figure{margin:0}figcaption{color:var(--muted);font-size:12px;max-width:620px}
svg text{font:11px system-ui,sans-serif;fill:#24292f}svg .ax{stroke:#8c959f;stroke-width:1}
svg .grid{stroke:#eaeef2}
details>summary{cursor:pointer;font-weight:600;margin:6px 0}
.graph{overflow:auto;max-height:80vh;border:1px solid var(--line)}
math{font-size:15px}
footer{margin-top:32px;color:var(--muted);font-size:12px}
@media print{.tools,tr.grp button{display:none}.wrap,.graph{max-height:none;overflow:visible;border:0}
 th{position:static}details{display:block}body{max-width:none;padding:0}}
"""

JS = r"""
(function(){
function num(td){var v=td.getAttribute('data-v');if(v===null||v==='')return null;var f=parseFloat(v);return isNaN(f)?v:f}
document.querySelectorAll('table.sortable').forEach(function(t){
 var body=t.tBodies[0],heads=t.tHead.rows[0].cells;
 Array.prototype.forEach.call(heads,function(th,col){th.addEventListener('click',function(){
  var dir=th.getAttribute('aria-sort')==='descending'?'ascending':'descending';
  Array.prototype.forEach.call(heads,function(h){h.removeAttribute('aria-sort')});
  var rows=Array.prototype.filter.call(body.rows,function(r){return !r.classList.contains('grp')});
  var docOrder=th.hasAttribute('data-order');
  rows.sort(function(a,b){var x=num(a.cells[col]),y=num(b.cells[col]);
   if(x===y)return (+a.dataset.i)-(+b.dataset.i);if(x===null)return 1;if(y===null)return -1;
   var c=(typeof x==='number'&&typeof y==='number')?x-y:String(x).localeCompare(String(y));
   return dir==='ascending'?c:-c});
  if(docOrder&&dir==='ascending'){t.classList.remove('flat')}else{t.classList.add('flat')}
  th.setAttribute('aria-sort',dir);
  if(!t.classList.contains('flat')){var all=Array.prototype.slice.call(body.rows);
   all.sort(function(a,b){return (+a.dataset.i)-(+b.dataset.i)});all.forEach(function(r){body.appendChild(r)})}
  else rows.forEach(function(r){body.appendChild(r)});
  refresh(t)})})});
function globRe(s){s=s.trim();if(!s)return null;
 if(!/[*?\[]/.test(s))return {test:function(n){return n===s||n.indexOf(s+'.')===0||n.indexOf(s)>=0}};
 var re='^'+s.replace(/[.+^${}()|\\]/g,'\\$&').replace(/\*/g,'.*').replace(/\?/g,'.')+'$';return new RegExp(re)}
function refresh(t){
 var f=document.getElementById('filter'),k=document.getElementById('kind'),re=f?globRe(f.value):null,
  kind=k?k.value:'',flat=t.classList.contains('flat'),closed={},shown=0;
 t.querySelectorAll('tr.grp[aria-expanded=false]').forEach(function(g){closed[g.dataset.group]=1});
 Array.prototype.forEach.call(t.tBodies[0].rows,function(r){
  var groups=(r.dataset.groups||'').split(' ').filter(Boolean),hide=false;
  if(r.classList.contains('grp')){
   hide=flat||!!(re||kind)||groups.some(function(g){return closed[g]&&g!==r.dataset.group});
  }else{
   hide=(!flat&&groups.some(function(g){return closed[g]}))||(re&&!re.test(r.dataset.name))||(kind&&r.dataset.kind!==kind);
   if(!hide)shown++}
  r.classList.toggle('hidden',hide)});
 var c=document.getElementById('count');if(c)c.textContent=shown+' of '+t.querySelectorAll('tbody tr:not(.grp)').length+' layers shown'}
document.querySelectorAll('tr.grp button').forEach(function(b){b.addEventListener('click',function(){
 var g=b.closest('tr'),open=g.getAttribute('aria-expanded')!=='false';
 g.setAttribute('aria-expanded',open?'false':'true');b.textContent=open?'\u25B8':'\u25BE';b.setAttribute('aria-label',(open?'expand ':'collapse ')+g.dataset.group);
 refresh(b.closest('table'))})});
['filter','kind'].forEach(function(id){var e=document.getElementById(id);if(e)e.addEventListener('input',function(){
 refresh(document.getElementById('layers'))})});
var lt=document.getElementById('layers');if(lt)refresh(lt);
})();
"""


def glob_help() -> str:
    """What the layer filter accepts (shown as its placeholder)."""
    return "name, prefix (layer1) or glob (*.conv*)"


# ------------------------------------------------------------------- page --
def page(title: str, body: str, version: str) -> str:
    """A complete HTML document around ``body`` with the inline CSS and script."""
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<meta name=\"generator\" content=\"archcalc {escape(version)}\">\n"
            f"<title>{escape(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n{body}\n"
            f"<footer>Generated by archcalc {escape(version)}. Self-contained: no network access; "
            "sorting, filtering and collapsing need JavaScript, reading does not.</footer>\n"
            f"<script>{JS}</script>\n</body>\n</html>\n")


def _num_attr(v: Any) -> str:
    """A ``data-v`` value for sorting: a plain decimal for numbers, empty for none."""
    if v is None or isinstance(v, bool):
        return ""
    if isinstance(v, (int, float)):
        return repr(v) if isinstance(v, float) else str(v)
    if isinstance(v, Fraction):
        return repr(float(v))
    return escape(str(v), quote=True)


def _td(text: Any, v: Any = None, cls: str = "", style: str = "") -> str:
    attrs = (f' class="{cls}"' if cls else "") + (f' style="{style}"' if style else "")
    attrs += f' data-v="{_num_attr(v)}"' if v is not None else ""
    return f"<td{attrs}>{escape(str(text))}</td>"


def _share_style(part: Any, whole: Any) -> str:
    if not isinstance(part, int) or not isinstance(whole, int) or whole <= 0 or part <= 0:
        return ""
    return f"--w:{max(100 * part / whole, 0.5):.2f}%"


# ------------------------------------------------------------------ charts --
def svg_text(x: float, y: float, text: str, anchor: str = "", extra: str = "") -> str:
    """An SVG ``<text>`` element, escaped."""
    a = f' text-anchor="{anchor}"' if anchor else ""
    return f'<text x="{x:g}" y="{y:g}"{a}{extra}>{escape(text)}</text>'


def _ticks(top: float, n: int = 4) -> list[float]:
    if top <= 0:
        return [0.0]
    step = 10 ** math.floor(math.log10(top / n))
    for m in (1, 2, 2.5, 5, 10):
        if top / (step * m) <= n:
            step *= m
            break
    return [i * step for i in range(int(top // step) + 1)]


def svg_profile(names: Sequence[str], values: Sequence[int], colours: Sequence[str], title: str,
                unit: str, width: int = 1220, height: int = 190) -> str:
    """One bar per layer (document order), coloured by kind, with a tooltip per bar."""
    left, bottom, top_pad = 52, 22, 18
    w, h = width - left - 8, height - bottom - top_pad
    top = max(values, default=0) or 1
    bw = w / max(len(values), 1)
    out = [f'<svg role="img" aria-label="{escape(title)}" width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
           svg_text(left, 12, title)]
    for t in _ticks(top):
        y = top_pad + h - h * t / top
        out.append(f'<line class="grid" x1="{left}" x2="{left + w}" y1="{y:.1f}" y2="{y:.1f}"/>')
        out.append(svg_text(left - 4, y + 3, human(int(t)) if t else "0", "end"))
    for i, (name, v, c) in enumerate(zip(names, values, colours)):
        if v:
            bh = h * v / top
            out.append(f'<rect x="{left + i * bw:.2f}" y="{top_pad + h - bh:.2f}" width="{max(bw - 0.3, 0.6):.2f}" '
                       f'height="{bh:.2f}" fill="{c}"><title>{escape(name)}: {human(v)} {unit}</title></rect>')
    out.append(f'<line class="ax" x1="{left}" x2="{left + w}" y1="{top_pad + h}" y2="{top_pad + h}"/>')
    out.append(svg_text(left + w / 2, height - 6, f"layer (document order, {len(values)} layers)", "middle"))
    out.append("</svg>")
    return "".join(out)


def svg_hbars(rows: Sequence[tuple[str, int, int]], width: int = 620) -> str:
    """Horizontal bars of (label, MACs, params) as shares of their totals."""
    tm = sum(r[1] for r in rows) or 1
    tp = sum(r[2] for r in rows) or 1
    left, row_h = 170, 30
    height = 28 + row_h * len(rows)
    bar_w = (width - left - 120) / 2
    out = [f'<svg role="img" aria-label="breakdown by layer type" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}">', svg_text(left, 12, "share of MACs"),
           svg_text(left + bar_w + 60, 12, "share of params")]
    for i, (label, m, p) in enumerate(rows):
        y = 22 + i * row_h
        out.append(svg_text(left - 6, y + 14, label, "end"))
        for j, (v, tot, c) in enumerate(((m, tm, PALETTE[0]), (p, tp, PALETTE[1]))):
            x = left + j * (bar_w + 60)
            frac = v / tot
            out.append(f'<rect x="{x}" y="{y + 3}" width="{bar_w * frac:.2f}" height="16" fill="{c}">'
                       f'<title>{escape(label)}: {100 * frac:.2f}%</title></rect>')
            out.append(svg_text(x + bar_w * frac + 4, y + 15, f"{100 * frac:.1f}%"))
    out.append("</svg>")
    return "".join(out)


def svg_curve(values: Sequence[int], peak_index: int, peak_label: str, width: int = 620,
              height: int = 200) -> str:
    """Live activation memory (bytes) at each step, the peak marked."""
    left, bottom, top_pad = 60, 22, 18
    w, h = width - left - 10, height - bottom - top_pad
    top = max(values, default=0) or 1
    n = max(len(values) - 1, 1)
    pts = " ".join(f"{left + w * i / n:.1f},{top_pad + h - h * v / top:.1f}" for i, v in enumerate(values))
    out = [f'<svg role="img" aria-label="live activation memory" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}">', svg_text(left, 12, "live activation memory per step")]
    for t in _ticks(top):
        y = top_pad + h - h * t / top
        out.append(f'<line class="grid" x1="{left}" x2="{left + w}" y1="{y:.1f}" y2="{y:.1f}"/>')
        out.append(svg_text(left - 4, y + 3, human_bytes(int(t)) if t else "0", "end"))
    out.append(f'<polyline fill="none" stroke="{PALETTE[0]}" stroke-width="1.5" points="{pts}"/>')
    px, py = left + w * peak_index / n, top_pad + h - h * values[peak_index] / top
    out.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="4" fill="#D55E00"><title>peak: {escape(peak_label)}</title></circle>')
    anchor = "end" if px > left + w * 0.6 else "start"
    out.append(svg_text(px + (-6 if anchor == "end" else 6), max(py - 6, 24), f"peak {human_bytes(values[peak_index])} at {peak_label}", anchor))
    out.append(f'<line class="ax" x1="{left}" x2="{left + w}" y1="{top_pad + h}" y2="{top_pad + h}"/>')
    out.append(svg_text(left + w / 2, height - 6, "step (input, then each layer in document order)", "middle"))
    out.append("</svg>")
    return "".join(out)


def svg_scatter(points: Sequence[tuple[float, float, str]], xlabel: str, ylabel: str,
                width: int = 620, height: int = 360) -> str:
    """Labelled points on a log-x / linear-y plane (accuracy vs MACs)."""
    left, bottom, top_pad, right = 56, 40, 16, 16
    w, h = width - left - right, height - bottom - top_pad
    xs = [math.log10(p[0]) for p in points]
    ys = [p[1] for p in points]
    x0, x1 = min(xs), max(xs)
    y0, y1 = min(ys), max(ys)
    x0, x1 = (x0 - 0.1, x1 + 0.1) if x1 - x0 < 0.2 else (x0 - 0.05 * (x1 - x0), x1 + 0.05 * (x1 - x0))
    y0, y1 = (y0 - 1, y1 + 1) if y1 - y0 < 2 else (y0 - 0.06 * (y1 - y0), y1 + 0.06 * (y1 - y0))

    def sx(v: float) -> float:
        return left + w * (math.log10(v) - x0) / (x1 - x0)

    def sy(v: float) -> float:
        return top_pad + h - h * (v - y0) / (y1 - y0)

    out = [f'<svg role="img" aria-label="{escape(ylabel)} vs {escape(xlabel)}" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}">']
    for e in range(math.floor(x0), math.ceil(x1) + 1):
        for m in (1, 2, 5):
            v = m * 10 ** e
            if x0 <= math.log10(v) <= x1:
                out.append(f'<line class="grid" x1="{sx(v):.1f}" x2="{sx(v):.1f}" y1="{top_pad}" y2="{top_pad + h}"/>')
                out.append(svg_text(sx(v), top_pad + h + 14, human(int(v)), "middle"))
    step = _ticks(y1 - y0)[1] if len(_ticks(y1 - y0)) > 1 else 1.0
    for k in range(math.ceil(y0 / step), math.floor(y1 / step) + 1):
        v = k * step
        out.append(f'<line class="grid" x1="{left}" x2="{left + w}" y1="{sy(v):.1f}" y2="{sy(v):.1f}"/>')
        out.append(svg_text(left - 4, sy(v) + 3, f"{v:g}", "end"))
    placed: list[tuple[float, float]] = []
    for (x, y, label) in points:
        cx, cy = sx(x), sy(y)
        out.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="4" fill="{PALETTE[0]}"><title>{escape(label)}: '
                   f'{human(int(x))}, {y:g}</title></circle>')
        ly = cy - 7
        while any(abs(ly - py) < 12 and abs(cx - px) < 90 for px, py in placed):
            ly += 12
        placed.append((cx, ly))
        right = cx > left + 0.7 * w  # labels of points near the right edge go to their left
        out.append(svg_text(cx - 6 if right else cx + 6, ly, label, "end" if right else ""))
    out.append(f'<line class="ax" x1="{left}" x2="{left + w}" y1="{top_pad + h}" y2="{top_pad + h}"/>')
    out.append(f'<line class="ax" x1="{left}" x2="{left}" y1="{top_pad}" y2="{top_pad + h}"/>')
    out.append(svg_text(left + w / 2, height - 6, xlabel, "middle"))
    out.append(svg_text(14, top_pad + h / 2, ylabel, "middle", f' transform="rotate(-90 14 {top_pad + h / 2:g})"'))
    out.append("</svg>")
    return "".join(out)


def svg_graph(nodes: Sequence[Any], edges: Sequence[tuple[str, str]]) -> str:
    """The DAG in a layered layout: a node's row is its longest path from the input.

    ``nodes`` have ``.name`` and ``.lines``; ``edges`` are (source, target) names in
    document order, which is topological, so one pass finds every node's row.
    """
    level = {n.name: 0 for n in nodes}
    for s, d in edges:
        level[d] = max(level[d], level.get(s, 0) + 1)
    rows: dict[int, list[Any]] = {}
    for n in nodes:
        rows.setdefault(level[n.name], []).append(n)
    box_w, gap_x, line_h, gap_y = 190, 24, 13, 26
    row_h = {r: max(len(n.lines) for n in ns) * line_h + 10 for r, ns in rows.items()}
    width = max(len(ns) for ns in rows.values()) * (box_w + gap_x) + gap_x
    pos: dict[str, tuple[float, float, float]] = {}
    y = 10.0
    for r in sorted(rows):
        ns = rows[r]
        x = (width - len(ns) * (box_w + gap_x) + gap_x) / 2
        for n in ns:
            pos[n.name] = (x, y, row_h[r])
            x += box_w + gap_x
        y += row_h[r] + gap_y
    height = int(y)
    out = [f'<svg role="img" aria-label="layer graph" width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
           '<defs><marker id="arr" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="6" markerHeight="6" '
           'orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="#8c959f"/></marker></defs>']
    for s, d in edges:
        if s not in pos or d not in pos:
            continue
        (x1, y1, h1), (x2, y2, _) = pos[s], pos[d]
        ax, ay, bx, by = x1 + box_w / 2, y1 + h1, x2 + box_w / 2, y2
        mid = (ay + by) / 2
        out.append(f'<path d="M{ax:.1f},{ay:.1f} C{ax:.1f},{mid:.1f} {bx:.1f},{mid:.1f} {bx:.1f},{by:.1f}" '
                   'fill="none" stroke="#8c959f" marker-end="url(#arr)"/>')
    for n in nodes:
        x, y0, h = pos[n.name]
        out.append(f'<g><title>{escape(n.name)}</title><rect x="{x:.1f}" y="{y0:.1f}" width="{box_w}" height="{h}" '
                   'rx="5" fill="#f6f8fa" stroke="#8c959f"/>')
        for i, line in enumerate(n.lines):
            text = line if len(line) <= 30 else line[:14] + "…" + line[-15:]
            weight = ' font-weight="600"' if i == 0 else ""
            out.append(svg_text(x + box_w / 2, y0 + 15 + i * line_h, text, "middle", weight))
        out.append("</g>")
    out.append("</svg>")
    return "".join(out)


# ---------------------------------------------------------------- cost page --
def _groups(names: Sequence[str]) -> dict[str, int]:
    """Every proper dotted prefix shared by two or more layers -> its layer count (the spec's nesting)."""
    count: dict[str, int] = {}
    for name in names:
        parts = name.split(".")
        for i in range(1, len(parts)):
            key = ".".join(parts[:i])
            count[key] = count.get(key, 0) + 1
    return {k: v for k, v in count.items() if v >= 2}


def _kind_colours(kinds: Sequence[str]) -> dict[str, str]:
    order: list[str] = []
    for k in kinds:
        if k not in order:
            order.append(k)
    return {k: PALETTE[i % len(PALETTE)] for i, k in enumerate(order)}


def _mathml(expr: Any) -> str:
    from sympy.printing.mathml import mathml

    return f'<math display="inline">{mathml(expr, printer="presentation")}</math>'


def _figure(text: Any) -> str:
    """A printed figure; an exact count gets thousands separators, like archcalc's column.

    >>> _figure("4089184256"), _figure("4.1G")
    ('4,089,184,256', '4.1G')
    """
    text = str(text)
    return f"{int(text):,}" if text.isdigit() else text


def _published_html(checks: Sequence[dict]) -> str:
    if not checks:
        return "<p class=\"meta\">No published figure is recorded for exactly this point.</p>"
    rows = []
    for c in checks:
        ok = c.get("matches")
        verdict = ('<span class="ok">matches</span>' if ok else '<span class="bad">differs</span>'
                   if ok is not None else "")
        rows.append("<tr>" + _td(c.get("source", "")) + _td(c.get("quantity", "")) + _td(_figure(c.get("figure", "")))
                    + _td(f"{c['value']:,}" if isinstance(c.get("value"), int) else c.get("value", ""), cls="n")
                    + f"<td>{verdict}</td></tr>")
    return ("<table><thead><tr><th>source</th><th>quantity</th><th>published</th><th class=\"n\">archcalc</th>"
            "<th>verdict</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>")


def cost_page(a: Any, layer_kinds: Sequence[str], live_bytes: Sequence[int] | None,
              graph: tuple[Sequence[Any], Sequence[tuple[str, str]]] | None,
              full_graph: tuple[Sequence[Any], Sequence[tuple[str, str]]] | None,
              published: Sequence[dict] = (), version: str = "") -> str:
    """The page of one analysed network.

    ``layer_kinds`` is each layer's type (``conv 3x3``, ``depthwise conv 3x3`` ...),
    ``live_bytes`` the live activation bytes at the input and at each step (numeric
    analyses), ``graph``/``full_graph`` (nodes, edges) with blocks collapsed and not.
    """
    doc = a.to_dict()
    net, t, sym = a.network, a.totals, a.symbolic
    title = f"{net.name}" + (f" [{net.variant}]" if net.variant else "")
    vars_text = ", ".join(f"{k}={v}" for k, v in doc["vars"].items())
    head = [f"<h1>{escape(title)}</h1>",
            f"<p class=\"meta\">input {escape(shape_str(net.input_shape))} (C×H×W), batch {escape(str(a.batch))}, "
            f"dtype {escape(a.dtype)}; {escape(vars_text)}</p>",
            f"<p class=\"conv\"><b>Conventions.</b> {escape(a.conventions)}</p>"]
    if sym:
        head.append(f"<p class=\"meta\">Symbolic in {escape(', '.join(a.symbols) or 'no var')} "
                    "(the ideal model: sizes H/stride, channels unrounded).</p>")

    def val(v: Any, unit: str = "") -> str:
        if sym and not isinstance(v, int):
            return _mathml(v)
        if v is None:
            return "–"
        return escape(f"{v:,}" + (f" {unit}" if unit else "") + (f" ({human(v)})" if isinstance(v, int) and v >= 10000 else ""))

    pk = ", ".join(f"{k} {human(v) if isinstance(v, int) else unicode_math(str(v))}"
                   for k, v in t["params_by_kind"].items() if v != 0)
    fk = ", ".join(f"{k} {human(v) if isinstance(v, int) else unicode_math(str(v))}"
                   for k, v in t["flops_by_kind"].items() if v != 0)
    totals = [("params", val(t["params"])), ("params by kind", escape(pk)), ("buffers", val(t["buffers"])),
              ("MACs", val(t["macs"])), ("FLOPs", val(t["flops"])), ("FLOPs by kind", escape(fk)),
              ("activations", val(t["activations"])), ("param bytes", val(t["param_bytes"], "B"))]
    if not sym:
        totals.append(("peak activation memory",
                       escape(f"{human_bytes(t['peak_activation_bytes'])} ({t['peak_activation_bytes']:,} B) "
                              f"at {t['peak_at']}")))
    summary = ("<h2>Totals</h2><div class=\"summary\"><table id=\"totals\"><tbody>"
               + "".join(f"<tr><td>{escape(k)}</td><td data-key=\"{escape(k)}\">{v}</td></tr>" for k, v in totals)
               + "</tbody></table><div><b>Published figures</b>" + _published_html(published) + "</div></div>")

    names = [c.name for c in a.layers]
    colours = _kind_colours(layer_kinds)
    charts = ""
    if not sym:
        macs = [c.macs for c in a.layers]
        params = [c.params for c in a.layers]
        cols = [colours[k] for k in layer_kinds]
        kind_rows: dict[str, list[int]] = {}
        for k, c in zip(layer_kinds, a.layers):
            r = kind_rows.setdefault(k, [0, 0])
            r[0] += c.macs
            r[1] += c.params
        by_kind = sorted(((k, m, p) for k, (m, p) in kind_rows.items() if m or p), key=lambda r: -r[1])
        legend = " ".join(f'<span style="color:{colours[k]}">■</span> {escape(k)}' for k in colours)
        parts = [f"<figure>{svg_profile(names, macs, cols, 'MACs per layer', 'MACs')}"
                 f"{svg_profile(names, params, cols, 'params per layer', 'params')}"
                 f"<figcaption>{legend}</figcaption></figure>",
                 f"<figure>{svg_hbars(by_kind)}<figcaption>Breakdown by layer type: shares of total MACs "
                 "and of all learnable params.</figcaption></figure>"]
        if live_bytes:
            peak_i = names.index(t["peak_at"]) + 1 if t["peak_at"] in names else 0
            parts.append(f"<figure>{svg_curve(live_bytes, peak_i, t['peak_at'])}<figcaption>Live activation "
                         "memory by the liveness rule (document order; a tensor lives until its last consumer has "
                         "run; the input counts).</figcaption></figure>")
        charts = "<h2>Charts</h2><div class=\"charts\">" + "".join(parts) + "</div>"

    table = _layer_table(a, layer_kinds)
    graph_html = ""
    if graph:
        graph_html = ("<h2>Graph</h2><details open><summary>blocks collapsed</summary><div class=\"graph\">"
                      + svg_graph(*graph) + "</div></details>")
        if full_graph:
            graph_html += ("<details><summary>every layer</summary><div class=\"graph\">"
                           + svg_graph(*full_graph) + "</div></details>")
    return page(f"{title} — archcalc", "\n".join(head) + summary + charts + table + graph_html, version)


def _layer_table(a: Any, kinds: Sequence[str]) -> str:
    t, sym = a.totals, a.symbolic
    names = [c.name for c in a.layers]
    groups = _groups(names)
    gsum: dict[str, list[int]] = {}
    if not sym:
        for c in a.layers:
            parts = c.name.split(".")
            for i in range(1, len(parts)):
                g = ".".join(parts[:i])
                if g in groups:
                    s = gsum.setdefault(g, [0, 0])
                    s[0] += c.macs
                    s[1] += c.params
    ops = sorted({c.op for c in a.layers})
    heads = [("#", "n", True), ("layer", "", False), ("op", "", False), ("type", "", False), ("output", "", False),
             ("params", "n", False), ("MACs", "n", False), ("FLOPs", "n", False), ("activations", "n", False),
             ("act. bytes", "n", False)]
    th = "".join(f'<th class="{cls}"' + (' data-order=""' if order else "") + f">{escape(h)}</th>"
                 for h, cls, order in heads)
    body: list[str] = []
    seen: set[str] = set()
    peak = t.get("peak_at")
    nbytes = 0 if sym else (t["activation_bytes"] // t["activations"] if t["activations"] else 0)
    i = 0
    for n, (c, kind) in enumerate(zip(a.layers, kinds), start=1):
        parts = c.name.split(".")
        chain = [".".join(parts[:j]) for j in range(1, len(parts)) if ".".join(parts[:j]) in groups]
        for depth, g in enumerate(chain):
            if g in seen:
                continue
            seen.add(g)
            extra = (f" — {groups[g]} layers, {human(gsum[g][0])} MACs, {human(gsum[g][1])} params"
                     if g in gsum else f" — {groups[g]} layers")
            body.append(f'<tr class="grp" data-i="{i}" data-group="{escape(g, quote=True)}" '
                        f'data-groups="{escape(" ".join(chain[:depth + 1]), quote=True)}" aria-expanded="true">'
                        f'<td colspan="{len(heads)}" style="padding-left:{8 + 16 * depth}px">'
                        f'<button type="button" aria-label="collapse {escape(g, quote=True)}">▾</button>'
                        f'{escape(g)}{escape(extra)}</td></tr>')
            i += 1
        cls = ' class="peak"' if c.name == peak else ""
        def cell(v: Any, share: Any = None, bar: str = "") -> str:
            if sym and not isinstance(v, int):
                return _td(unicode_math(str(v)), None, "n")
            style = _share_style(v, share) if share is not None else ""
            return _td(f"{v:,}", v, "n" + (f" bar{bar}" if style else ""), style)
        body.append(
            f'<tr{cls} data-i="{i}" data-name="{escape(c.name, quote=True)}" data-kind="{escape(c.op, quote=True)}" '
            f'data-groups="{escape(" ".join(chain), quote=True)}">'
            + _td(n, n, "n")
            + _td(c.name, c.name, "name", f"padding-left:{8 + 16 * len(chain)}px") + _td(c.op, c.op) + _td(kind, kind)
            + _td(shape_str(c.output), None) + cell(c.params, t["params"], " p") + cell(c.macs, t["macs"])
            + cell(c.flops) + cell(c.activations)
            + (cell(c.activations * nbytes) if not sym else _td("", None)) + "</tr>")
        i += 1
    options = "".join(f'<option value="{escape(o, quote=True)}">{escape(o)}</option>' for o in ops)
    tools = (f'<div class="tools"><label>filter <input id="filter" type="search" placeholder="{glob_help()}"></label>'
             f'<label>op <select id="kind"><option value="">all</option>{options}</select></label>'
             f'<span id="count" class="count">{len(a.layers)} layers</span></div>')
    return ("<h2>Layers</h2>" + tools + '<div class="wrap"><table id="layers" class="sortable"><thead><tr>'
            + th + "</tr></thead><tbody>" + "".join(body) + "</tbody></table></div>")


# --------------------------------------------------------------- row pages --
def rows_page(title: str, headers: Sequence[str], shown: Sequence[Sequence[Any]], raw: Sequence[Sequence[Any]],
              note: str, scatter: Sequence[tuple[float, float, str]] = (), grid: str = "",
              version: str = "") -> str:
    """A comparison or sweep: a sortable table (exact values for sorting), charts, the conventions."""
    th = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = []
    for i, (srow, rrow) in enumerate(zip(shown, raw)):
        cells = "".join(_td(s, r if isinstance(r, (int, float, Fraction)) and not isinstance(r, bool) else s,
                            "n" if isinstance(r, (int, float, Fraction)) and not isinstance(r, bool) else "")
                        for s, r in zip(srow, rrow))
        body.append(f'<tr data-i="{i}">{cells}</tr>')
    parts = [f"<h1>{escape(title)}</h1>", f'<p class="conv"><b>Conventions.</b> {escape(note)}</p>',
             '<div class="wrap"><table class="sortable" id="rows"><thead><tr>' + th + "</tr></thead><tbody>"
             + "".join(body) + "</tbody></table></div>"]
    charts = []
    if len(scatter) >= 1:
        charts.append(f"<figure>{svg_scatter(scatter, 'MACs (log scale)', 'top-1 accuracy (%)')}"
                      "<figcaption>Published top-1 accuracy against archcalc's MACs, for the rows "
                      "that have both.</figcaption></figure>")
    if grid:
        charts.append(grid)
    if charts:
        parts.append("<h2>Charts</h2><div class=\"charts\">" + "".join(charts) + "</div>")
    return page(f"{title} — archcalc", "\n".join(parts), version)


def grid_table(row_axis: str, col_axis: str, row_values: Sequence[str], col_values: Sequence[str],
               cells: dict[tuple[str, str], int], what: str = "MACs") -> str:
    """A two-axis sweep as a shaded grid of one quantity (darker = larger)."""
    top = max(cells.values(), default=0) or 1
    out = [f"<figure><table class=\"gridtab\"><thead><tr><th>{escape(row_axis)} \\ {escape(col_axis)}</th>"
           + "".join(f"<th class=\"n\">{escape(c)}</th>" for c in col_values) + "</tr></thead><tbody>"]
    for r in row_values:
        out.append(f"<tr><th>{escape(r)}</th>")
        for c in col_values:
            v = cells.get((r, c))
            if v is None:
                out.append("<td>–</td>")
                continue
            shade = 0.12 + 0.55 * v / top
            out.append(f'<td class="n" data-v="{v}" style="background:rgba(0,114,178,{shade:.3f})">{human(v)}</td>')
        out.append("</tr>")
    out.append(f"</tbody></table><figcaption>{escape(what)} over the grid ({escape(row_axis)} down, "
               f"{escape(col_axis)} across).</figcaption></figure>")
    return "".join(out)


def index_page(title: str, entries: Sequence[tuple[str, str, str]], version: str = "") -> str:
    """A list of pages: (relative link, title, one-line description)."""
    items = "".join(f'<li><a href="{escape(href, quote=True)}">{escape(t)}</a> — {escape(d)}</li>'
                    for href, t, d in entries)
    return page(title, f"<h1>{escape(title)}</h1><ul>{items}</ul>", version)


# ------------------------------------------------------------------- glue --
def published_checks(a: Any, source: str | None = None) -> list[dict]:
    """The JSON ``published`` list of the analysis (:meth:`archcalc.api.Analysis.published`),
    with each quantity labelled for people (``params [weights]``, ``top-1 %``)."""
    names = {"macs": "MACs", "params": "params", "top1": "top-1 %"}
    out = []
    for p in a.published(source):
        label = p.get("params_convention") or p.get("label")
        out.append({**p, "quantity": names.get(p["quantity"], p["quantity"]) + (f" [{label}]" if label else ""),
                    "value": "" if p["value"] is None else p["value"]})
    return out


def analysis_page(a: Any, published: Sequence[dict] = (), version: str = "") -> str:
    """:func:`cost_page` of an analysis, with its layer types, memory curve and graphs derived."""
    from archcalc.memory import DTYPE_BYTES, live_elements
    from archcalc.report.breakdown import layer_type
    from archcalc.report.graphviz import nodes_and_edges

    net = a.network
    # a symbolic layer's groups may be a formula: its type is then its op
    kinds = [lay.op.op if a.symbolic else layer_type(lay) for lay in net.layers]
    live = None
    if not a.symbolic:
        steps = [(lay.name, c.activations, lay.inputs) for lay, c in zip(net.layers, a.layers)]
        live = [v * DTYPE_BYTES[a.dtype] for v in live_elements(steps, a.totals["input_elements"], net.graph)]
    # the graph is the numeric one's (symbolic fields would not label); big graphs collapsed only
    blocks = None if a.symbolic else nodes_and_edges(a, collapse=True)
    full = None if a.symbolic or len(net.layers) > 1500 else nodes_and_edges(a)
    return cost_page(a, kinds, live, blocks, full, published, version)


def rows_html(title: str, label_headers: list[str], rows: Sequence[Any], columns: tuple[str, ...],
              axes: Sequence[tuple[str, Sequence[str]]] = (), version: str = "") -> str:
    """:func:`rows_page` of compared or swept rows (:class:`archcalc.report.compare.Row`).

    The accuracy chart plots the rows with a published top-1; a two-axis sweep
    also gets its grid of MACs.
    """
    from archcalc.report.compare import cells, conventions_note, headers_for, with_source

    columns = with_source(columns)  # published cells name their one source per row
    headers = label_headers + headers_for(columns)
    shown = [[str(x) for x in r.labels] + cells(r, columns) for r in rows]
    raw = [list(r.labels) + cells(r, columns, sortable=True) for r in rows]
    points = [(r.analysis.totals["macs"], r.top1[0], ", ".join(str(x) for x in r.labels))
              for r in rows if r.top1 and isinstance(r.analysis.totals["macs"], int) and r.analysis.totals["macs"] > 0]
    grid = ""
    if len(axes) == 2:
        (ra, rv), (ca, cv) = axes
        grid = grid_table(ra, ca, list(rv), list(cv),
                          {(str(r.labels[0]), str(r.labels[1])): r.analysis.totals["macs"] for r in rows})
    return rows_page(title, headers, shown, raw, conventions_note(list(rows)) if rows else "", points, grid,
                     version)
