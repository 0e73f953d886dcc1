"""What changed between two text renditions: paragraphs first, then words inside the
paragraphs that changed, so a 200-page procedure is compared in near-linear time."""
from __future__ import annotations

import difflib
import re
from dataclasses import asdict, dataclass, field

_WORDS = re.compile(r"\s+|\w+|[^\w\s]+")
_SENTENCE = re.compile(r"[^\n.!?;]*(?:[.!?;]+\s*|\n|$)")


@dataclass(frozen=True)
class WordChange:
    op: str          # equal | insert | delete | replace
    old: str
    new: str


@dataclass(frozen=True)
class Hunk:
    op: str          # equal | insert | delete | replace
    old_start: int   # first paragraph (0-based) in the old text
    new_start: int
    old: list[str]
    new: list[str]
    words: list[WordChange] = field(default_factory=list)  # for `replace`


@dataclass(frozen=True)
class TextDiff:
    hunks: list[Hunk]
    unified: str
    inserted_words: int
    deleted_words: int

    def as_dict(self) -> dict:
        return asdict(self)


def paragraphs(text: str) -> list[str]:
    return [p.strip() for p in text.splitlines() if p.strip()]


def diff_words(old: str, new: str) -> list[WordChange]:
    """Word-level changes between two passages; white space is kept, and changes
    separated only by white space are shown as one (`30 de zile` → `15 zile lucrătoare`).

    Sentences are matched first and only the sentences that differ are compared word by
    word: white space is every other token of prose, and a word-level match over a whole
    paragraph spends most of its time on it."""
    a, b = _sentences(old), _sentences(new)
    if len(a) <= 1 and len(b) <= 1:
        return _coalesce(_token_changes(old, new))
    changes: list[WordChange] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            text = "".join(a[i1:i2])
            changes.append(WordChange("equal", text, text))
        else:
            changes += _token_changes("".join(a[i1:i2]), "".join(b[j1:j2]))
    return _coalesce(_join_equal(changes))


def _sentences(text: str) -> list[str]:
    """Sentences with the white space after them; joined, they give back `text`."""
    return [s for s in _SENTENCE.findall(text) if s]


def _token_changes(old: str, new: str) -> list[WordChange]:
    a, b = _WORDS.findall(old), _WORDS.findall(new)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return [WordChange(op, "".join(a[i1:i2]), "".join(b[j1:j2]))
            for op, i1, i2, j1, j2 in matcher.get_opcodes()]


def _join_equal(changes: list[WordChange]) -> list[WordChange]:
    joined: list[WordChange] = []
    for change in changes:
        if joined and change.op == "equal" and joined[-1].op == "equal":
            last = joined.pop()
            change = WordChange("equal", last.old + change.old, last.new + change.new)
        joined.append(change)
    return joined


def _coalesce(changes: list[WordChange]) -> list[WordChange]:
    merged: list[WordChange] = []
    for i, change in enumerate(changes):
        between_changes = (change.op == "equal" and not change.old.strip()
                           and 0 < i < len(changes) - 1 and changes[i + 1].op != "equal"
                           and merged and merged[-1].op != "equal")
        if merged and merged[-1].op != "equal" and (change.op != "equal" or between_changes):
            last = merged.pop()
            merged.append(WordChange("replace", last.old + change.old, last.new + change.new))
        else:
            merged.append(change)
    return merged


def diff_texts(old: str, new: str, context: int = 2, old_label: str = "old",
               new_label: str = "new") -> TextDiff:
    """Structured hunks for a side-by-side view, plus unified text."""
    a, b = paragraphs(old), paragraphs(new)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    hunks: list[Hunk] = []
    inserted = deleted = 0
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        words: list[WordChange] = []
        if op == "replace":
            words = diff_words("\n".join(a[i1:i2]), "\n".join(b[j1:j2]))
            inserted += sum(_count(w.new) for w in words if w.op in ("insert", "replace"))
            deleted += sum(_count(w.old) for w in words if w.op in ("delete", "replace"))
        elif op == "insert":
            inserted += sum(_count(p) for p in b[j1:j2])
        elif op == "delete":
            deleted += sum(_count(p) for p in a[i1:i2])
        hunks.append(Hunk(op, i1, j1, a[i1:i2], b[j1:j2], words))
    unified = "\n".join(difflib.unified_diff(a, b, old_label, new_label, n=context,
                                             lineterm=""))
    return TextDiff(hunks, unified, inserted, deleted)


def _count(text: str) -> int:
    return len(text.split())
