"""What a catalogue search box turns into: terms, then a query string for SQLite FTS5 or for
PostgreSQL `to_tsquery`, with no operator of either language ever coming from the user.

The text is cut at white space into chunks (one chunk = one word the user typed); each chunk keeps
only its runs of letters and digits (`DGN_PAL` -> `DGN`, `PAL`; `insulino-dépendant` -> `insulino`,
`dépendant`), which both engines then match as a phrase. Chunks are combined with AND. Quotes,
`*`, `-`, `:`, parentheses, `NEAR`, `AND`... are therefore either dropped or searched as plain
words, and never raise a syntax error. The last piece of a chunk is matched as a prefix when it
has at least three characters, so that `diabète` also finds `diabètes` and `E11` finds `E110`.
"""

from __future__ import annotations

import re
import unicodedata

MAX_CHUNKS = 10
MAX_PIECES = 8
MAX_PIECE = 50
MIN_PREFIX = 3
_PIECE = re.compile(r"[^\W_]+")


def terms(text: str) -> list[list[str]]:
    """The chunks of a search text, each a list of letter-and-digit pieces (empty ones dropped)."""
    chunks = []
    for word in text.split():
        pieces = [p[:MAX_PIECE] for p in _PIECE.findall(word)][:MAX_PIECES]
        if pieces:
            chunks.append(pieces)
        if len(chunks) == MAX_CHUNKS:
            break
    return chunks


def fold(piece: str) -> str:
    """Lower case without accents, as the FTS5 `unicode61 remove_diacritics 2` tokenizer reads."""
    decomposed = unicodedata.normalize("NFKD", piece.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def light_stem(piece: str) -> str:
    """A French plural and final mute e taken off a folded word, for prefix matching on SQLite
    (which has no French stemmer): `diabètes` -> `diabet`, which also finds `diabétique`."""
    word = fold(piece)
    if len(word) >= 5 and word[-1] in "sx":
        word = word[:-1]
    if len(word) >= 5 and word.endswith("e"):
        word = word[:-1]
    return word


def fts5_query(chunks: list[list[str]]) -> str:
    """An FTS5 MATCH expression: one quoted phrase per chunk, the last piece as a prefix."""
    parts = []
    for pieces in chunks:
        last = pieces[-1]
        if len(last) >= MIN_PREFIX:
            words = [*pieces[:-1], light_stem(last)]
            parts.append('"' + " ".join(words).replace('"', '""') + '"*')
        else:
            parts.append('"' + " ".join(pieces).replace('"', '""') + '"')
    return " ".join(parts)


def tsquery(chunks: list[list[str]]) -> str:
    """A `to_tsquery` text: pieces of a chunk follow each other (<->), chunks are ANDed, the last
    piece is a prefix (:*). Pieces are letters and digits only, so none is an operator."""
    parts = []
    for pieces in chunks:
        words = list(pieces)
        if len(words[-1]) >= MIN_PREFIX:
            words[-1] += ":*"
        parts.append("(" + " <-> ".join(words) + ")")
    return " & ".join(parts)
