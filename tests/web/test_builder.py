"""The cohort builder: progressive rows (with and without a script), the code lookup, the datasets
that hold the events, and the round trip between the form and the targeting language (YAML)."""

from __future__ import annotations

import datetime as dt
import json
import re
from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client
from django.utils import translation
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from hygie.cohorts.model import Cohort
from hygie.web.audit.models import AuditEvent
from hygie.web.catalogue.models import DataHolder, Dataset, DatasetVersion, Status, Table
from hygie.web.feasibility import builder, definitions, lookup
from hygie.web.feasibility.builder_views import EXAMPLE
from hygie.web.feasibility.models import SavedCohort
from tests.web.helpers import login
from tests.web.test_feasibility import T2D

# --- helpers ----------------------------------------------------------------------------------------


class _FormFields(HTMLParser):
    """What a browser would post from the first form with `form_class` (a template's content is
    left out, as browsers do): {name: [values]}."""

    def __init__(self, form_class: str) -> None:
        super().__init__()
        self.form_class, self.inside, self.template = form_class, False, 0
        self.fields: dict[str, list[str]] = {}
        self.select: str | None = None
        self.first_option: str | None = None
        self.chosen = False
        self.textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and self.form_class in a.get("class", "").split():
            self.inside = True
        if not self.inside:
            return
        if tag == "template":
            self.template += 1
        if self.template:
            return
        if tag == "input" and a.get("name") and a.get("type") not in ("submit", "button"):
            if a.get("type") != "checkbox" or "checked" in a:
                self.fields.setdefault(a["name"], []).append(a.get("value", ""))
        elif tag == "select":
            self.select, self.first_option, self.chosen = a.get("name"), None, False
        elif tag == "option" and self.select:
            if self.first_option is None:
                self.first_option = a.get("value", "")
            if "selected" in a:
                self.fields[self.select] = [a.get("value", "")]
                self.chosen = True
        elif tag == "textarea":
            self.textarea = a.get("name")
            self.fields[self.textarea] = [""]

    def handle_endtag(self, tag: str) -> None:
        if tag == "template" and self.template:
            self.template -= 1
        elif tag == "select" and self.select and not self.template:
            if not self.chosen and self.first_option is not None:
                self.fields[self.select] = [self.first_option]
            self.select = None
        elif tag == "textarea":
            self.textarea = None
        elif tag == "form":
            self.inside = False

    def handle_data(self, data: str) -> None:
        if self.textarea and not self.template:
            self.fields[self.textarea][0] += data


def posted(page: str, form_class: str, **over: str) -> dict[str, Any]:
    parser = _FormFields(form_class)
    parser.feed(page)
    data: dict[str, Any] = {k: v if len(v) > 1 else v[0] for k, v in parser.fields.items()}
    data.update(over)
    if isinstance(data.get("definition"), str):  # a textarea's first newline is not its content
        data["definition"] = data["definition"].removeprefix("\n")
    return data


def head(**over: str) -> dict[str, str]:
    """The builder as it starts (one entry row, no criterion), filled with what is given."""
    data = {"name": "Metformin", "dataset": "snds", "period_start": "2020-01-01",
            "period_end": "2021-12-31", "entry-TOTAL_FORMS": "1", "entry-INITIAL_FORMS": "0",
            "entry-MIN_NUM_FORMS": "0", "entry-MAX_NUM_FORMS": "10",
            "rule-TOTAL_FORMS": "0", "rule-INITIAL_FORMS": "0",
            "rule-MIN_NUM_FORMS": "0", "rule-MAX_NUM_FORMS": "20",
            "entry-0-kind": "dispensed", "entry-0-codes": "A10BA02",
            "entry-0-diagnosis_in": "all", "entry-0-at_least": "1"}
    data.update(over)
    return data


def make_dataset(slug: str, tables: list[str]) -> Dataset:
    """A published dataset whose description holds these tables."""
    holder, _ = DataHolder.objects.get_or_create(slug="test-holder", defaults={"name": "Test"})
    dataset = Dataset.objects.create(slug=slug, holder=holder, title_fr=f"Base {slug}",
                                     title_en=f"Base {slug}")
    version = DatasetVersion.objects.create(dataset=dataset, number=1, status=Status.PUBLISHED)
    for i, name in enumerate(tables):
        Table.objects.create(version=version, name=name, position=i)
    return dataset


