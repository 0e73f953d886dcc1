"""Abbreviations and the words they stand for, applied when a query is built.

The Elasticsearch distribution Procedura runs (integ-test-zip) has no analysis-common
module, so no `synonym_graph` filter: a query word or run of words that is one of the
forms of a group below also matches the group's other forms (an abbreviation as a word,
several words as a phrase, up to 3 words apart: "Hotărârea nr. 12 a Consiliului Local").
Add a group here; no reindexing is needed.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from services.search.stopwords import is_stopword

GROUPS: list[tuple[str, ...]] = [
    # the stemmer gives `hotărârea` and `hotărârile` different stems: both forms are here
    ("HCL", "hotărârea consiliului local", "hotărârile consiliului local"),
    ("HCJ", "hotărârea consiliului județean"),
    ("SCIM", "sistemul de control intern managerial", "control intern managerial"),
    ("CM", "comisia de monitorizare"),
    ("SMC", "sistemul de management al calității", "managementul calității"),
    ("PO", "procedură operațională"),
    ("PS", "procedură de sistem"),
    ("IL", "instrucțiune de lucru"),
    ("ROF", "regulamentul de organizare și funcționare"),
    ("ROI", "regulamentul intern"),
    ("RU", "resurse umane"),
    ("FIAP", "fișa de identificare și analiză a problemei"),
    ("GDPR", "RGPD", "protecția datelor cu caracter personal"),
    ("PUZ", "plan urbanistic zonal"),
    ("PUG", "plan urbanistic general"),
    ("OSGG", "ordinul secretariatului general al guvernului"),
    ("SSM", "securitate și sănătate în muncă", "securitatea și sănătatea în muncă"),
]

KEY_LETTERS = 5  # words compare on their first letters, without diacritics


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _bare(word: str) -> str:
    return "".join(c for c in _fold(word) if c.isalnum())


def _key(word: str) -> str:
    """`hotărârea`, `hotărâre`, `hotararii` → `hotar`: near enough to a stem for
    recognising a form in a query (every other word of the form must match too)."""
    return _bare(word)[:KEY_LETTERS]


@dataclass(frozen=True)
class Form:
    text: str
    keys: tuple[str, ...]   # of its words that are not stop words

    @property
    def single(self) -> bool:
        return len(self.text.split()) == 1


def _form(text: str) -> Form:
    return Form(text, tuple(_key(w) for w in text.split() if not is_stopword(w)))


_FORMS = [[_form(t) for t in group] for group in GROUPS]


@dataclass(frozen=True)
class Match:
    start: int                 # index of the first query word of the span
    end: int                   # one past the last
    others: tuple[Form, ...]   # the forms to look for besides the words typed


def expand(words: list[str]) -> list[Match]:
    """The spans of `words` (as typed) that are a form of a synonym group, longest
    first, not overlapping."""
    content = [(i, _key(w)) for i, w in enumerate(words) if not is_stopword(w)]
    found: list[Match] = []
    taken: set[int] = set()
    candidates = sorted(((len(f.keys), g, f) for g, forms in enumerate(_FORMS) for f in forms
                         if f.keys), key=lambda c: -c[0])
    for length, g, form in candidates:
        for n in range(len(content) - length + 1):
            span = content[n:n + length]
            if tuple(k for _, k in span) != form.keys:
                continue
            if form.single and _bare(words[span[0][0]]) != _bare(form.text):
                continue          # an abbreviation is matched whole: `cmx` is not `CM`
            start, end = span[0][0], span[-1][0] + 1
            if taken & set(range(start, end)):
                continue
            taken |= set(range(start, end))
            found.append(Match(start, end, tuple(f for f in _FORMS[g] if f is not form)))
    return sorted(found, key=lambda m: m.start)
