""""Did you mean": when a search finds nothing, close spellings from the words the index holds,
and the synonym table's terms for the corrected words.

The vocabulary is read from the full-text index itself (SQLite: an `fts5vocab` view of the FTS5
table; PostgreSQL: `ts_stat` over the unstemmed, unaccented names and labels), kept to words of
letters seen in at least two entries, and cached: it only serves searches that found nothing.
"""

from __future__ import annotations

import difflib
import time
from dataclasses import dataclass
from urllib.parse import urlencode

from django.db import connection
from django.urls import reverse

from hygie.catalogue.search_terms import fold, light_stem, terms
from hygie.web.search.terms import as_text, groups

CACHE_SECONDS = 600
MIN_DOCS = 2
MIN_LENGTH = 3
MAX_SUGGESTIONS = 5
CUTOFF = 0.75  # difflib similarity: "hospitalizaton" -> "hospitalisation" is 0.90

_cache: dict[str, tuple[float, dict[int, list[tuple[str, int]]]]] = {}


@dataclass(frozen=True)
class Suggestion:
    text: str
    url: str
    synonym: bool = False  # False: a spelling close to what was typed


def _read_vocabulary() -> list[tuple[str, int]]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT word, ndoc FROM ts_stat('SELECT to_tsvector(''simple'', "
                "unaccent(name || '' '' || title)) FROM search_document') WHERE ndoc >= %s",
                [MIN_DOCS])
        else:
            cursor.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.search_vocab "
                           "USING fts5vocab(main, search_fts, row)")
            cursor.execute("SELECT term, doc FROM temp.search_vocab WHERE doc >= %s", [MIN_DOCS])
        return [(str(w), int(n)) for w, n in cursor.fetchall()]


def vocabulary() -> dict[int, list[tuple[str, int]]]:
    """Indexed words of letters, by length (a typo rarely changes the length by more than 2)."""
    key = connection.settings_dict.get("NAME") or ""
    cached = _cache.get(str(key))
    if cached and time.monotonic() - cached[0] < CACHE_SECONDS:
        return cached[1]
    by_length: dict[int, list[tuple[str, int]]] = {}
    for word, docs in _read_vocabulary():
        if len(word) >= MIN_LENGTH and word.isalpha():
            by_length.setdefault(len(word), []).append((word, docs))
    _cache[str(key)] = (time.monotonic(), by_length)
    return by_length


def clear_cache() -> None:
    _cache.clear()


def close_words(word: str, limit: int = 3) -> list[str]:
    """Indexed words spelled like `word` (accents and case folded), the closest and most
    frequent first; empty when the word is itself indexed or too short to guess from."""
    folded = fold(word)
    if len(folded) < MIN_LENGTH or not folded.isalpha():
        return []
    vocab = vocabulary()
    if any(w == folded for w, _ in vocab.get(len(folded), [])):
        return []
    frequency: dict[str, int] = {}
    for size in range(len(folded) - 2, len(folded) + 3):
        frequency.update(vocab.get(size, []))
    close = difflib.get_close_matches(folded, list(frequency), n=20, cutoff=CUTOFF)
    scored = sorted(close, key=lambda w: (-round(difflib.SequenceMatcher(None, folded, w).ratio(),
                                                 2), -frequency[w], w))
    distinct: dict[str, str] = {}  # one spelling per stem: not both "séjour" and "séjours"
    for w in scored:
        distinct.setdefault(light_stem(w), w)
    return list(distinct.values())[:limit]


def _url(text: str) -> str:
    return reverse("catalogue:search") + "?" + urlencode({"q": text})


def suggestions(q: str) -> list[Suggestion]:
    """Other searches to try for a text that found nothing: each unknown word replaced by a close
    indexed spelling, then the synonym table's terms for the words so corrected."""
    words = [" ".join(chunk) for chunk in terms(q)]
    if not words:
        return []
    options = [close_words(w) if len(terms(w)[0]) == 1 else [] for w in words]
    texts: list[str] = []
    for i, found in enumerate(options):
        for candidate in found:
            fixed = [options[j][0] if j != i and options[j] else w for j, w in enumerate(words)]
            fixed[i] = candidate
            texts.append(" ".join(fixed))
    out = [Suggestion(t, _url(t)) for t in dict.fromkeys(texts) if fold(t) != fold(q)]
    seen = {fold(s.text) for s in out} | {fold(q)}
    for text in texts[:1]:
        found_groups = groups(text)
        for i, group in enumerate(found_groups):
            for alternative in group.synonyms:
                synonym = " ".join(as_text(alternative if j == i else g.typed)
                                   for j, g in enumerate(found_groups))
                if fold(synonym) not in seen:
                    seen.add(fold(synonym))
                    out.append(Suggestion(synonym, _url(synonym), synonym=True))
    return out[:MAX_SUGGESTIONS]
