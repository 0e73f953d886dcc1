"""The Romanian stop words of the `ro_stop` filter (engines/elasticsearch-analysis-ro):
Lucene's list (org/apache/lucene/analysis/ro/stopwords.txt, by Jacques Savoy, BSD
licence), as lucene-analysis-common 9.12.2 ships it. tests/search/test_stopwords.py
checks it against the running engine.

Procedura needs it to see that a query has only stop words (`de`, `în care`), which the
analysers would turn into nothing, i.e. into "match everything".
"""
from __future__ import annotations

import unicodedata

LUCENE_RO_STOPWORDS = """
    acea aceasta această aceea acei aceia acel acela acele acelea acest acesta aceste
    acestea aceşti aceştia acolo acum ai aia aibă aici al ăla ale alea ălea altceva
    altcineva am ar are aş aşadar asemenea asta ăsta astăzi astea ăstea ăştia asupra aţi
    au avea avem aveţi azi bine bucur bună ca că căci când care cărei căror cărui cât
    câte câţi către câtva ce cel ceva chiar cînd cine cineva cît cîte cîţi cîtva contra
    cu cum cumva curând curînd da dă dacă dar datorită de deci deja deoarece departe
    deşi din dinaintea dintr dintre drept după ea ei el ele eram este eşti eu face fără
    fi fie fiecare fii fim fiţi iar ieri îi îl îmi împotriva în înainte înaintea încât
    încît încotro între întrucât întrucît îţi la lângă le li lîngă lor lui mă mâine mea
    mei mele mereu meu mi mine mult multă mulţi ne nicăieri nici nimeni nişte noastră
    noastre noi noştri nostru nu ori oricând oricare oricât orice oricînd oricine oricît
    oricum oriunde până pe pentru peste pînă poate pot prea prima primul prin printr sa
    să săi sale sau său se şi sînt sîntem sînteţi spre sub sunt suntem sunteţi ta tăi
    tale tău te ţi ţie tine toată toate tot toţi totuşi tu un una unde undeva unei unele
    uneori unor vă vi voastră voastre voi voştri vostru vouă vreo vreun
""".split()


def _variants(word: str) -> set[str]:
    comma = word.replace("ş", "ș").replace("ţ", "ț")
    return {word, comma, comma.replace("ș", "ş").replace("ț", "ţ")}


def _fold(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# as `ro_stop` sees them: lowercase, with the cedilla and comma-below spellings
STOPWORDS = frozenset(v for w in LUCENE_RO_STOPWORDS for v in _variants(w))
# and without diacritics: `si`, `in`, `pana` are what staff type for `și`, `în`, `până`.
# The engine keeps `si` (it is not in its list), and an indexed `și` is gone, so a query
# must not require them
FOLDED_STOPWORDS = frozenset(_fold(w) for w in STOPWORDS)


def is_stopword(word: str) -> bool:
    """A stop word in any spelling (punctuation around it ignored)."""
    bare = "".join(c for c in _fold(word) if c.isalnum())
    return bool(bare) and bare in FOLDED_STOPWORDS
