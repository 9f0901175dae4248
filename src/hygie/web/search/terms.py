"""A search text as groups of alternatives (the words typed and their synonyms), and the two
queries each engine runs from them: a broad one that finds (prefixes) and a strict one that says
which hits hold every term as a whole word (ranked first).

The text is cut into chunks by `hygie.catalogue.search_terms.terms` (letters and digits only, so
no operator of either engine ever comes from the user). A run of chunks that spells a term of the
synonym table (`synonyms.SYNONYMS`) becomes one group whose alternatives are the typed words and
the table's other terms; every other chunk is a group of one. Groups are ANDed, alternatives
ORed, the chunks of an alternative ANDed, the pieces of a chunk (`DGN_PAL`) a phrase.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from hygie.catalogue.search_terms import MIN_PREFIX, fold, light_stem, terms
from hygie.web.search.synonyms import SYNONYMS

Chunk = tuple[str, ...]  # the pieces of one typed word
Alternative = tuple[Chunk, ...]
MAX_PHRASE = 4  # chunks in the longest synonym term
_LETTERS = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Group:
    typed: Alternative
    alternatives: tuple[Alternative, ...]  # the typed words first

    @property
    def synonyms(self) -> tuple[Alternative, ...]:
        return self.alternatives[1:]


def _key(chunks: Alternative) -> tuple[str, ...]:
    return tuple(light_stem(p) for chunk in chunks for p in chunk)


@cache
def _table() -> dict[tuple[str, ...], tuple[Alternative, ...]]:
    """Each synonym term's key -> every term of its set."""
    table: dict[tuple[str, ...], tuple[Alternative, ...]] = {}
    for line in SYNONYMS:
        group = tuple(tuple(tuple(c) for c in terms(t)) for t in line.split("|"))
        for alt in group:
            table[_key(alt)] = group
    return table


def groups(text: str) -> list[Group]:
    """The groups of a search text, longest synonym terms first (greedy, left to right)."""
    chunks = [tuple(c) for c in terms(text)]
    table = _table()
    out: list[Group] = []
    i = 0
    while i < len(chunks):
        for j in range(min(len(chunks), i + MAX_PHRASE), i, -1):
            typed = tuple(chunks[i:j])
            found = table.get(_key(typed))
            if found or j == i + 1:
                others = tuple(a for a in (found or ()) if _key(a) != _key(typed))
                out.append(Group(typed, (typed, *others)))
                i = j
                break
    return out


def as_text(alternative: Alternative) -> str:
    return " ".join(" ".join(chunk) for chunk in alternative)


# --- SQLite FTS5 ---------------------------------------------------------------------------------


def _quote(words: list[str]) -> str:
    return '"' + " ".join(words).replace('"', '""') + '"'


def whole_forms(piece: str) -> list[str]:
    """What a whole word may look like in the index: the word itself, or with a final plural or
    mute e; accents and case folded (`décès` -> deces, dece, deces, decee, decees). The same
    list for both engines, so that both call the same hits whole-word hits."""
    stem = light_stem(piece)
    return list(dict.fromkeys([fold(piece), stem, stem + "s", stem + "e", stem + "es"]))


def _fts5_chunk(chunk: Chunk, *, whole: bool) -> str:
    *head, last = chunk
    if whole:
        return "(" + " OR ".join(_quote([*head, f]) for f in whole_forms(last)) + ")"
    if len(last) >= MIN_PREFIX:
        return _quote([*head, light_stem(last)]) + "*"
    return _quote(list(chunk))


def fts5(groups: list[Group], *, whole: bool = False) -> str:
    """An FTS5 MATCH expression: prefixes (broad) or whole words (`whole`)."""
    return " AND ".join(
        "(" + " OR ".join("(" + " AND ".join(_fts5_chunk(c, whole=whole) for c in alt) + ")"
                          for alt in g.alternatives) + ")"
        for g in groups)


# --- PostgreSQL to_tsquery -----------------------------------------------------------------------


def _ts_chunk(chunk: Chunk, *, whole: bool) -> str:
    words = list(chunk)
    if whole:
        # The words as written, not stems: the French stemmer makes one word of "insuffisant"
        # and "insuffisance", of "décès" and PHA_DEC_TOP's "DEC".
        # Folding may turn a letter or digit into punctuation ("⑴" -> "(1)"): letters and
        # digits only, so that no form becomes a tsquery operator (the typed piece, letters and
        # digits already, is one of them: never an empty group).
        cleaned = ("".join(_LETTERS.findall(f)) for f in whole_forms(words[-1]))
        forms = dict.fromkeys([words[-1], *(f for f in cleaned if f)])
        words[-1] = "(" + " | ".join(forms) + ")"
    elif len(words[-1]) >= MIN_PREFIX:
        words[-1] += ":*"
    return "(" + " <-> ".join(words) + ")"


def tsquery(groups: list[Group], *, whole: bool = False) -> str:
    """A `to_tsquery` text: for the configuration `hygie_fr` (stems, prefixes) or, `whole`, for
    `hygie_words` (the words as written, accents and case folded: migration search/0005)."""
    return " & ".join(
        "(" + " | ".join("(" + " & ".join(_ts_chunk(c, whole=whole) for c in alt) + ")"
                         for alt in g.alternatives) + ")"
        for g in groups)