HOSPITAL = ["IR_BEN_R", "T_MCOaaB", "T_MCOaaC", "T_MCOaaD", "T_MCOaaA"]  # the PMSI, no DCIR


def updates(cohort: SavedCohort) -> int:
    return AuditEvent.objects.filter(target_id=str(cohort.pk),
                                     action="feasibility.cohort_updated").count()


# --- a progressive form -------------------------------------------------------------------------


def test_the_form_starts_with_one_event_and_no_criterion(make_user):
    page = login(make_user("alice")).get("/feasibility/new/").content.decode()
    assert 'name="entry-TOTAL_FORMS" value="1"' in page
    assert 'name="rule-TOTAL_FORMS" value="0"' in page
    assert 'id="id_entry-0-kind"' in page and 'id="id_entry-1-kind"' not in page
    assert 'id="id_rule-0-kind"' not in page
    assert 'value="add:entry"' in page and 'value="add:rule"' in page
    # The rows a script adds come from templates of an empty row.
    assert '<template id="rule-template">' in page and 'id="id_rule-__prefix__-kind"' in page
    # The SNDS is chosen at first.
    assert re.search(r'<option value="snds"[^>]*selected', page)


def test_without_a_script_the_buttons_add_and_remove_rows(make_user):
    client = login(make_user("alice"))
    page = client.post("/feasibility/new/", head(action="add:rule")).content.decode()
    assert 'name="rule-TOTAL_FORMS" value="1"' in page and 'id="id_rule-0-kind"' in page
    assert re.search(r'<select name="rule-0-mode"[^>]*>\s*<option value="require" selected', page)
    assert "fr-error-text" not in page and "not saved" not in page  # no errors for an add
    assert re.search(r'id="id_rule-0-kind"[^>]*autofocus|autofocus[^>]*id="id_rule-0-kind"', page)
    assert 'value="A10BA02"' in page  # what was typed stays
    # Three entry rows, the second removed: the third moves up.
    data = head(**{"entry-TOTAL_FORMS": "3", "entry-1-kind": "lab", "entry-1-codes": "1577",
                   "entry-2-kind": "act", "entry-2-codes": "DZQM006",
                   "action": "remove:entry-1"})
    page = client.post("/feasibility/new/", data).content.decode()
    assert 'name="entry-TOTAL_FORMS" value="2"' in page
    assert re.search(r'name="entry-1-codes" value="DZQM006"', page)
    assert "1577" not in page
    # At most 10 entry events: an 11th is not added.
    data = head(**{"entry-TOTAL_FORMS": "10", "action": "add:entry"})
    page = client.post("/feasibility/new/", data).content.decode()
    assert 'name="entry-TOTAL_FORMS" value="10"' in page
    assert re.search(r'value="add:entry"[^>]*disabled', page)
    assert not SavedCohort.objects.exists()


def test_a_row_shows_the_fields_of_its_kind(make_user):
    client = login(make_user("alice"))
    page = client.post("/feasibility/new/", head(**{
        "action": "add:rule", "rule-TOTAL_FORMS": "1", "rule-0-kind": "age"})).content.decode()

    def hidden(field: str) -> bool:
        m = re.search(r'<div class="[^"]*field-' + field + r'"[^>]*>', page)
        assert m, field
        return " hidden" in m.group(0)

    # Entry 0 is a drug: where diagnoses are recorded does not apply.
    assert not hidden("codes") and not hidden("at_least")
    block = page[page.index('id="row-entry-0"'):page.index('<template id="entry-template">')]
    assert re.search(r'field-diagnosis_in"[^>]*hidden', block)
    assert re.search(r'field-within_days"(?![^>]*hidden)', block)
    rule = page[page.index('id="row-rule-0"'):page.index('<template id="rule-template">')]
    assert re.search(r'field-age_min"(?![^>]*hidden)', rule)
    assert re.search(r'field-codes"[^>]*hidden', rule)
    assert re.search(r'field-sex"[^>]*hidden', rule)
    assert re.search(r'class="[^"]*lookup[^"]*"[^>]*hidden', rule)
    # A row without a kind shows everything: usable without the script.
    page = client.post("/feasibility/new/", head(action="add:rule")).content.decode()
    rule = page[page.index('id="row-rule-0"'):page.index('<template id="rule-template">')]
    assert not re.search(r'field-(codes|age_min|sex|window_start)"[^>]*hidden', rule)


