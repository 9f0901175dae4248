"""The catalogue list: one entry per dataset, a text filter and facets with counts.

Everything is done on the server from GET parameters, so the list works without script and every
filtered view has its own address. A catalogue holds tens of datasets, not thousands: entries are
built in Python from the versions the user may see (`visible_versions`, the one access rule), and
filtered there.

Facets (`FACETS`): health category, theme (of entries imported from another portal), publisher,
access (an open licence, or on request to the access body) and keyword. A facet takes one value;
facets combine with AND. The count beside a value is the number of entries that choosing it would
show: the entries matching the text and every other chosen facet, and this value.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.http import QueryDict
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from hygie.catalogue.dcat import THEMES
from hygie.web.catalogue.access import visible_versions
from hygie.web.catalogue.models import DatasetVersion, HealthCategory, Status

FACETS = ("category", "theme", "holder", "access", "keyword")
FACET_TITLES = {"category": _("Health category"), "theme": _("Theme"), "holder": _("Publisher"),
                "access": _("Access"), "keyword": _("Keyword")}
ACCESS_LABELS = {"open": _("Open data (licence)"), "request": _("On request")}
SUMMARY_CHARS = 240
MAX_QUERY = 200
MAX_KEYWORDS = 20


def fold(text: str) -> str:
    """Lower case without accents, for matching ("Diabète" finds "diabete")."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def first_sentence(text: str, limit: int = SUMMARY_CHARS) -> str:
    """The description's first sentence (a full stop followed by a space and a capital letter or
    the end), cut at a word under `limit` characters."""
    text = " ".join(text.split())
    match = re.search(r"[.!?](?=\s+[A-ZÀ-Ý«(]|$)", text)
    sentence = text[:match.end()] if match else text
    if len(sentence) <= limit:
        return sentence
    return sentence[:limit].rsplit(" ", 1)[0].rstrip(",;: ") + "…"


def theme_label(iri: str) -> str:
    code = iri.rstrip("/").rsplit("/", 1)[-1]
    labels = THEMES.get(code, {})
    lang = "en" if (get_language() or "fr").startswith("en") else "fr"
    return labels.get(lang) or labels.get("en") or code


@dataclass
class Entry:
    """One dataset of the list, through the version shown (latest published, else latest)."""

    version: DatasetVersion
    summary: str
    keywords: list[str]
    categories: list[tuple[str, str]]  # (code, label)
    themes: list[tuple[str, str]]  # (IRI, label)
    values: dict[str, set[str]] = field(default_factory=dict)  # facet -> its values
    labels: dict[tuple[str, str], str] = field(default_factory=dict)  # (facet, value) -> label
    text: str = ""  # folded, for the text filter

    @property
    def dataset(self) -> Any:
        return self.version.dataset


def entries(user: Any) -> list[Entry]:
    chosen: dict[int, DatasetVersion] = {}
    for v in (visible_versions(user).select_related("dataset__dcat_origin")
              .order_by("dataset__title_fr", "dataset_id", "-number")):
        current = chosen.get(v.dataset_id)
        if current is None or (v.status == Status.PUBLISHED and current.status != Status.PUBLISHED):
            chosen[v.dataset_id] = v
    out = [entry(v) for v in chosen.values()]
    return sorted(out, key=lambda e: fold(e.dataset.title))


def entry(version: DatasetVersion) -> Entry:
    ds = version.dataset
    keywords = [k for k in dict.fromkeys(str(k).strip() for k in ds.keywords or []) if k]
    categories = [(c, str(HealthCategory(c).label)) for c in ds.health_categories or []
                  if c in HealthCategory.values]
    origin = getattr(ds, "dcat_origin", None)
    themes = [(str(t), theme_label(str(t))) for t in (origin.themes if origin else []) or []]
    e = Entry(version, first_sentence(ds.description), keywords, categories, themes)
    access = "open" if ds.licence else "request"
    pairs: list[tuple[str, str, str]] = [
        *(("category", c, label) for c, label in categories),
        *(("theme", t, label) for t, label in themes),
        ("holder", ds.holder.slug, ds.holder.name),
        ("access", access, str(ACCESS_LABELS[access])),
        *(("keyword", fold(k), k) for k in keywords)]
    for facet, value, label in pairs:
        e.values.setdefault(facet, set()).add(value)
        e.labels.setdefault((facet, value), label)
    e.text = fold(" ".join([ds.title_fr, ds.title_en, ds.description_fr, ds.description_en,
                            ds.holder.name, ds.slug, *keywords, *(lb for _, lb in categories)]))
    return e


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool
    query: str  # the list's query string with this value chosen (or dropped, when selected)


@dataclass
class Facet:
    name: str
    title: str
    values: list[FacetValue]


@dataclass
class Listing:
    shown: list[Entry]
    total: int
    facets: list[Facet]
    query: str
    chosen: list[FacetValue]  # the active filters, each with the query string that drops it
    filters: dict[str, str]  # facet -> chosen value, for the text filter's form to keep


def chosen_filters(params: Mapping[str, Any]) -> dict[str, str]:
    out = {}
    for name in FACETS:
        value = str(params.get(name) or "").strip()
        if value:
            out[name] = fold(value) if name == "keyword" else value
    return out


def matches(e: Entry, words: Iterable[str], filters: Mapping[str, str]) -> bool:
    return (all(w in e.text for w in words)
            and all(value in e.values.get(name, ()) for name, value in filters.items()))


def _query(params: QueryDict, name: str, value: str | None) -> str:
    q = params.copy()
    for key in ("page", name):
        q.pop(key, None)
    if value is not None:
        q[name] = value
    return q.urlencode()


def listing(all_entries: list[Entry], params: QueryDict) -> Listing:
    text = " ".join(str(params.get("q") or "").split())[:MAX_QUERY]
    words = fold(text).split()
    filters = chosen_filters(params)
    shown = [e for e in all_entries if matches(e, words, filters)]
    facets, chosen = [], []
    for name in FACETS:
        others = {k: v for k, v in filters.items() if k != name}
        base = [e for e in all_entries if matches(e, words, others)]
        counts: dict[str, int] = {}
        labels: dict[str, str] = {}
        for e in base:
            for value in e.values.get(name, ()):
                counts[value] = counts.get(value, 0) + 1
                labels.setdefault(value, e.labels[(name, value)])
        picked = filters.get(name)
        if picked is not None and picked not in counts:
            counts[picked] = 0
            labels[picked] = next((e.labels[(name, picked)] for e in all_entries
                                   if (name, picked) in e.labels), picked)
        values = [FacetValue(v, labels[v], n, v == picked,
                             _query(params, name, None if v == picked else v))
                  for v, n in counts.items()]
        values.sort(key=lambda fv: (-fv.count, fold(fv.label)))
        if name == "keyword":  # the most used ones; the text filter finds the others
            values = [fv for i, fv in enumerate(values) if i < MAX_KEYWORDS or fv.selected]
        chosen += [fv for fv in values if fv.selected]
        if values:
            facets.append(Facet(name, str(FACET_TITLES[name]), values))
    return Listing(shown, len(all_entries), facets, text, chosen, filters)
