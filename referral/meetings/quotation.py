"""Does a feedback sheet reproduce a note?  Compared on a skeleton, by overlap.

A feedback sheet is the only thing that leaves the LIVC towards the police; it may not carry
information covered by professional secrecy (Constitutional Court 52/2021), so it may not
quote a note of the case, in any compartment.  Copying a note with invisible characters
between its letters, look-alike letters of another script, hyphens for spaces, or in pieces
joined by a separator must not get through, nor must a note cut into pieces and rearranged.

- **The skeleton** (after Unicode TR39): NFKC; case folded; every default-ignorable code
  point and format character removed (zero-width space, soft hyphen, word joiner, combining
  grapheme joiner, ...); accents removed; each character mapped to one representative of
  its confusable class (Cyrillic ``U+0430`` and Latin ``a`` alike; ``l``, ``1`` and ``I`` alike;
  classes from the Unicode confusables data shipped with ``confusable-homoglyphs``); and
  every character that is not a letter or a digit dropped (punctuation, symbols,
  whitespace).
- **Overlap**: a sheet reproduces a note when their skeletons share any run of
  :data:`RUN` characters, or when the note's :data:`SHINGLE`-character pieces found in the
  sheet together cover at least :data:`COVERAGE` of the note and :data:`MIN_COVERED`
  characters (pieces of a note with filler between them); or when, on words, the note's
  runs of :data:`WORD_SHINGLE` words (short words such as inserted fillers left out) found
  in the sheet cover as much (a filler after every word).  The sheet is also read backwards,
  word by word backwards and in ROT13, the encodings anyone undoes at a glance.
"""

from __future__ import annotations

import functools
import json
import unicodedata
from collections.abc import Iterable
from importlib import resources

RUN = 40  # a shared run this long is a quotation
SHINGLE = 16  # pieces this long, found in the sheet, count towards coverage
COVERAGE = 0.3  # the share of a note that its found pieces may not reach ...
MIN_COVERED = 40  # ... when they cover at least this many characters (a shared phrase passes)
WORD_SHINGLE = 3  # runs of this many words, on the words of at least MIN_WORD letters
MIN_WORD = 3
_ROT13 = str.maketrans("abcdefghijklmnopqrstuvwxyz", "nopqrstuvwxyzabcdefghijklm")

# Unicode Default_Ignorable_Code_Point (DerivedCoreProperties.txt), as ranges.
_DEFAULT_IGNORABLE = (
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160), (0x17B4, 0x17B5),
    (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x206F), (0x3164, 0x3164),
    (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8),
    (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF),
)


def _ignorable(ch: str) -> bool:
    code = ord(ch)
    return unicodedata.category(ch) == "Cf" or any(lo <= code <= hi
                                                   for lo, hi in _DEFAULT_IGNORABLE)


@functools.cache
def _representatives() -> dict[str, str]:
    """Each confusable character's class representative (an ASCII letter or digit where the
    class has one).  Built once from the confusables data: a union of the pairs."""
    data = json.loads(resources.files("confusable_homoglyphs").joinpath(
        "confusables.json").read_text(encoding="utf-8"))
    parent: dict[str, str] = {}

    def find(ch: str) -> str:
        root = ch
        while parent.get(root, root) != root:
            root = parent[root]
        parent[ch] = root
        return root

    for source, glyphs in data.items():
        if len(source) != 1:
            continue
        for glyph in glyphs:
            target = glyph["c"]
            if len(target) == 1 and find(source) != find(target):
                parent[find(source)] = find(target)
    classes: dict[str, list[str]] = {}
    for ch in parent:
        classes.setdefault(find(ch), []).append(ch)

    def rank(ch: str) -> tuple[int, str]:
        return (0 if ch.isascii() and ch.isalpha() and ch.islower() else
                1 if ch.isascii() and ch.isalnum() else 2, ch)

    mapping: dict[str, str] = {}
    for members in classes.values():
        representative = min(members, key=rank)
        for ch in members:
            mapping[ch] = representative
    return mapping


def _words(text: str) -> list[str]:
    """The text's words, each as its skeleton (see :func:`skeleton`)."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    visible = "".join(ch for ch in folded if not _ignorable(ch))
    bare = "".join(ch for ch in unicodedata.normalize("NFKD", visible)
                   if not unicodedata.combining(ch))
    mapping = _representatives()
    mapped = unicodedata.normalize("NFKC", "".join(mapping.get(ch, ch) for ch in bare))
    words, word = [], []
    for ch in mapped.casefold():
        if unicodedata.category(ch)[0] in {"L", "N"}:
            word.append(ch)
        elif word:
            words.append("".join(word))
            word = []
    if word:
        words.append("".join(word))
    return words


def skeleton(text: str) -> str:
    """The text as a quotation survives: see the module's docstring."""
    return "".join(_words(text))


def _pieces(text: str, size: int) -> set[str]:
    return {text[i:i + size] for i in range(len(text) - size + 1)}


def overlaps(sheet_skeleton: str, note_skeleton: str, *, run: int = RUN,
             shingle: int = SHINGLE, coverage: float = COVERAGE,
             min_covered: int = MIN_COVERED) -> bool:
    """Whether a sheet reproduces a note (both as skeletons)."""
    if len(note_skeleton) >= run and len(sheet_skeleton) >= run:
        windows = _pieces(sheet_skeleton, run)
        if any(note_skeleton[i:i + run] in windows
               for i in range(len(note_skeleton) - run + 1)):
            return True
    return _covers(list(sheet_skeleton), list(note_skeleton), shingle, coverage, min_covered)


def _covers(sheet: list[str], note: list[str], size: int, coverage: float, minimum: int,
            weight: list[int] | None = None) -> bool:
    """Whether the note's runs of ``size`` items found in the sheet cover enough of it
    (``weight``: the characters each item stands for)."""
    if len(note) < size or len(sheet) < size:
        return False
    found = {tuple(sheet[i:i + size]) for i in range(len(sheet) - size + 1)}
    covered = [False] * len(note)
    for i in range(len(note) - size + 1):
        if tuple(note[i:i + size]) in found:
            covered[i:i + size] = [True] * size
    weights = weight or [1] * len(note)
    total = sum(weights)
    done = sum(w for w, c in zip(weights, covered, strict=True) if c)
    return done >= coverage * total and done >= minimum


def _word_overlap(sheet_words: list[str], note_words: list[str]) -> bool:
    sheet = [w for w in sheet_words if len(w) >= MIN_WORD]
    note = [w for w in note_words if len(w) >= MIN_WORD]
    return _covers(sheet, note, WORD_SHINGLE, COVERAGE, MIN_COVERED,
                   weight=[len(w) for w in note])


def _readings(text: str) -> list[list[str]]:
    """The sheet's words as written, backwards, in reverse word order and in ROT13."""
    words = _words(text)
    return [words, [w[::-1] for w in reversed(words)], list(reversed(words)),
            [w.translate(_ROT13) for w in words]]


def reproduces(sheet_text: str, note_text: str) -> bool:
    note_words = _words(note_text)
    note = "".join(note_words)
    for words in _readings(sheet_text):
        if overlaps("".join(words), note) or _word_overlap(words, note_words):
            return True
    return False


def first_reproduced(sheet_text: str, notes: Iterable[tuple[str, object]]) -> object | None:
    """The label (e.g. the author organisation) of the first note the sheet reproduces."""
    for body, label in notes:
        if reproduces(sheet_text, body):
            return label
    return None