def test_without_a_script_codes_are_found_by_label_and_added(make_user):
    client = login(make_user("alice"))
    data = head(**{"entry-0-codes": "", "entry-0-lookup": "metformine",
                   "action": "find:entry-0"})
    page = client.post("/feasibility/new/", data).content.decode()
    assert 'value="pick:entry-0:A10BA02"' in page
    assert "metformine" in page
    data = head(**{"entry-0-codes": "A10BB09", "entry-0-lookup": "metformine",
                   "action": "pick:entry-0:A10BA02"})
    page = client.post("/feasibility/new/", data).content.decode()
    assert 'name="entry-0-codes" value="A10BB09, A10BA02"' in page
    assert re.search(r'name="entry-0-lookup"(?![^>]*value=)', page)  # emptied for the next one
    # A diagnosis: the category comes as the prefix a count needs.
    data = head(**{"entry-0-kind": "diagnosed", "entry-0-codes": "",
                   "entry-0-lookup": "diabète type 2", "action": "find:entry-0"})
    page = client.post("/feasibility/new/", data).content.decode()
    assert page.index('value="pick:entry-0:E11*"') < page.index('value="pick:entry-0:E110"')
    # Nothing typed for the kind: the page says to choose it.
    data = head(**{"entry-0-kind": "", "entry-0-lookup": "metformine", "action": "find:entry-0"})
    assert "Choose the event first" in client.post("/feasibility/new/", data).content.decode()
    # An action that is not one of the form's is only a re-display.
    for action in ("pick:entry-0:A10BA02<script>", "remove:entry-999", "add:nothing", "x" * 500):
        response = client.post("/feasibility/new/", head(action=action))
        assert response.status_code == 200
    assert not SavedCohort.objects.exists()


# --- the code lookup ----------------------------------------------------------------------------


def test_lookup_finds_codes_by_label_without_accents(make_user):
    client = login(make_user("alice"))

    def codes(**params: Any) -> dict[str, Any]:
        response = client.get("/api/feasibility/codes", params)
        assert response.status_code == 200, response.content
        return dict(response.json())

    found = codes(kind="dispensed", q="metformine")
    assert found["codes"][0] == {"system": "ATC", "code": "A10BA02", "insert": "A10BA02",
                                 "label": "metformine"}
    assert codes(kind="dispensed", q="Metform")["codes"][0]["code"] == "A10BA02"
    assert codes(kind="diagnosed", q="diabete")["codes"] == codes(kind="diagnosed",
                                                                    q="DIABÈTE")["codes"]
    first = codes(kind="diagnosed", q="diabète de type 2", limit=3)
    assert first["codes"][0]["insert"] == "E11*" and first["more"]
    assert len(first["codes"]) == 3
    assert codes(kind="diagnosed", q="E11.9")["codes"][0]["code"] == "E119"
    assert codes(kind="hospitalised_for", q="insuffisance cardiaque")["codes"][0]["insert"] == "I50*"
    assert codes(kind="lab", q="hba1c")["codes"][0]["code"] == "1577"
    assert codes(kind="lab", q="552")["codes"][0]["code"] == "0552"
    assert codes(kind="act", q="coloscopie totale")["codes"][0]["system"] == "CCAM"
    # Only the kind's systems: no CIM-10 code for a drug.
    assert codes(kind="dispensed", q="diabète")["codes"] == []
    assert codes(kind="diagnosed", q="a") == {"codes": [], "more": False}  # too short
    # Every code found passes the definition's check.
    for hit in codes(kind="diagnosed", q="cancer", limit=20)["codes"]:
        Cohort.from_dict({"name": "x", "period": {"start": "2020-01-01", "end": "2020-12-31"},
                          "codelists": {"c": {"system": hit["system"], "codes": [hit["insert"]]}},
                          "entry": {"any_of": [{"diagnosed": "c"}]}})


