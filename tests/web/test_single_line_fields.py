"""Single-line fields (titles, names, labels, keywords) hold a single line: the editing forms and
model validation refuse line breaks, control characters and direction overrides with a clear
message, and imports refuse them in names and clean them from other texts."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from hygie.catalogue.spec import (
    NomenclatureSpec,
    SpecError,
    TableSpec,
    VariableSpec,
    VersionSpec,
)
from hygie.web.catalogue.importer import import_version
from hygie.web.catalogue.models import Code, DataHolder, Dataset, Table
from hygie.web.validators import forbidden_in_line
from tests.web import helpers

pytestmark = pytest.mark.django_db

BAD = ["Base A\nURGENT : https://evil.example/login", "Base\rA", "Base\tA", "Base\u2028A",
       "Base \u202eA gnp.exe"]
MESSAGE = "Use a single line of text"


def form(**fields: object) -> dict[str, object]:
    return {"title_fr": "Base A", "title_en": "", "description_fr": "Sur\nplusieurs\nlignes",
            "description_en": "", "keywords": "urgences, RPU", "health_categories": [],
            "population_coverage_fr": "", "population_coverage_en": "", "legal_basis": "",
            "retention": "", "access_body": "Health Data Hub", "licence": "",
            "landing_page": "", "contact_email": "", **fields}


@pytest.fixture
def editor(make_user):
    holder = DataHolder.objects.create(slug="holder-a", name="Holder A")
    Dataset.objects.create(slug="base-a", holder=holder, title_fr="Base A")
    return helpers.login(make_user("edith", holder="holder-a", totp=True))


@pytest.mark.parametrize("title", BAD)
def test_a_title_with_a_line_break_is_refused_in_the_edit_form(editor, title):
    response = editor.post("/catalogue/base-a/edit/", form(title_fr=title))
    assert response.status_code == 400
    assert MESSAGE in response.content.decode()
    assert Dataset.objects.get(slug="base-a").title_fr == "Base A"
    # Descriptions are texts of several lines: they stay allowed.
    assert editor.post("/catalogue/base-a/edit/", form()).status_code == 302


@pytest.mark.parametrize(("field", "value"), [("title_en", "Base\nA"), ("retention", "20\nans"),
                                              ("access_body", "HDH\x1b[31m"),
                                              ("keywords", "urgences, RPU\nfaux")])
def test_other_single_line_fields_are_refused_in_the_forms(editor, field, value):
    response = editor.post("/catalogue/base-a/edit/", form(**{field: value}))
    assert response.status_code == 400 and MESSAGE in response.content.decode()
    response = editor.post("/catalogue/new/", {**form(**{field: value}), "slug": "new-base",
                                               "holder": DataHolder.objects.get(slug="holder-a").pk})
    assert response.status_code == 400 and MESSAGE in response.content.decode()
    assert not Dataset.objects.filter(slug="new-base").exists()


def test_model_validation_refuses_them_too():
    """What the administration's forms and any other full_clean run."""
    ds = Dataset(slug="x", holder=DataHolder.objects.create(slug="h", name="H"),
                 title_fr="Titre\nsuite", keywords=["ok", "pas\u202eok"])
    with pytest.raises(ValidationError) as caught:
        ds.full_clean()
    assert set(caught.value.message_dict) == {"title_fr", "keywords"}
    assert "U+000A" in caught.value.message_dict["title_fr"][0]
    with pytest.raises(ValidationError, match="single line"):
        Table(name="T\n1", version_id=1).clean_fields(exclude=["version"])


def test_imports_refuse_such_names_and_clean_other_texts():
    ds = Dataset.objects.create(slug="imp", holder=DataHolder.objects.create(slug="h", name="H"),
                                title_fr="Import")
    bad = VersionSpec(tables=(TableSpec("VISITS\nEVIL", variables=(VariableSpec("id\r"),)),))
    with pytest.raises(SpecError) as caught:
        import_version(ds, bad, origin="package.json")
    where = [w for w, _ in caught.value.problems]
    assert where == ["table 'VISITS\\nEVIL'", "VISITS\nEVIL.'id\\r'"]
    assert "single line" in str(caught.value)
    assert not ds.versions.exists()

    good = VersionSpec(
        tables=(TableSpec("VISITS", title_fr="Visites\naux urgences", product="OSC\tOUR",
                          variables=(VariableSpec("sexe", nomenclature="SEXE"),)),),
        nomenclatures=(NomenclatureSpec("SEXE", "code", "label", ("code", "label"),
                                        title="Sexe\u202e", rows=lambda: [
                                            {"code": "M", "label": "Masculin\n(homme)"}]),))
    version = import_version(ds, good, label="v\n1")
    table = version.tables.get()
    assert (table.title_fr, table.product, version.label) == ("Visites aux urgences", "OSC OUR",
                                                              "v 1")
    assert Code.objects.get(nomenclature__dataset=ds).label == "Masculin (homme)"
    assert ds.nomenclatures.get().title == "Sexe"
    for obj in (table, version, ds.nomenclatures.get()):
        obj.clean_fields(exclude=["version", "dataset"])  # what is stored passes the validators


def test_the_pattern_is_the_unicode_rule():
    """Control characters, line and paragraph separators, and direction overrides: the pattern
    the validator and the importers use, checked against Unicode's own categories."""
    import unicodedata

    bidi = {*range(0x202A, 0x202F), *range(0x2066, 0x206A)}
    for c in range(0x10000):
        char = chr(c)
        expected = unicodedata.category(char) in ("Cc", "Zl", "Zp") or c in bidi
        assert (forbidden_in_line(char) is not None) == expected, hex(c)
