"""Keep the catalogue complete: extract, update and compile (``make translations``).

    python scripts/translations.py            extract -> update nl -> compile
    python scripts/translations.py --merge F  also fill empty Dutch entries from the PO file F

The Dutch catalogue is ``referral/translations/nl/LC_MESSAGES/messages.po``; its compiled
``messages.mo`` is committed too, so an installed wheel needs no build step.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "referral/translations/nl/LC_MESSAGES/messages.po"
MO = PO.with_suffix(".mo")
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None,
            "lazy_ngettext": (1, 2)}


def extract() -> Catalog:
    with open(ROOT / "babel.cfg", encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    template = Catalog(project="livc-referral", charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=KEYWORDS, comment_tags=("NOTE",),
            strip_comment_tags=True):
        template.add(message, None, [(filename, lineno)], auto_comments=comments,
                     context=context)
    return template


def load(path: Path) -> Catalog:
    with open(path, "rb") as fh:
        return read_po(fh, locale="nl_BE")


def update(template: Catalog) -> Catalog:
    catalog = load(PO) if PO.exists() else Catalog(locale="nl_BE", project="livc-referral")
    catalog.update(template, no_fuzzy_matching=True)
    catalog.obsolete.clear()
    return catalog


def merge(catalog: Catalog, fragment: Path) -> int:
    filled = 0
    for message in load(fragment):
        if not message.id or not message.string:
            continue
        mine = catalog.get(message.id, message.context)
        if mine is not None and not mine.string:
            mine.string = message.string
            filled += 1
    return filled


def save(catalog: Catalog) -> None:
    PO.parent.mkdir(parents=True, exist_ok=True)
    with open(PO, "wb") as fh:
        write_po(fh, catalog, width=100, sort_output=True, omit_header=False)
    with open(MO, "wb") as fh:
        write_mo(fh, catalog, use_fuzzy=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--merge", type=Path, action="append", default=[])
    args = parser.parse_args()
    catalog = update(extract())
    for fragment in args.merge:
        print(f"{fragment}: {merge(catalog, fragment)} entries filled")
    save(catalog)
    missing = [m.id for m in catalog if m.id and not m.string]
    total = sum(1 for m in catalog if m.id)
    print(f"{total} messages, {len(missing)} without Dutch")
    return 0


if __name__ == "__main__":
    sys.exit(main())