def test_lookup_refuses_what_it_cannot_answer(make_user):
    client = login(make_user("alice"))
    assert client.get("/api/feasibility/codes", {"kind": "region", "q": "paris"}
                      ).status_code == 422
    assert client.get("/api/feasibility/codes", {"kind": "lab", "q": "x" * 101}).status_code == 422
    assert client.get("/api/feasibility/codes", {"kind": "lab", "q": "hba1c", "limit": 21}
                      ).status_code == 422
    assert Client().get("/api/feasibility/codes", {"kind": "lab", "q": "hba1c"}
                        ).status_code == 401
    response = client.post("/api/feasibility/codes", {"kind": "lab", "q": "hba1c"})
    assert response.status_code == 405


def test_lookup_is_fast_enough_to_type():
    import time

    lookup.index("CIM10")  # read once per process
    start = time.perf_counter()
    for q in ("diabete", "insuffisance renale chronique", "E11", "cancer du sein", "a b c d"):
        lookup.search(("CIM10",), q)
    assert (time.perf_counter() - start) / 5 < 0.25  # seconds per query, on a loaded machine


# --- datasets that hold the events ----------------------------------------------------------------


def test_only_the_datasets_holding_events_are_offered(make_user):
    from hygie.web.catalogue.demo import load_demo

    load_demo()
    make_dataset("hospital", HOSPITAL)
    client = login(make_user("alice"))
    page = client.get("/feasibility/new/").content.decode()
    options = dict(re.findall(r'<option value="([a-z-]+)"[^>]*data-kinds="([^"]*)"', page))
    assert set(options) == {"snds", "hospital"}  # OSCOUR and REIN hold none of the events
    assert options["snds"].split() == ["diagnosed", "hospitalised_for", "dispensed", "act",
                                       "lab"]
    # No DCIR: no drug, no lab test, no act (acts are looked for in town and in hospital).
    assert options["hospital"].split() == ["diagnosed", "hospitalised_for"]
    assert "OSCOUR" in page[page.index("not-offered"):]
    # OSCOUR cannot be chosen, even by hand.
    page = client.post("/feasibility/new/", head(dataset="oscour")).content.decode()
    assert 'id="id_dataset_error"' in page and not SavedCohort.objects.exists()
    # A drug on a dataset without the DCIR: refused on the row, naming the event and the tables.
    page = client.post("/feasibility/new/", head(**{
        "dataset": "hospital", "entry-TOTAL_FORMS": "2", "entry-1-kind": "diagnosed",
        "entry-1-codes": "E11*", "entry-1-diagnosis_in": "pmsi"})).content.decode()
    error = re.search(r'id="id_entry-0-kind_error">(.*?)</div>', page, re.S)
    assert error, page[-3000:]
    assert "Entry event 1 (Drug dispensed (ATC or CIP13))" in error.group(1)
    assert "ER_PHA_F" in error.group(1) and "Base hospital" in error.group(1)
    assert 'id="id_entry-1-kind_error"' not in page  # PMSI diagnoses are there
    assert not SavedCohort.objects.exists()
    # ALD diagnoses are not in that dataset either: the row's own sources are checked.
    page = client.post("/feasibility/new/", head(**{
        "dataset": "hospital", "entry-0-kind": "diagnosed", "entry-0-codes": "E11*",
        "entry-0-diagnosis_in": "all"})).content.decode()
    assert "IR_IMB_R" in page
    response = client.post("/feasibility/new/", head(**{
        "dataset": "hospital", "entry-0-kind": "diagnosed", "entry-0-codes": "E11*",
        "entry-0-diagnosis_in": "pmsi"}))
    assert response.status_code == 302
    # The YAML editor refuses the same mismatch, with the event's place.
    page = client.post("/feasibility/new/yaml/", {"name": "x", "dataset": "hospital",
                                                  "definition": T2D}).content.decode()
    assert "entry.any_of[1] (Drug dispensed (ATC or CIP13)) reads ER_PHA_F" in page
    assert SavedCohort.objects.count() == 1
    # And so does the API.
    response = client.post("/api/feasibility/cohorts", json.dumps(
        {"name": "x", "dataset": "hospital", "definition": T2D}), content_type="application/json")
    assert response.status_code == 422, response.content
    places = {p["place"]: p["message"] for p in response.json()["detail"]}
    assert "ER_PHA_F" in places["entry.any_of[1]"]
    assert SavedCohort.objects.count() == 1
    # A cohort saved on a dataset the form does not offer opens in the editor, not in a form
    # that would move it to another dataset without saying.
    oscour = SavedCohort.objects.create(owner=SavedCohort.objects.get().owner, name="Old",
                                        dataset=Dataset.objects.get(slug="oscour"),
                                        definition=T2D)
    page = client.get(f"/feasibility/cohorts/{oscour.pk}/edit/").content.decode()
    assert 'id="builder"' not in page and "The form does not offer OSCOUR" in page


