"""Render a pathway definition as SVG, the current state and the way forward marked.

Hand-written from the definition (no Graphviz).  The layout is a ladder: one row per state,
in the order they are reached from the initial state, and beside each state its exits, one
line each ("label → next state").  Labels therefore never cross or overlap, however many
transitions a pathway has.  The current state is filled dark and marked "you are here";
its exits (the way forward) are drawn bold in the accent colour, everything else muted.

Texts come from ``say(id, kind)`` (kinds ``state`` and ``trigger``), so that a page can
pass its translated labels; without it the ids are shown (the API's SVG).  Everything is
escaped; the SVG has no script, no style element and no external reference.
"""

from __future__ import annotations

from collections.abc import Callable
from xml.sax.saxutils import escape, quoteattr

from workflows import Pathway

Say = Callable[[str, str], str]

BOX_W, BOX_H, LINE_H, ROW_GAP, MARGIN, TITLE_H = 190, 36, 20, 14, 20, 34
EXIT_X = BOX_W + 28  # where an exit's text starts, right of the boxes
CHAR_W = 7.2  # average width of a 12px sans-serif character, to size the canvas
INK, MUTED, ACCENT, LINE = "#1d2430", "#5b6678", "#0b5cad", "#c3c9d3"
FONT = 'font-family="sans-serif"'


def _ids(value: str, kind: str) -> str:
    return value


def _order(pathway: Pathway) -> list[str]:
    """States in the order the definition lists them (its author's usual course), any
    state only reached by a transition after them."""
    order = list(pathway.states)
    for t in pathway.transitions:
        if t.dest not in order:
            order.append(t.dest)
    return order


def _exits(pathway: Pathway, state: str) -> list[tuple[str, str]]:
    """(trigger, destination) pairs leaving ``state``, each once."""
    found: list[tuple[str, str]] = []
    for t in pathway.transitions_from(state):
        if (t.trigger, t.dest) not in found:
            found.append((t.trigger, t.dest))
    return found


def render_svg(pathway: Pathway, current: str | None = None, say: Say | None = None,
               title: str | None = None) -> str:
    say = say or _ids
    order = _order(pathway)
    exits = {state: _exits(pathway, state) for state in order}
    tops: dict[str, int] = {}
    y = MARGIN + TITLE_H
    for state in order:
        tops[state] = y
        y += max(BOX_H, len(exits[state]) * LINE_H + 8) + ROW_GAP
    height = y - ROW_GAP + MARGIN
    lines = {state: [f"{say(trig, 'trigger')} \u2192 {say(dest, 'state')}"
                     for trig, dest in exits[state]] for state in order}
    longest = max((len(text) for texts in lines.values() for text in texts), default=0)
    width = int(MARGIN * 2 + EXIT_X + 16 + longest * CHAR_W)
    heading = title or pathway.title
    ahead = {dest for _trigger, dest in exits.get(current or "", [])} - {current}
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label={quoteattr(heading)}>',
        f"<title>{escape(heading)}</title>",
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" '
        f'markerHeight="6" orient="auto"><path d="M 0 0 L 10 5 L 0 10 z" fill="{MUTED}"/>'
        '</marker><marker id="arrow-forward" viewBox="0 0 10 10" refX="10" refY="5" '
        'markerWidth="7" markerHeight="7" orient="auto">'
        f'<path d="M 0 0 L 10 5 L 0 10 z" fill="{ACCENT}"/></marker></defs>',
        f'<text x="{MARGIN}" y="{MARGIN + 16}" {FONT} font-size="16" font-weight="bold" '
        f'fill="{INK}">{escape(heading)}</text>',
    ]
    for state in order:
        top = tops[state]
        is_current = state == current
        final = state in pathway.final_states
        fill, colour = ("#20344f", "#ffffff") if is_current else ("#ffffff", INK)
        # The states one step ahead are outlined in the accent colour: the way forward.
        stroke, width = ((ACCENT, 2) if state in ahead else ("#20344f", 3 if is_current else 1))
        marker = ' data-current="true"' if is_current else ""
        inner = (f'<rect x="{MARGIN + 3}" y="{top + 3}" width="{BOX_W - 6}" '
                 f'height="{BOX_H - 6}" rx="4" fill="none" stroke="{colour}"/>'
                 if final else "")  # a final state has a double border
        weight = ' font-weight="bold"' if is_current else ""
        out.append(f'<g class="state{" current" if is_current else ""}"{marker}>'
                   f'<rect x="{MARGIN}" y="{top}" width="{BOX_W}" height="{BOX_H}" rx="6" '
                   f'fill="{fill}" stroke="{stroke}" stroke-width="{width}"/>'
                   f'{inner}<text x="{MARGIN + BOX_W / 2:.0f}" y="{top + BOX_H / 2 + 5:.0f}" '
                   f'{FONT} font-size="13" text-anchor="middle" fill="{colour}"{weight}>'
                   f"{escape(say(state, 'state'))}</text></g>")
        if is_current:
            out.append(f'<circle cx="{MARGIN - 9}" cy="{top + BOX_H / 2:.0f}" r="5" '
                       f'fill="{ACCENT}"/>')
        for i, text in enumerate(lines[state]):
            ty = top + 4 + LINE_H * i + LINE_H / 2
            stroke, arrow, weight = ((ACCENT, "arrow-forward", ' font-weight="bold"')
                                     if is_current else (MUTED, "arrow", ""))
            out.append(f'<line x1="{MARGIN + BOX_W}" y1="{ty:.0f}" x2="{MARGIN + EXIT_X - 6}" '
                       f'y2="{ty:.0f}" stroke="{stroke}" marker-end="url(#{arrow})"/>')
            out.append(f'<text x="{MARGIN + EXIT_X}" y="{ty + 4:.0f}" {FONT} font-size="12" '
                       f'fill="{INK if is_current else MUTED}"{weight}>{escape(text)}</text>')
    out.append("</svg>")
    return "\n".join(out)
