"""From what a person types to an Elasticsearch query.

The syntax is parsed here, never by Elasticsearch (no `query_string`, no
`simple_query_string`): words become `match` queries, so `\\ / : ( ) [ ] { } ^ ~ * ?`
and unbalanced quotes are plain text and can never make the engine fail.

  words           every word must match (stemmed, folded: any spelling of ș ț ă â î)
  "a phrase"      the exact words in that order (folded, not stemmed)
  -word -"a b"    leave out versions that contain them
  PO-DJ           a code prefix: finds PO-DJ-07, PO-DJ-12 …
  contrac         the last words of a title as it is typed (prefix)
  petitiilr       words of 5 letters or more tolerate one typo
  de la           stop words only: those exact words in that order (not "everything")

What is searched (the scope): revisions in force (default), the revisions in the
signing chain the user may work on (`scope=work`), or every version (`scope=all`,
also `all_versions=true`). Permissions are clauses of the query in every scope.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from services.contracts import confidentiality, signing
from services.contracts.models import Role, User
from services.contracts.search import SearchQuery, SuggestQuery
from services.search.stopwords import is_stopword
from services.search.synonyms import expand

# The default view: the revisions in force. (False: everything but the history below.)
IN_FORCE_ONLY_BY_DEFAULT = True
HIDDEN_BY_DEFAULT = ["superseded", "withdrawn", "archived", "disposed"]
# `scope=work`: revisions on their way to coming into force
WORK_STATUSES = [status.value for status in signing.WORK_STATUSES]

FACETS = {"type": "type", "department": "owner_department", "process": "process",
          "status": "status", "year": "year"}
MAX_TERMS = 32            # words and phrases taken from one query; the rest is ignored
MAX_RESULT_WINDOW = 10_000  # Elasticsearch's index.max_result_window
FUZZY_MIN_LETTERS = 5

# only folded fields score, so every spelling of a query ranks the hits the same way
WORD_FIELDS = ["code.text^4", "title.folded^3", "content.folded"]
FUZZY_FIELDS = ["title.exact^3", "content.exact"]  # unstemmed: a typo breaks the suffix
PHRASE_FIELDS = ["code.text^4", "title.exact^3", "content.exact"]
PROXIMITY_FIELDS = ["title.exact^3", "content.exact"]
PROXIMITY_SLOP = 2
HIGHLIGHT_FIELDS = ["title.exact", "title.folded", "content.exact", "content.folded"]


def fold(text: str) -> str:
    """Lowercase without diacritics (ş ș → s, ă â → a, î → i), like the `ro_fold` filter."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@dataclass(frozen=True)
class Parsed:
    words: list[str] = field(default_factory=list)
    phrases: list[str] = field(default_factory=list)
    excluded_words: list[str] = field(default_factory=list)
    excluded_phrases: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """Nothing to look for (only exclusions, punctuation or blanks)."""
        return not (self.words or self.phrases)


_TOKEN = re.compile(r'(-?)"([^"]*)"|(\S+)')


def parse(text: str) -> Parsed:
    """Split a query into words, "phrases" and -exclusions. An unbalanced quote is
    ignored; a word with no letter or digit is dropped."""
    if text.count('"') % 2:
        last = text.rfind('"')
        text = text[:last] + " " + text[last + 1:]
    parsed = Parsed()
    for minus, phrase, word in _TOKEN.findall(text):
        if len(parsed.words) + len(parsed.phrases) + len(parsed.excluded_words) \
                + len(parsed.excluded_phrases) >= MAX_TERMS:
            break
        if word:
            excluded = word.startswith("-")
            word = word.lstrip("-")
            if not re.search(r"\w", word):
                continue
            (parsed.excluded_words if excluded else parsed.words).append(word)
        elif re.search(r"\w", phrase):
            (parsed.excluded_phrases if minus else parsed.phrases).append(phrase.strip())
    return parsed


def _code_prefix(word: str) -> str | None:
    """`PO-DJ`, `po-dj-0`, `IL-IT-01` …: a word that may be the start of a code."""
    value = re.sub(r"[^a-z0-9._-]", "", fold(word))
    return value if re.search(r"[a-z]", value) and len(value) >= 2 else None


def _word_clause(word: str) -> dict:
    should: list[dict] = [{"multi_match": {
        "query": word, "fields": WORD_FIELDS, "operator": "and",
        "zero_terms_query": "all"}}]          # a stop word asks for nothing
    if sum(c.isalpha() for c in word) >= FUZZY_MIN_LETTERS:
        should.append({"multi_match": {
            "query": word, "fields": FUZZY_FIELDS, "operator": "and", "fuzziness": 1,
            "prefix_length": 1, "max_expansions": 20, "boost": 0.5}})
    prefix = _code_prefix(word)
    if prefix and ("-" in word or any(c.isdigit() for c in word)):
        should.append({"prefix": {"code.lower": {"value": prefix, "boost": 4}}})
    return {"bool": {"should": should, "minimum_should_match": 1}}


