"""Every page of the portal reads in French: no English text of the project on a French page, and
French typography (a space before the colon).

The pages are rendered as an anonymous visitor, a signed-in researcher (with a counted cohort, a
definition with errors), a data holder's editor (an upload with errors) and a staff member past
the second factor (the admin). Their visible text (tags, scripts, code and the values people
typed stripped) is searched for the English texts of the project: every msgid of the French
catalogue, in pieces of at least two words (placeholders and markup cut out), leaving out those
the French text also holds (a name, a code, "Hygie").
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import polib
import pytest
from django.test import Client
from django.utils import timezone

from hygie.web.catalogue.models import Dataset, DatasetVersion
from hygie.web.feasibility import services
from hygie.web.feasibility.models import CountState, SavedCohort
from tests.web.helpers import sign_in

pytestmark = pytest.mark.django_db

PO = Path(__file__).resolve().parents[2] / "src/hygie/web/locale/fr/LC_MESSAGES/django.po"

DEFINITION = """name: t2d
period: {start: 2019-01-01, end: 2023-12-31}
codelists:
  entry_1: {system: CIM10, codes: ["E11*"]}
  metformin: {system: ATC, codes: [A10BA02]}
entry:
  any_of:
    - diagnosed: entry_1
require:
  - age_at_index: {min: 18}
exclude:
  - dispensed: metformin
"""
BAD_DEFINITION = """name: bad
period: {start: 2020-01-01, end: 2021-12-31}
codelists:
  m: {system: ATC, codes: [ZZZ]}
entry: {dispensed: m}
"""
BAD_YAML = "name: bad\nperiod: {start: 2020-01-01, end: 2021-12-31\nentry: {}\n"
BAD_PACKAGE = {"resources": [
    {"name": "VISITS", "schema": {"fields": [{"name": "id"}, {"name": "id", "type": "colour"}]}},
    {"name": "VISITS", "schema": {"fields": [{"name": "x"}]}}]}

# Texts that are the same in both languages, or the platform's and people's names.
SAME_IN_BOTH = re.compile(r"^(Hygie|SNDS|DCAT-AP.*|API|OpenAPI.*)$")


# --- visible text -----------------------------------------------------------------------------


class _Visible(HTMLParser):
    """The text a person reads or hears: text nodes and the attributes read out (alt, title,
    aria-label, placeholder); not scripts, styles, code, or the values in form fields."""

    HIDDEN = frozenset({"script", "style", "code", "pre", "textarea", "template", "kbd", "samp",
                        "option"})
    SPOKEN = ("alt", "title", "aria-label", "placeholder")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.HIDDEN:
            self.hidden += 1
        if tag == "input" and dict(attrs).get("type") == "hidden":
            return
        self.parts += [v for k, v in attrs if k in self.SPOKEN and v and not self.hidden]

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN and self.hidden:
            self.hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def visible(html: str) -> str:
    parser = _Visible()
    parser.feed(html)
    return re.sub(r"[ \t\r\n]+", " ", " ".join(parser.parts))  # no-break spaces kept


# --- the English texts of the project --------------------------------------------------------

_CUT = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\{.*?\}\}|<[^>]+>|&\w+;|[`“”\"()\[\]]")


def _pieces(msgid: str) -> list[str]:
    """The parts of a msgid between placeholders and markup that are English words: at least
    two words, one of them of four letters or more (a single word is often the same in French:
    "Catalogue", "Contact")."""
    out = []
    for piece in _CUT.split(msgid):
        piece = re.sub(r"\s+", " ", piece).strip(" .,:;!?·-—/'")
        words = re.findall(r"[A-Za-z][A-Za-z'’-]*", piece)
        if len(words) >= 2 and any(len(w) >= 4 for w in words) and not SAME_IN_BOTH.match(piece):
            out.append(piece)
    return out


def english_texts(extra: tuple[str, ...] = ()) -> dict[str, str]:
    """Each English piece of the project's texts -> the msgid it comes from."""
    out: dict[str, str] = {}
    for entry in polib.pofile(str(PO)):
        french = " ".join([entry.msgstr, *entry.msgstr_plural.values()])
        for msgid in (entry.msgid, entry.msgid_plural):
            for piece in _pieces(msgid or ""):
                if piece.lower() not in french.lower():
                    out.setdefault(piece, msgid)
    for msgid in extra:
        for piece in _pieces(msgid):
            out.setdefault(piece, msgid)
    return out


def untranslated(text: str, english: dict[str, str]) -> list[str]:
    low = text.lower()
    return sorted({f"{piece!r} (from {msgid[:80]!r})" for piece, msgid in english.items()
                   if re.search(rf"(?<![\w-]){re.escape(piece.lower())}(?![\w-])", low)})


# The English the engine writes in its own labels and messages (not msgids: shown only when a
# page forgets to translate them).
ENGINE_ENGLISH = ("entry: diagnosed entry_1, first in", "is not a ATC code (e.g.",
                  "the period ends before it starts", "expected ',' or '}', but got",
                  "Import of the public SNDS schemas")


