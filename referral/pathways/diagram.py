"""Render a pathway definition as SVG, the current state marked.

Hand-written from the definition (no Graphviz): states are placed in columns by
their distance from the initial state, transitions drawn as labelled arrows.
Everything is escaped; the SVG has no script and no external reference.
"""

from __future__ import annotations

from collections import deque
from xml.sax.saxutils import escape

from workflows import Pathway

BOX_W, BOX_H, COL_GAP, ROW_GAP, MARGIN = 150, 40, 90, 30, 30


def _columns(pathway: Pathway) -> dict[str, int]:
    depth = {pathway.initial: 0}
    queue = deque([pathway.initial])
    while queue:
        state = queue.popleft()
        for t in pathway.transitions_from(state):
            if t.dest not in depth:
                depth[t.dest] = depth[state] + 1
                queue.append(t.dest)
    last = max(depth.values(), default=0)
    for state in pathway.states:  # unreachable states still appear, at the end
        depth.setdefault(state, last + 1)
    return depth


def render_svg(pathway: Pathway, current: str | None = None) -> str:
    depth = _columns(pathway)
    rows: dict[int, int] = {}
    pos: dict[str, tuple[int, int]] = {}
    for state in pathway.states:
        col = depth[state]
        row = rows.get(col, 0)
        rows[col] = row + 1
        pos[state] = (MARGIN + col * (BOX_W + COL_GAP), MARGIN + 30 + row * (BOX_H + ROW_GAP))
    width = MARGIN * 2 + (max(depth.values()) + 1) * (BOX_W + COL_GAP)
    height = MARGIN * 2 + 30 + max(rows.values()) * (BOX_H + ROW_GAP)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(pathway.title)}">',
        "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" "
        "markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\">"
        "<path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"#5b6678\"/></marker></defs>",
        f'<text x="{MARGIN}" y="{MARGIN}" font-family="sans-serif" font-size="16" '
        f'font-weight="bold">{escape(pathway.title)} (v{pathway.version})</text>',
    ]
    seen: set[tuple[str, str]] = set()
    for t in pathway.transitions:
        for source in t.sources:
            if (source, t.dest) in seen:
                continue
            seen.add((source, t.dest))
            (x1, y1), (x2, y2) = pos[source], pos[t.dest]
            sx, sy = float(x1 + BOX_W), y1 + BOX_H / 2
            ex, ey = float(x2), y2 + BOX_H / 2
            if x2 <= x1:  # backwards or same column: leave from the bottom, enter at the bottom
                sx, sy, ex, ey = x1 + BOX_W / 2, y1 + BOX_H, x2 + BOX_W / 2, y2 + BOX_H
            out.append(f'<line x1="{sx:.0f}" y1="{sy:.0f}" x2="{ex:.0f}" y2="{ey:.0f}" '
                       'stroke="#5b6678" marker-end="url(#arrow)"/>')
            out.append(f'<text x="{(sx + ex) / 2:.0f}" y="{(sy + ey) / 2 - 4:.0f}" '
                       'font-family="sans-serif" font-size="10" text-anchor="middle" '
                       f'fill="#5b6678">{escape(t.trigger)}</text>')
    for state, (x, y) in pos.items():
        is_current = state == current
        fill = "#20344f" if is_current else "#ffffff"
        colour = "#ffffff" if is_current else "#1d2430"
        marker = ' data-current="true"' if is_current else ""
        out.append(f'<g class="state{" current" if is_current else ""}"{marker}>'
                   f'<rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="6" '
                   f'fill="{fill}" stroke="#20344f" stroke-width="{3 if is_current else 1}"/>'
                   f'<text x="{x + BOX_W / 2:.0f}" y="{y + BOX_H / 2 + 5:.0f}" '
                   f'font-family="sans-serif" font-size="13" text-anchor="middle" '
                   f'fill="{colour}">{escape(state)}</text></g>')
    out.append("</svg>")
    return "\n".join(out)
