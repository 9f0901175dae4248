"""Finding codes by their label for the cohort builder: "metformine" -> A10BA02.

The codes come from the nomenclatures packaged with Hygie, read once per process:
CIM-10 (`IR_CIM_V`), CCAM (the latest `IR_CCAM_V..`), NABM (`IR_BIO_R`) and the packaged drug
table (`hygie/data/drugs.csv`: ATC substances and their CIP13 presentations). Only codes that the
targeting language accepts are kept (`hygie.cohorts.codes.SYSTEMS`), so a chosen code always
passes the definition's check.

Matching ignores case and accents; every word typed must start a word of the label, or the text
must start the code. A CIM-10 category with subcodes (E11) is offered as a prefix (`E11*`), which
is what a count needs: the SNDS records the subcodes (E119), rarely the category itself.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

from hygie.catalogue.search_terms import fold
from hygie.cohorts.codes import SYSTEMS

MAX_RESULTS = 20
MAX_QUERY = 100
MIN_QUERY = 2
_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Hit:
    system: str
    code: str  # as written in a definition (NABM zero-padded)
    insert: str  # what goes into the codes field: the code, or the category's prefix (E11*)
    label: str


@dataclass(frozen=True)
class _Entry:
    hit: Hit
    words: tuple[str, ...]  # the folded words of the label
    folded: str  # the folded label


def _words(text: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(fold(text)))


def _entries(system: str, rows: list[tuple[str, str]]) -> list[_Entry]:
    """The rows (code, label) whose code the system accepts, once each; CIM-10 categories with
    subcodes become prefixes."""
    checker = SYSTEMS[system]
    codes: dict[str, str] = {}
    for raw, label in rows:
        try:
            code = checker.normalise(raw)
        except ValueError:
            continue
        codes.setdefault(code, " ".join(label.split()))
    # A CIM-10 code that starts longer ones (E11: E110...E119) is a category.
    starts = {c[:k] for c in codes for k in range(3, len(c))} if system == "CIM10" else set()
    parents = starts & codes.keys()
    out = []
    for code, label in codes.items():
        hit = Hit(system, code, f"{code}*" if code in parents else code, label)
        out.append(_Entry(hit, _words(label), fold(label)))
    return out


def _nomenclature_rows(name: str) -> list[tuple[str, str]]:
    from hygie.snds.nomenclatures import nomenclature

    nom = nomenclature(name)
    label = nom.label_column or nom.code_column
    return [(r[nom.code_column], r[label]) for r in nom.rows()]


def _latest_ccam() -> str:
    from hygie.snds.nomenclatures import nomenclatures

    names = [n for n in nomenclatures() if re.fullmatch(r"IR_CCAM_V\d+", n)]
    return max(names, key=lambda n: int(n.rsplit("V", 1)[1]))


def _drug_rows() -> list[dict[str, str]]:
    text = (resources.files("hygie") / "data" / "drugs.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text), delimiter=";"))


@cache
def index(system: str) -> tuple[_Entry, ...]:
    """The searchable codes of one system, in the nomenclature's order."""
    if system == "CIM10":
        rows = _nomenclature_rows("IR_CIM_V")
    elif system == "CCAM":
        rows = _nomenclature_rows(_latest_ccam())
    elif system == "NABM":
        rows = _nomenclature_rows("IR_BIO_R")
    elif system == "ATC":
        rows = [(r["ATC"], r["SUBSTANCE"]) for r in _drug_rows()]
    elif system == "CIP13":
        rows = [(r["CIP13"], f"{r['SUBSTANCE']} {r['PRESENTATION']}") for r in _drug_rows()]
    else:
        raise KeyError(system)
    return tuple(_entries(system, rows))


def _rank(entry: _Entry, compact: str, pieces: tuple[str, ...]) -> int | None:
    """Lower is better; None when the entry does not match. `compact` is the query in upper
    case without spaces, `pieces` its folded words."""
    code = entry.hit.code
    if compact in (code, entry.hit.insert, code.lstrip("0")):
        return 0
    if len(compact) >= 2 and (code.startswith(compact) or code.lstrip("0").startswith(compact)):
        return 1
    if not pieces or not all(any(w.startswith(p) for w in entry.words) for p in pieces):
        return None
    if entry.folded.startswith(" ".join(pieces)):
        return 2  # the label starts with what was typed
    if entry.words[0].startswith(pieces[0]):
        return 3
    return 4


def search(systems: tuple[str, ...], text: str, limit: int = MAX_RESULTS) -> tuple[list[Hit], bool]:
    """The best hits for a query over some systems, and whether there were more."""
    query = " ".join(text.split())[:MAX_QUERY]
    pieces = _words(query)
    if len(query) < MIN_QUERY:
        return [], False
    limit = max(1, min(limit, MAX_RESULTS))
    compact = query.replace(" ", "").replace(".", "").upper().rstrip("*")
    ranked: list[tuple[int, int, bool, int, int, Hit]] = []
    for s_rank, system in enumerate(systems):
        for position, entry in enumerate(index(system)):
            rank = _rank(entry, compact, pieces)
            if rank is not None:
                hit = entry.hit
                # Categories (E11*) before their subcodes, then the shorter labels.
                ranked.append((rank, s_rank, hit.insert == hit.code, len(hit.label), position,
                               hit))
    ranked.sort(key=lambda r: r[:5])
    return [r[5] for r in ranked[:limit]], len(ranked) > limit