# --- the round trip between the form and YAML -------------------------------------------------------

CODES = {"diagnosed": ["E11*", "E119", "I50*", "C50", "E10*"],
         "hospitalised_for": ["I21*", "I500", "J44*"],
         "act": ["DZQM006", "HHQE*", "JQGD010"],
         "lab": ["1577", "0552", "05*"]}
DRUGS = [["A10BA02", "A10B*", "C10AA05"], ["3400930000014", "3400930000182"]]
NAMES = st.sampled_from(["", "", "t2d", "metformin", "entry_2", "criterion_1", "x1"])


@st.composite
def events(draw: Any, entry: bool) -> builder.Event:
    kind = draw(st.sampled_from(list(builder.EVENT_SYSTEMS)))
    pool = draw(st.sampled_from(DRUGS)) if kind == "dispensed" else CODES[kind]
    codes = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=3, unique=True))
    at_least = draw(st.integers(1, 4))
    event = builder.Event(kind=kind, codes=codes, at_least=at_least, codelist=draw(NAMES),
                          diagnosis_in=draw(st.sampled_from(list(builder.DIAGNOSIS_SOURCES))))
    if entry and at_least > 1:
        event.within_days = draw(st.none() | st.integers(1, 730))
    if not entry:
        start = draw(st.none() | st.sampled_from([-730, -365, -30, 0]))
        end = draw(st.sampled_from([0, -1, 30, 365]))
        if start is None or start <= end:
            event.window = draw(st.none() | st.just((start, end)))
    return event


@st.composite
def rules(draw: Any) -> builder.Rule:
    mode = draw(st.sampled_from(["require", "exclude"]))
    what = draw(st.sampled_from(["event", "event", "age", "sex"]))
    if what == "event":
        return builder.Rule(mode=mode, event=draw(events(False)))
    if what == "sex":
        return builder.Rule(mode=mode, sex=draw(st.sampled_from(["female", "male"])))
    low = draw(st.none() | st.integers(0, 90))
    high = draw(st.none() | st.integers(low or 0, 120))
    assume(low is not None or high is not None)
    return builder.Rule(mode=mode, age_min=low, age_max=high)


TITLES = st.text(st.characters(categories=["L", "N", "Zs"]), min_size=1, max_size=30).filter(
    str.strip)


@st.composite
def form_rows(draw: Any) -> builder.Rows:
    start = draw(st.dates(dt.date(2010, 1, 1), dt.date(2022, 12, 31)))
    return builder.Rows(
        title=draw(TITLES), name=draw(st.sampled_from(["", "my_cohort"])),
        description=draw(st.sampled_from(["", "Adults treated in town."])),
        start=start, end=start + dt.timedelta(days=draw(st.integers(0, 2000))),
        entries=draw(st.lists(events(True), min_size=1, max_size=4)),
        rules=draw(st.lists(rules(), max_size=5)))


def built(rows: builder.Rows) -> dict[str, Any]:
    return builder.build(rows.title, rows.start, rows.end, rows.entries, rows.rules,
                         name=rows.name, description=rows.description).definition


canonical = builder.meaning


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(rows=form_rows())
def test_a_definition_from_the_form_comes_back_to_the_form_unchanged(rows):
    first = built(rows)
    cohort = Cohort.from_dict(first)
    again = builder.rows_of(cohort)
    assert built(again) == first
    # Its YAML text, as saved, says the same thing.
    assert definitions.load(builder.to_yaml(first)).model_dump() == cohort.model_dump()