def _synonym_clause(form) -> dict:
    """Another form of a synonym group: an abbreviation as a word, words as a phrase."""
    if form.single:
        return {"multi_match": {"query": form.text, "fields": WORD_FIELDS}}
    return {"multi_match": {"query": form.text, "type": "phrase", "slop": 3,
                            "fields": WORD_FIELDS[1:]}}


def _words_clause(words: list[str]) -> dict:
    """Every word must match; a run of words that is a form of a synonym group may
    match as any other form of its group instead (services/search/synonyms.py)."""
    clauses: list[dict] = []
    position = 0
    for match in expand(words) + [None]:
        upto = match.start if match else len(words)
        clauses += [_word_clause(w) for w in words[position:upto] if not is_stopword(w)]
        if match:
            typed = [_word_clause(w) for w in words[match.start:match.end]
                     if not is_stopword(w)]
            clauses.append({"bool": {"should": [
                {"bool": {"must": typed}}, *[_synonym_clause(f) for f in match.others]],
                "minimum_should_match": 1}})
            position = match.end
    return {"bool": {"must": clauses}}


def text_query(parsed: Parsed) -> dict:
    """The scoring part of a search for a non-empty `parsed` query."""
    phrases = list(parsed.phrases)
    words = list(parsed.words)
    if words and all(is_stopword(w) for w in words):
        # stop words only (`de`, `în care`): the analysers would make that "everything";
        # look for those exact words in that order instead
        phrases.append(" ".join(words))
        words = []
    must: list[dict] = [{"multi_match": {"query": p, "type": "phrase", "fields": PHRASE_FIELDS}}
                        for p in phrases]
    if words:
        must.append({"bool": {"should": [
            _words_clause(words),
            # the title as it is being typed: `avizarea contr`
            {"match_bool_prefix": {"title.exact": {"query": " ".join(words),
                                                   "operator": "and", "boost": 2}}},
        ], "minimum_should_match": 1}})
    must_not: list[dict] = (
        [{"multi_match": {"query": w, "fields": WORD_FIELDS, "operator": "and"}}
         for w in parsed.excluded_words]
        + [{"multi_match": {"query": p, "type": "phrase", "fields": PHRASE_FIELDS}}
           for p in parsed.excluded_phrases])
    # the words typed next to each other in a title or text rank higher than scattered
    should: list[dict] = [{"multi_match": {
        "query": " ".join(words), "type": "phrase", "slop": PROXIMITY_SLOP,
        "fields": PROXIMITY_FIELDS, "boost": 2}}] if len(words) > 1 else []
    return {"bool": {"must": must, "must_not": must_not, "should": should}}


def highlight_query(parsed: Parsed) -> dict:
    """What the highlights mark: the words (folded, stemmed), the phrases and the other
    forms of a synonym, without the typo and prefix alternatives, which would make the
    highlighter analyse each hit's whole text again (docs/benchmarks.md, "Search"):
    a word typed with a typo finds its versions but is not marked in them."""
    words = [w for w in parsed.words if not is_stopword(w)]
    phrases = list(parsed.phrases)
    if parsed.words and not words:
        phrases.append(" ".join(parsed.words))
    should: list[dict] = [{"multi_match": {"query": p, "type": "phrase",
                                           "fields": HIGHLIGHT_FIELDS}} for p in phrases]
    if words:
        should.append({"multi_match": {"query": " ".join(words),
                                       "fields": HIGHLIGHT_FIELDS}})
        for match in expand(parsed.words):
            should += [_synonym_clause(f) for f in match.others]
    return {"bool": {"should": should}}


def permission_filter(user: User) -> dict | None:
    """The confidentiality rule (services/contracts/confidentiality.py, `may_read`) as
    an Elasticsearch filter built from the same pieces: part of the query, so totals,
    facets, highlights and suggestions never reveal a document the user may not read."""
    if user.has(confidentiality.READS_EVERYTHING):
        return None
    return {"bool": {"should": [
        {"term": {"confidential": False}},
        *({"term": {field: user.department}} for field in confidentiality.HOLDER_FIELDS),
    ], "minimum_should_match": 1}}




def default_view() -> dict:
    """The filter of the default scope (without `scope`, `all_versions` or `status`)."""
    if IN_FORCE_ONLY_BY_DEFAULT:
        return {"term": {"status": "in_force"}}
    return {"bool": {"must_not": [{"terms": {"status": HIDDEN_BY_DEFAULT}}]}}


