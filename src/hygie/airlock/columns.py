"""What each column of a table holds: counts, magnitudes, other numbers, or labels (keys).

Without a declaration, a count column is found by its name (n, nb_patients, count, effectif,
patients...) or by the `<11` marks it carries; a column of labels by its content (text) or its name
(year, month, age, region, code...). Numbers that are neither are magnitudes when their name says
so (sum, mean, cost, montant...) or when they have decimals, and otherwise "numbers": possibly
counts, which the checkers are asked to look at.
"""

from __future__ import annotations

from dataclasses import dataclass

from hygie.airlock.limits import Declared
from hygie.airlock.parse import Table
from hygie.airlock.values import BLANK, MARK, NUMBER, Cell, tokens

COUNT, MAGNITUDE, NUMBERS, KEY = "count", "magnitude", "numbers", "key"

COUNT_FIRST = frozenset({"n", "nb", "nbr", "count", "cnt", "freq", "frequency", "effectif",
                         "effectifs", "nombre", "number"})
COUNT_LAST = frozenset({"n", "nb", "count", "counts", "cnt", "freq", "frequency", "effectif",
                        "effectifs"})
COUNT_WORDS = frozenset({"patients", "patient", "persons", "person", "people", "individuals",
                         "individus", "cases", "cas", "subjects", "sujets", "beneficiaires",
                         "deaths", "deces", "users", "births", "naissances", "total", "distinct",
                         "hospitalises", "consommants", "of", "de", *COUNT_FIRST})
LABEL_WORDS = frozenset({
    "year", "years", "annee", "an", "month", "mois", "quarter", "trimestre", "week", "semaine",
    "day", "jour", "date", "age", "ages", "dep", "dept", "dpt", "departement", "department",
    "region", "reg", "code", "codes", "sex", "sexe", "gender", "genre", "rank", "rang", "order",
    "ordre", "index", "id", "level", "niveau", "grade", "stage", "decile", "quintile", "quartile",
    "centile", "percentile", "group", "groupe", "class", "classe", "category", "categorie", "cat",
    "version", "period", "periode", "hour", "heure", "chapter", "chapitre", "line", "ligne",
    "commune", "zip", "cp", "label", "libelle", "name", "nom", "type", "modalite", "strate",
})
EXTREME_WORDS = frozenset({"min", "max", "minimum", "maximum", "mini", "maxi"})
MAGNITUDE_WORDS = frozenset({
    "sum", "somme", "mean", "avg", "average", "moyenne", "moy", "median", "mediane", "std", "sd",
    "var", "variance", "amount", "montant", "cost", "cout", "couts", "price", "prix", "remb",
    "rembourse", "depense", "depenses", "expense", "expenses", "spend", "spending", "value",
    "valeur", "los", "duree", "duration", "dose", "weight", "poids", "bmi", "imc", "rate", "taux",
    "ratio", "pct", "percent", "pourcentage", "proportion", "prop", "share", "part", "q1", "q3",
    "p25", "p75", "iqr", "euros", "eur", *EXTREME_WORDS,
})
MARGIN_LABELS = frozenset({"total", "totals", "all", "ensemble", "tous", "toutes", "overall",
                           "grand total", "total general", "total général", "sum", "somme"})


def is_margin_label(text: str) -> bool:
    return text.strip().casefold() in MARGIN_LABELS


def count_named(name: str) -> bool:
    words = tokens(name)
    if not words:
        return False
    return (words[0] in COUNT_FIRST or words[-1] in COUNT_LAST
            or (all(w in COUNT_WORDS for w in words) and words != ["total"]))


def extreme_named(name: str) -> bool:
    return any(w in EXTREME_WORDS for w in tokens(name))


def label_named(name: str) -> bool:
    return any(w in LABEL_WORDS for w in tokens(name))


def magnitude_named(name: str) -> bool:
    return any(w in MAGNITUDE_WORDS for w in tokens(name))


def row_names(name: str, cells: list[Cell]) -> bool:
    """An unnamed first column numbering the rows (R's write.csv, pandas' index): 1, 2, 3...
    or 0, 1, 2... in row order."""
    if tokens(name) or len(cells) < 2:
        return False
    first = cells[0].number if cells[0].kind == NUMBER else None
    return first in (0, 1) and all(c.kind == NUMBER and c.number == first + i
                                   for i, c in enumerate(cells))


@dataclass(frozen=True)
class Column:
    index: int
    name: str
    role: str
    numeric: bool  # every cell is a number, a mark or blank, and one at least is a number
    integral: bool  # ... and every number is whole
    margin: bool  # named as a margin (Total, All, Ensemble)


def roles(table: Table, declared: Declared | None = None) -> list[Column]:
    declared = declared or Declared()
    counts = set(declared.counts)
    keys = set(declared.keys)
    if declared.sidecar is not None:
        keys |= set(declared.sidecar.by)
    magnitudes = {declared.sidecar.value} if declared.sidecar is not None else set()
    found = []
    for i, (name, cells) in enumerate(zip(table.columns, table.cells, strict=True)):
        kinds = {c.kind for c in cells} - {BLANK}
        numeric = NUMBER in kinds and kinds <= {NUMBER, MARK}
        integral = numeric and all(c.integral for c in cells if c.kind == NUMBER)
        marked = any(c.kind == MARK and c.bound is not None for c in cells)
        if name in counts or (count_named(name) and name not in keys):
            role = COUNT
        elif name in keys or name in magnitudes:
            role = KEY if name in keys else MAGNITUDE
        elif (not numeric and not (kinds == {MARK} and marked)) or row_names(name, cells):
            role = KEY
        elif marked:
            role = COUNT
        elif label_named(name) and not extreme_named(name):
            role = KEY
        elif magnitude_named(name) or not integral:
            role = MAGNITUDE
        else:
            role = NUMBERS
        found.append(Column(i, name, role, numeric, integral, is_margin_label(name)))
    return found