# French typography: a word glued to ":" (or ";", "?", "!") that ends a phrase: "Produit: DCIR".
# Not "https://", "12:30", or codes (stripped with <code>).
GLUED = re.compile(r"\S*[A-Za-zÀ-ÿ)][:;?!](?= |$)(?: \S+)?")


def glued_signs(text: str) -> list[str]:
    return sorted(set(GLUED.findall(text)))


# --- the pages ---------------------------------------------------------------------------------


def french_client(user: Any = None) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="fr")
    client.cookies["django_language"] = "fr"
    return sign_in(client, user) if user is not None else client


@pytest.fixture
def pages(make_user: Callable[..., Any]) -> Iterator[list[tuple[str, str, str]]]:
    """(who, address, HTML) of every page, in French."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from hygie.web.catalogue.models import DataHolder

    out: list[tuple[str, str, str]] = []

    def get(who: str, client: Client, url: str, status: int = 200) -> None:
        response = client.get(url, follow=False)
        assert response.status_code == status, (who, url, response.status_code)
        out.append((who, url, response.content.decode()))

    anonymous = french_client()
    for url in ["/", "/catalogue/", "/catalogue/snds/", "/catalogue/snds/v1/",
                "/catalogue/snds/v1/tables/IR_BEN_R/", "/catalogue/snds/codes/IR_NAT_V/",
                "/catalogue/search/?q=diab%C3%A8te", "/catalogue/search/?q=zzzqqqxx",
                "/catalogue/snds/v1/changes/", "/accounts/login/", "/api/docs",
                "/mentions-legales/", "/donnees-personnelles/", "/accessibilite/",
                "/plan-du-site/"]:
        get("anonymous", anonymous, url)
    get("anonymous", anonymous, "/no/such/page/", 404)
    get("anonymous", anonymous, "/catalogue/snds/v99/", 404)

    researcher = make_user("rita")
    client = french_client(researcher)
    snds = Dataset.objects.get(slug="snds")
    cohort = services.create_cohort(researcher, snds, "Diabète", DEFINITION)
    steps = [["entry: diagnosed entry_1, first in 2019-01-01..2023-12-31", "1235"],
             ["require: age_at_index 18+", "1100"], ["exclude: dispensed metformin", "<11"]]
    SavedCohort.objects.filter(pk=cohort.pk).update(counts=steps, count_state=CountState.DONE,
                                                    counted_version=snds.published_version(),
                                                    counted=timezone.now())
    for url in ["/feasibility/", "/feasibility/new/", "/feasibility/new/yaml/",
                f"/feasibility/cohorts/{cohort.pk}/", f"/feasibility/cohorts/{cohort.pk}/edit/",
                f"/feasibility/cohorts/{cohort.pk}/delete/", "/feasibility/enquiries/",
                "/feasibility/enquiries/new?dataset=snds"]:
        get("researcher", client, url)
    for definition in (BAD_DEFINITION, BAD_YAML):
        response = client.post("/feasibility/new/yaml/", {"name": "x", "dataset": "snds",
                                                          "definition": definition})
        assert response.status_code == 200
        out.append(("researcher", "/feasibility/new/yaml/ (errors)", response.content.decode()))

    DataHolder.objects.get_or_create(slug="cnam", defaults={"name": "CNAM"})
    editor = make_user("edith", holder="cnam", totp=True)
    Dataset.objects.filter(slug="snds").update(holder=DataHolder.objects.get(slug="cnam"))
    client = french_client(editor)
    for url in ["/catalogue/editing/", "/catalogue/snds/upload/", "/catalogue/snds/edit/",
                "/catalogue/snds/audit/"]:
        get("editor", client, url)
    upload = SimpleUploadedFile("package.json", json.dumps(BAD_PACKAGE).encode(),
                                content_type="application/json")
    response = client.post("/catalogue/snds/upload/", {"file": upload, "language": "fr"})
    assert response.status_code == 400
    out.append(("editor", "/catalogue/snds/upload/ (errors)", response.content.decode()))

    team = make_user("tess", role="catalogue-team", totp=True)
    get("catalogue team", french_client(team), "/catalogue/editing/")

    staff = make_user("root", is_staff=True, is_superuser=True, totp=True)
    client = french_client(staff)
    for url in ["/admin/", "/admin/catalogue/dataset/", "/admin/catalogue/datasetversion/",
                "/admin/audit/auditevent/", "/admin/accounts/user/", "/audit/"]:
        get("staff", client, url)
    yield out


def test_every_page_reads_in_french(pages):
    english = english_texts(ENGINE_ENGLISH)
    problems = {f"{who} {url}": found for who, url, html in pages
                if (found := untranslated(visible(html), english))}
    assert not problems, json.dumps(problems, indent=1, ensure_ascii=False)


def test_french_pages_put_a_space_before_the_colon(pages):
    problems = {f"{who} {url}": found for who, url, html in pages
                if (found := glued_signs(visible(html)))}
    assert not problems, json.dumps(problems, indent=1, ensure_ascii=False)


def test_count_steps_and_errors_are_written_for_people(pages):
    """The count reads with its criteria and codes, the errors in French with their place."""
    text = {url: visible(html) for _who, url, html in pages}
    counts = next(t for u, t in text.items() if re.fullmatch(r"/feasibility/cohorts/\d+/", u))
    assert "Entrée\xa0: diagnostic CIM-10 E11* (Diabète sucré de type 2), la première fois " \
           "en 2019–2023" in counts
    assert "Requis\xa0: âgé de 18 ans ou plus à la date index" in counts
    assert "Exclu\xa0: délivrance de médicament ATC A10BA02 (metformine) jusqu’à la date " \
           "index" in counts
    assert "entry_1" not in counts
    errors = " ".join(visible(html) for _who, url, html in pages if url.endswith("(errors)"))
    assert "codelists.m.codes[0]\xa0: 'ZZZ' n’est pas un code ATC (par exemple A10BA02, ou " \
           "A10B*)" in errors
    assert "ligne 3, colonne 6\xa0: ',' ou '}' attendu, mais ':' trouvé" in errors
    assert "défini 2 fois" in errors and "type inconnu 'colour'" in errors


def test_the_checks_can_fail():
    """An English text of the project, a glued colon and an engine label are each found."""
    english = english_texts(ENGINE_ENGLISH)
    page = visible("<p>Search the catalogue</p><p>Produit: DCIR</p>"
                   "<td>entry: diagnosed entry_1, first in 2019-01-01..2023-12-31</td>"
                   "<code>period: {start: 2020}</code><a href='https://x.org'>https://x.org</a>")
    found = untranslated(page, english)
    assert any("Search the catalogue" in f for f in found)
    assert any("entry_1" in f for f in found)
    assert "Produit: DCIR" in glued_signs(page)
    assert not [g for g in glued_signs(page) if "https" in g or "2020" in g]
    assert not glued_signs(visible("<p>Produit\xa0: DCIR ; Entrée\u202f: x</p>"))
    assert not untranslated(visible("<p>Rechercher dans le catalogue</p>"), english)


def test_version_notes_and_types_follow_the_language():
    from django.utils import translation

    from hygie.web.catalogue.models import type_label

    version = DatasetVersion.objects.get(dataset__slug="snds", number=1)
    with translation.override("fr"):
        assert version.note == "Import des schémas publics du SNDS (schema-snds)."
        assert (type_label("string"), type_label("yearmonth")) == ("texte", "année-mois")
        assert type_label("colour") == "colour"
    with translation.override("en"):
        assert version.note == version.change_note
        assert type_label("yearmonth") == "year-month"


def test_the_admin_names_are_french(make_user):
    staff = make_user("root", is_staff=True, is_superuser=True, totp=True)
    text = visible(french_client(staff).get("/admin/").content.decode())
    assert "Bases de données" in text or "Jeux de données" in text, text[:2000]
    assert "Base de donnéess" not in text and "Comptes" in text
    assert "ACCOUNTS" not in text and "AUDIT TRAIL" not in text



@pytest.mark.parametrize(("language", "place", "message"), [
    ("fr", "codelists.m.codes[0]", "'ZZZ' n’est pas un code ATC (par exemple A10BA02, ou A10B*)"),
    ("en", "codelists.m.codes[0]", "'ZZZ' is not a ATC code (e.g. A10BA02, or A10B*)")])
def test_api_problems_follow_the_request_language(make_user, language, place, message):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(make_user("api"))
    response = client.post("/api/feasibility/cohorts", json.dumps(
        {"name": "x", "dataset": "snds", "definition": BAD_DEFINITION}),
        content_type="application/json")
    assert response.status_code == 422
    assert response.json()["detail"] == [{"place": place, "message": message}]


def test_counts_of_the_api_are_labelled_in_the_request_language(make_user):
    user = make_user("api")
    snds = Dataset.objects.get(slug="snds")
    cohort = services.create_cohort(user, snds, "x", DEFINITION)
    SavedCohort.objects.filter(pk=cohort.pk).update(
        counts=[["entry", "20"], ["require", "15"], ["exclude", "<11"]],
        count_state=CountState.DONE)
    labels = {}
    for language in ("fr", "en"):
        client = Client(HTTP_ACCEPT_LANGUAGE=language)
        client.force_login(user)
        steps = client.get(f"/api/feasibility/cohorts/{cohort.pk}/counts").json()["steps"]
        labels[language] = [s["label"] for s in steps]
    assert labels["en"][0] == ("Entry: diagnosis ICD-10 E11* (Diabète sucré de type 2), the "
                               "first time in 2019–2023")
    assert labels["fr"][2].startswith("Exclu\xa0: délivrance de médicament ATC A10BA02")
