"""Bar charts as SVG, drawn by pygal on the server and inlined in the page.

The page's Content-Security-Policy allows no inline script and no inline style, and
pygal's SVG carries both (its configuration script, a ``<style>`` element, the tooltip's
``style`` attribute): they are removed here, and the charts are styled by
``static/dashboards.css``.  What remains is shapes, labels and ``<desc>`` values -- no
script, no link, nothing interactive: a chart is a picture of the table beside it, which
holds the same published numbers.  A suppressed count ("<5") draws no bar; its label says
"<5".
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

import pygal
from markupsafe import Markup

from referral.dashboards.suppression import HIDDEN, Count

SVG = "http://www.w3.org/2000/svg"
XLINK = "http://www.w3.org/1999/xlink"
ET.register_namespace("", SVG)
ET.register_namespace("xlink", XLINK)

_UNWANTED = {f"{{{SVG}}}style", f"{{{SVG}}}script"}


def _config(horizontal: bool, rows: int) -> pygal.Config:
    config = pygal.Config()
    config.js = []
    config.css = []
    config.disable_xml_declaration = True
    config.show_legend = False
    config.print_values = True
    config.print_zeroes = False
    config.width = 640
    config.height = max(160, 34 * rows + 70) if horizontal else 320
    config.margin = 8
    config.spacing = 6
    config.truncate_label = 40
    config.show_y_guides = not horizontal
    config.show_x_guides = horizontal
    config.x_label_rotation = 0 if horizontal else 35
    config.no_data_text = ""
    return config


def bar_chart(title: str, rows: Sequence[tuple[str, Count]], *,
              horizontal: bool = True) -> Markup | None:
    """A bar per row: ``rows`` are (label, published count); None when no count is shown
    (nothing to draw: every count is zero, below 5 or hidden)."""
    shown = [n for _, n in rows if isinstance(n, int) and n > 0]
    if not shown:
        return None
    config = _config(horizontal, len(rows))
    config.y_labels = _ticks(max(shown))
    if not horizontal and len(rows) <= 6:
        config.x_label_rotation = 0
    chart = pygal.HorizontalBar(config) if horizontal else pygal.Bar(config)
    # pygal draws a horizontal chart's first label at the bottom: read top-down like the table.
    ordered = list(reversed(rows)) if horizontal else list(rows)
    chart.x_labels = [f"{label} ({HIDDEN})" if n == HIDDEN else label for label, n in ordered]
    chart.add(title, [None if n == HIDDEN else n for _, n in ordered])
    return clean(chart.render(is_unicode=True), title)


def _ticks(top: int) -> list[int]:
    """Whole numbers on the value axis, about five of them (counts have no fractions)."""
    step = next(s for s in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000,
                            10_000, 20_000, 50_000, 100_000) if top / s <= 6) \
        if top <= 600_000 else -(-top // 5)
    return list(range(0, top + step, step))


def clean(svg: str, title: str) -> Markup:
    """pygal's SVG without script, style or tooltips; an image named ``title``."""
    root = ET.fromstring(svg)  # noqa: S314 - pygal's own output, drawn from our numbers
    for parent in list(root.iter()):
        for child in list(parent):
            if child.tag in _UNWANTED or "tooltip-overlay" in child.get("class", "") or (
                    child.tag == f"{{{SVG}}}title" and parent is not root):
                parent.remove(child)
    for element in root.findall(f"{{{SVG}}}title"):
        element.text = title
    for element in root.iter():
        element.attrib.pop("style", None)
        for name in [n for n in element.attrib if n.startswith("on")]:
            del element.attrib[name]
    root.set("role", "img")
    root.set("aria-label", title)
    root.set("class", "pygal-chart")
    root.set("preserveAspectRatio", "xMinYMin meet")
    text = ET.tostring(root, encoding="unicode")
    return Markup(text)  # noqa: S704 - serialised by ElementTree: every text and attribute escaped