EXPRESSIBLE = [EXAMPLE, T2D, """\
name: ami_statins
title: Infarctus, sous statines
description: "Hospitalised for a myocardial infarction; statins in the year before"
period: {start: 2019-01-01, end: 2022-12-31}
codelists:
  ami: {system: CIM-10, codes: [I21*, I22*]}
  statins: {system: ATC, codes: [C10AA*]}
  hba1c: {system: NABM, codes: [1577]}
  dialysis: {system: CCAM, codes: [JVJF004]}
entry: {hospitalised_for: ami}
require:
  - {dispensed: statins, window: [-365 days, -1 day], at_least: 2}
  - sex: male
  - {lab: hba1c, window: [null, 0 days]}
exclude:
  - {act: dialysis, in: [pmsi_act, dcir_act]}
  - age_at_index: {max: 17}
""", """\
name: ald_diabetes
period: {start: 2021-01-01, end: 2021-12-31}
codelists:
  diab: {system: CIM10, codes: [E10*, E11*]}
  pregnancy: {system: CIM10, codes: [O24*]}
  insulin: {system: CIP13, codes: ["3400930000014"]}
entry:
  any_of:
    - {diagnosed: diab, in: [ald]}
    - {dispensed: insulin, at_least: 3, within: 2 weeks}
exclude:
  - {diagnosed: pregnancy, in: [pmsi_associated, pmsi_main, pmsi_related]}
"""]

NOT_EXPRESSIBLE = [
    (T2D + "  - region: '11'\n", "require[1]", "region"),
    (T2D + "values:\n  age: age_at_index\n", "values", "baseline"),
    (T2D + "exclude:\n  - {dispensed: metformin, in_year: 2020}\n", "exclude[0]",
     "calendar window"),
    (T2D + "exclude:\n  - {diagnosed: t2d, window: [-30 days, null]}\n", "exclude[0].window",
     "open after"),
    (T2D.replace("period:", "quality_filters: false\nperiod:"), "quality_filters", "quality"),
    (T2D + "exclude:\n  - {diagnosed: t2d, window: [-30 days, -1 day]}\n", "codelists.t2d",
     "used by entry.any_of[0], exclude[0]"),
    (T2D.replace("  metformin:", "  unused: {system: CCAM, codes: [DZQM006]}\n  metformin:"),
     "codelists.unused", "no criterion uses"),
]


@pytest.mark.parametrize("text", EXPRESSIBLE)
def test_yaml_the_form_can_express_comes_back_the_same(text):
    cohort = definitions.load(text)
    rows = builder.rows_of(cohort)
    assert canonical(Cohort.from_dict(built(rows))) == canonical(cohort)


@pytest.mark.parametrize(("text", "place", "why"), NOT_EXPRESSIBLE)
def test_what_the_form_cannot_express_is_said(text, place, why):
    with translation.override("en"), pytest.raises(builder.NotExpressible) as caught:
        builder.rows_of(definitions.load(text))
    assert any(p == place and why in m for p, m in caught.value.reasons), caught.value.reasons


@pytest.mark.parametrize("text", EXPRESSIBLE)
def test_yaml_opens_in_the_form_and_saving_keeps_it(make_user, text):
    alice = make_user("alice")
    client = login(alice)
    response = client.post("/feasibility/new/yaml/", {"name": "Mine", "dataset": "snds",
                                                      "definition": text})
    assert response.status_code == 302, response.content.decode()[-2000:]
    cohort = SavedCohort.objects.get(owner=alice)
    page = client.get(f"/feasibility/cohorts/{cohort.pk}/edit/").content.decode()
    assert 'id="builder"' in page  # the form, not the editor
    # Saved from the form as it opened: the same definition, text included (nothing changed).
    response = client.post(f"/feasibility/cohorts/{cohort.pk}/edit/",
                           posted(page, "builder", action="save"))
    assert response.status_code == 302, response.content.decode()[-3000:]
    cohort.refresh_from_db()
    assert cohort.definition == text.replace("\r\n", "\n") and updates(cohort) == 0
    # A change in the form is saved as YAML that says the same plus the change.
    data = posted(page, "builder", action="save", name="Mine, 2021", period_start="2021-01-01")
    assert client.post(f"/feasibility/cohorts/{cohort.pk}/edit/", data).status_code == 302
    cohort.refresh_from_db()
    changed = canonical(definitions.load(cohort.definition))
    before = canonical(definitions.load(text))
    before["period"]["start"] = dt.date(2021, 1, 1)
    assert changed == before and cohort.name == "Mine, 2021"