def work_filter(user: User, steps: tuple[signing.StepPolicy, ...]) -> dict:
    """`scope=work`: the revisions on their way to coming into force that `user` may
    work on, as the signing chain says: the quality office all of them; an author
    those of their department; a signer those waiting for their step (of their
    department when the step says so); a department head on the distribution list
    those waiting for the departments' opinions."""
    work = {"terms": {"status": WORK_STATUSES}}
    if user.has(Role.QMS_ADMIN):
        return work
    own = {"term": {"owner_department": user.department}}
    should: list[dict] = []
    if user.has(Role.AUTHOR):
        should.append(own)
    for step in steps:
        waiting = {"term": {"status": step.status.value}}
        if user.has(step.role):
            should.append({"bool": {"filter": [waiting, own] if step.own_department
                                    else [waiting]}})
        if step.opinions and user.has(Role.VERIFIER):
            should.append({"bool": {"filter": [
                waiting, {"term": {"distribution": user.department}}]}})
    if any(user.has(step.role) for step in steps):
        # a step of a workflow's own (in_review): who signs it is the revision's workflow,
        # which the index does not hold, so every signer works on it (permissions apply)
        should.append({"term": {"status": "in_review"}})
    if not should:
        return {"bool": {"must_not": [{"match_all": {}}]}}   # nothing to work on
    return {"bool": {"filter": [work], "should": should, "minimum_should_match": 1}}


def scope_filter(user: User, scope: str, all_versions: bool, status: str | None,
                 steps: tuple[signing.StepPolicy, ...]) -> dict | None:
    """Which versions are searched: `all_versions=true` is `scope=all`; a `status`
    filter alone replaces the default view."""
    if all_versions or scope == "all":
        return None
    if scope == "work":
        return work_filter(user, steps)
    return None if status else default_view()


def filters(user: User, query: SearchQuery,
            steps: tuple[signing.StepPolicy, ...] = ()) -> list[dict]:
    """The filter clauses: permissions, the user's filters, the scope."""
    clauses: list[dict] = [f for f in [permission_filter(user)] if f]
    for value, name in ((query.type and query.type.value, "type"),
                        (query.department, "owner_department"), (query.process, "process"),
                        (query.status and query.status.value, "status"), (query.year, "year"),
                        (query.document_id and str(query.document_id), "document_id")):
        if value is not None:
            clauses.append({"term": {name: value}})
    scope = scope_filter(user, query.scope, query.all_versions,
                         query.status and query.status.value, steps)
    return clauses + ([scope] if scope else [])


def build_query(user: User, query: SearchQuery,
                steps: tuple[signing.StepPolicy, ...] = ()) -> tuple[dict, Parsed]:
    """The whole search request (query, facets, highlights, sort and page), and the
    parsed query it came from. `steps`: the signing chain, for `scope=work`."""
    parsed = parse(query.q)
    filter_ = filters(user, query, steps)
    must = [] if parsed.empty else [text_query(parsed)]
    start = (query.page - 1) * query.size
    # an empty query, or a page Elasticsearch cannot serve: no hits, but the total and facets
    size = 0 if parsed.empty or start + query.size > MAX_RESULT_WINDOW else query.size
    if query.sort == "date" or parsed.empty:
        sort: list = [{"created_at": "desc"}, {"version_id": "asc"}]
    else:
        sort = ["_score", {"created_at": "desc"}, {"version_id": "asc"}]
    body = {
        "query": {"bool": {"must": must, "filter": filter_}},
        "aggs": {name: {"terms": {"field": f, "size": 50}} for name, f in FACETS.items()},
        "sort": sort,
        "from": start if size else 0,
        "size": size,
        "track_total_hits": True,
        "_source": {"excludes": ["content"]},
    }
    if size:
        body["highlight"] = {
            "encoder": "html", "pre_tags": ["<mark>"], "post_tags": ["</mark>"],
            "fragment_size": 160, "number_of_fragments": 3,
            "highlight_query": highlight_query(parsed),
            "fields": {name: {} for name in HIGHLIGHT_FIELDS}}
    return body, parsed


def build_suggest(user: User, query: SuggestQuery,
                  steps: tuple[signing.StepPolicy, ...] = ()) -> dict | None:
    """Codes and titles that start like `query.q`, one per document, readable by `user`."""
    text = query.q.strip()
    if not re.search(r"\w", text):
        return None
    should: list[dict] = [{"match_bool_prefix": {"title.exact": {"query": text,
                                                                 "operator": "and"}}}]
    prefix = None if re.search(r"\s", text) else _code_prefix(text)   # codes have no blanks
    if prefix:
        should.append({"prefix": {"code.lower": {"value": prefix, "boost": 5}}})
    return {
        "query": {"bool": {"should": should, "minimum_should_match": 1,
                           "filter": [f for f in [permission_filter(user),
                                                  scope_filter(user, query.scope, False,
                                                               None, steps)] if f]}},
        "collapse": {"field": "document_id"},
        "sort": ["_score", {"code": "asc"}, {"created_at": "desc"}],
        "size": query.size,
        "_source": ["document_id", "version_id", "code", "title"],
    }
