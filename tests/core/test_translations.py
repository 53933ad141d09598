"""Every string a user reads on a page is in the Dutch catalogue, translated.

Extraction is run here as ``make translations`` runs it; a string in a template outside
``_()``, a flash message written as a bare literal, a catalogue entry left empty or a
compiled catalogue older than its source fails.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

from babel.messages.mofile import read_mo
from jinja2 import Environment

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import translations  # noqa: E402

TEMPLATES = ROOT / "referral" / "templates"
# Words that are the same in both languages: names of things, acronyms, the language names.
SAME_IN_BOTH = {"LIVC", "CSV", "SVG", "DPO", "VDAB", "CAW", "API", "ID", "MFA", "TOTP", "OK",
                "English", "Nederlands", "Sw", "FHIR", "PDF", "UUID"}
TRANSLATED_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")


def _catalogue():
    return translations.load(translations.PO)


def test_every_extracted_string_has_a_dutch_translation():
    catalog = _catalogue()
    missing = []
    for message in translations.extract():
        if not message.id:
            continue
        entry = catalog.get(message.id, message.context)
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        if entry is None or not entry.string or (isinstance(entry.string, tuple)
                                                  and not all(entry.string)):
            missing.append(ids[0])
    assert missing == [], f"{len(missing)} strings without Dutch (make translations): " \
                          f"{missing[:20]}"


def test_the_compiled_catalogue_is_the_source():
    with open(translations.MO, "rb") as fh:
        compiled = {m.id: m.string for m in read_mo(fh) if m.id}
    source = {m.id: m.string for m in _catalogue() if m.id and m.string}
    assert compiled == source, "run make translations: messages.mo is stale"


def _untranslated_text(chunk: str) -> list[str]:
    found = []
    for attr in TRANSLATED_ATTRIBUTES:
        for value in re.findall(rf'\b{attr}="([^"]*)"', chunk):
            found.extend(_words(value))
    # Attributes (the translated ones were checked above), also where a macro writes them
    # outside a tag, then the tags.
    text = re.sub(r'\b[a-z][a-z-]*="[^"]*"', " ", chunk)
    text = re.sub(r"<[^>]*>", " ", text)
    text = re.sub(r"&[a-z]+;|&#\d+;", " ", text)
    found.extend(_words(text))
    return found


def _words(text: str) -> list[str]:
    words = re.findall(r"[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ'\u2019-]+", text)
    return [w for w in words if w not in SAME_IN_BOTH]


def _text_outside_jinja(env: Environment, source: str) -> str:
    """The template with every Jinja expression and block (and all of ``{% trans %}``)
    replaced by a placeholder: tags split by ``{{ ... }}`` become whole again."""
    out, in_trans, previous = [], False, ""
    for _, kind, value in env.lex(source):
        if kind == "name" and previous == "block_begin":
            in_trans = value == "trans" or (in_trans and value != "endtrans")
        out.append(value if kind == "data" and not in_trans else "\x00")
        previous = kind
    return "".join(out)


def test_no_template_text_outside_the_catalogue():
    env = Environment(extensions=["jinja2.ext.i18n"], autoescape=True)
    offenders = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        words = _untranslated_text(_text_outside_jinja(env, path.read_text(encoding="utf-8")))
        if words:
            offenders.append(f"{path.relative_to(TEMPLATES)}: {' '.join(words[:6])}")
    assert offenders == [], "template text outside _(): " + "; ".join(offenders[:30])


def test_flash_messages_are_translated():
    offenders = []
    for path in sorted((ROOT / "referral").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "flash" \
                    and node.args and isinstance(node.args[0], ast.Constant | ast.JoinedStr):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == [], f"flash with a literal, not _(): {offenders}"


def test_pages_show_times_in_brussels_not_utc():
    offenders = [str(p.relative_to(TEMPLATES)) for p in TEMPLATES.rglob("*.html")
                 if "strftime" in p.read_text(encoding="utf-8")
                 or "isoformat" in p.read_text(encoding="utf-8")]
    assert offenders == [], f"format times with |datetimeformat, not strftime: {offenders}"