def test_a_cohort_from_the_form_opens_in_yaml_and_back(make_user):
    alice = make_user("alice")
    client = login(alice)
    data = head(**{"rule-TOTAL_FORMS": "2", "rule-0-mode": "exclude", "rule-0-kind": "diagnosed",
                   "rule-0-codes": "E10*", "rule-0-window_start": "-365",
                   "rule-0-diagnosis_in": "all", "rule-0-at_least": "1",
                   "rule-1-mode": "require", "rule-1-kind": "sex", "rule-1-sex": "female"})
    # "Show in YAML" shows the definition in the editor; nothing is saved.
    page = client.post("/feasibility/new/", {**data, "action": "yaml"}).content.decode()
    assert "dispensed: entry_1" in page and "New cohort in the targeting language" in page
    assert not SavedCohort.objects.exists()
    yaml_text = posted(page, "editor")["definition"]
    # "Open in the form" from the editor gives the builder back, filled.
    page = client.post("/feasibility/new/yaml/", {"name": "Metformin", "dataset": "snds",
                                                  "definition": yaml_text, "action": "form"}
                       ).content.decode()
    assert 'id="builder"' in page and 'value="E10*"' in page and 'value="A10BA02"' in page
    assert client.post("/feasibility/new/", posted(page, "builder", action="save")
                       ).status_code == 302
    cohort = SavedCohort.objects.get()
    assert cohort.definition == yaml_text
    # Saved again from the YAML editor, unchanged: the same text.
    page = client.get(f"/feasibility/cohorts/{cohort.pk}/edit/?as=yaml").content.decode()
    assert "Open in the form" in page
    response = client.post(f"/feasibility/cohorts/{cohort.pk}/edit/", posted(page, "editor"))
    assert response.status_code == 302
    cohort.refresh_from_db()
    assert cohort.definition == yaml_text and updates(cohort) == 0


def test_a_definition_the_form_cannot_show_opens_in_the_editor_saying_why(make_user):
    alice = make_user("alice")
    client = login(alice)
    text = T2D + "  - department: [75, 2A]\n"
    client.post("/feasibility/new/yaml/", {"name": "Paris", "dataset": "snds", "definition": text})
    cohort = SavedCohort.objects.get()
    page = client.get(f"/feasibility/cohorts/{cohort.pk}/edit/").content.decode()
    assert 'id="builder"' not in page and 'id="not-in-form"' in page
    assert "require[1]: the criterion department is not in the form" in page
    assert "Open in the form" not in page
    # Asking for the form from the editor says the same, and keeps what was typed.
    page = client.post(f"/feasibility/cohorts/{cohort.pk}/edit/", {
        "name": "Paris", "dataset": "snds", "definition": text, "action": "form"}
    ).content.decode()
    assert "require[1]: the criterion department is not in the form" in page
    assert "department: [75, 2A]" in page
    cohort.refresh_from_db()
    assert cohort.definition == text


def test_the_reasons_are_in_french_for_a_french_reader(make_user):
    client = login(make_user("alice"))
    client.cookies["django_language"] = "fr"
    page = client.post("/feasibility/new/yaml/", {
        "name": "x", "dataset": "snds", "definition": T2D + "  - department: [75]\n",
        "action": "form"}, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "le critère department n’existe pas dans le formulaire" in page


def test_another_users_cohort_is_not_opened_in_the_form(make_user):
    alice, bob = make_user("alice"), make_user("bob")
    login(alice).post("/feasibility/new/yaml/", {"name": "A", "dataset": "snds",
                                                 "definition": T2D})
    cohort = SavedCohort.objects.get()
    other = login(bob)
    assert other.get(f"/feasibility/cohorts/{cohort.pk}/edit/").status_code == 404
    page = login(alice).get(f"/feasibility/cohorts/{cohort.pk}/edit/").content.decode()
    response = other.post(f"/feasibility/cohorts/{cohort.pk}/edit/",
                          posted(page, "builder", action="save", name="stolen"))
    assert response.status_code == 404
    cohort.refresh_from_db()
    assert cohort.name == "A"
