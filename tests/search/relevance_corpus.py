"""The generated part of the relevance corpus: devenv/corpus.py (the search benchmark
reads it too), under the names the relevance tests import from here."""
from devenv.corpus import BOILERPLATE, DOCUMENTS, generated  # noqa: F401
