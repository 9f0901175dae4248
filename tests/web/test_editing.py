"""Editing the catalogue: datasets, new versions from Frictionless descriptors, descriptions in
drafts, the publication workflow, changes between versions, audit trails, and who may do what."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client

from hygie.catalogue.diff import diff
from hygie.catalogue.spec import TableSpec, VariableSpec, VersionSpec
from hygie.web.audit.models import AuditEvent
from hygie.web.catalogue.importer import import_version, spec_of
from hygie.web.catalogue.models import (
    Code,
    DataHolder,
    Dataset,
    DatasetVersion,
    Nomenclature,
    Status,
    Table,
    Variable,
)
from tests.web import helpers
from tests.web.conftest import PASSWORD

pytestmark = pytest.mark.django_db
TEAM = "catalogue-team"


@pytest.fixture(autouse=True)
def english(client):
    """Pages in English whatever translations are compiled (assertions read a few texts)."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def login():
    """login(user): a new client signed in as `user`, past the second factor (`helpers.login`)."""
    return helpers.login


def spec(*variables: VariableSpec, tables: tuple[str, ...] = ("VISITS",)) -> VersionSpec:
    return VersionSpec(tables=tuple(
        TableSpec(name, title_fr=f"Table {name}", variables=variables or (
            VariableSpec("id", description_fr="Identifiant"),
            VariableSpec("age", type="integer", description_fr="Âge"))) for name in tables))


@pytest.fixture
def world(make_user):
    """Holder A with a published v1 and a draft v2; holder B with a draft-only dataset and a
    published one; an editor for each, the catalogue team, and a signed-in nobody."""
    a = DataHolder.objects.create(slug="holder-a", name="Holder A")
    b = DataHolder.objects.create(slug="holder-b", name="Holder B")
    ds_a = Dataset.objects.create(slug="base-a", holder=a, title_fr="Base A")
    v1 = import_version(ds_a, spec(), status=str(Status.PUBLISHED))
    v2 = import_version(ds_a, spec())
    ds_b = Dataset.objects.create(slug="secret-b", holder=b, title_fr="Base B secrète")
    b1 = import_version(ds_b, spec(tables=("HIDDEN",)))
    pub_b = Dataset.objects.create(slug="public-b", holder=b, title_fr="Base B publique")
    import_version(pub_b, spec(), status=str(Status.PUBLISHED))
    return {"a": a, "b": b, "ds_a": ds_a, "v1": v1, "v2": v2, "ds_b": ds_b, "b1": b1,
            "pub_b": pub_b,
            "editor_a": make_user("edith", holder="holder-a", totp=True),
            "editor_b": make_user("boris", holder="holder-b", totp=True),
            "team": make_user("tess", role=TEAM, totp=True),
            "nobody": make_user("nora")}


def package(variable_type: str = "integer", extra_table: bool = False) -> bytes:
    resources = [
        {"name": "VISITS", "path": "visits.csv", "title": "Visites",
         "schema": {"fields": [
             {"name": "id", "type": "string", "description": "Identifiant"},
             {"name": "age", "type": variable_type, "description": "Âge à la visite"},
             {"name": "sex", "type": "string", "nomenclature": "SEXE"}],
             "primaryKey": "id"}},
        {"name": "SEXE", "nomenclature": {"code": "code", "label": "label"},
         "data": [["code", "label"], ["M", "Masculin"], ["F", "Féminin"]]},
    ]
    if extra_table:
        resources.append({"name": "STAYS", "path": "stays.csv", "schema": {
            "fields": [{"name": "id", "type": "string"}],
            "foreignKeys": [{"fields": "id", "reference": {"resource": "VISITS",
                                                           "fields": "id"}}]}})
    return json.dumps({"name": "base-a", "version": "3", "resources": resources}).encode()


def upload(client, slug: str, data: bytes, name: str = "package.json", **fields):
    return client.post(f"/catalogue/{slug}/upload/", {
        "file": SimpleUploadedFile(name, data, content_type="application/json"),
        "language": "fr", "label": "", "change_note": "", **fields})


def counts():
    return [m.objects.count() for m in (Dataset, DatasetVersion, Table, Variable, Nomenclature,
                                        Code)]


def events(action: str, **filters):
    return AuditEvent.objects.filter(action=action, **filters)


# --- who sees and does what -----------------------------------------------------------------------


def test_anonymous_users_read_published_entries_only(client, world):
    assert client.get("/catalogue/base-a/v1/").status_code == 200
    assert client.get("/catalogue/base-a/v2/").status_code == 404
    assert client.get("/catalogue/base-a/v2/changes/").status_code == 404
    assert client.get("/catalogue/base-a/v1/changes/").status_code == 200
    assert client.get("/catalogue/secret-b/").status_code == 404
    page = client.get("/catalogue/base-a/").content.decode()
    assert 'id="editing"' not in page and "/submit/" not in page
    for url in ("/catalogue/editing/", "/catalogue/new/", "/catalogue/base-a/edit/",
                "/catalogue/base-a/upload/", "/catalogue/base-a/audit/",
                "/catalogue/base-a/v2/describe/"):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
    response = client.post("/catalogue/base-a/v2/submit/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    world["v2"].refresh_from_db()
    assert world["v2"].status == Status.DRAFT


def test_editors_of_another_holder_get_404_on_drafts_and_403_on_the_rest(login, world):
    client = login(world["editor_a"])
    before = counts()
    for url in ("/catalogue/secret-b/", "/catalogue/secret-b/v1/", "/catalogue/secret-b/edit/",
                "/catalogue/secret-b/upload/", "/catalogue/secret-b/audit/",
                "/catalogue/secret-b/v1/changes/", "/catalogue/secret-b/v1/describe/",
                "/catalogue/secret-b/v1/tables/HIDDEN/describe/"):
        assert client.get(url).status_code == 404, url
    assert client.post("/catalogue/secret-b/v1/submit/").status_code == 404
    assert upload(client, "secret-b", package()).status_code == 404
    # B's published dataset: visible, but not theirs to change.
    for url in ("/catalogue/public-b/edit/", "/catalogue/public-b/upload/",
                "/catalogue/public-b/audit/"):
        assert client.get(url).status_code == 403, url
    assert upload(client, "public-b", package()).status_code == 403
    assert client.post("/catalogue/public-b/v1/submit/").status_code == 403
    assert client.post("/catalogue/public-b/edit/", {"title_fr": "Pris"}).status_code == 403
    assert counts() == before
    assert Dataset.objects.get(slug="public-b").title_fr == "Base B publique"
    world["b1"].refresh_from_db()
    assert world["b1"].status == Status.DRAFT


def test_the_editing_panel_shows_to_editors_only(login, world):
    client = login(world["editor_b"])
    page = client.get("/catalogue/base-a/").content.decode()
    assert 'id="editing"' not in page
    client = login(world["editor_a"])
    page = client.get("/catalogue/base-a/v2/").content.decode()
    assert 'id="editing"' in page and 'id="submit-version"' in page
    assert 'id="publish-version"' not in page
    assert "/catalogue/base-a/v2/describe/" in page and "/catalogue/base-a/audit/" in page
    published = client.get("/catalogue/base-a/v1/").content.decode()
    assert 'id="submit-version"' not in published and 'id="upload-version"' in published


def test_csrf_protects_every_change(world):
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    # Sign in the way a browser does, with the tokens of the forms.
    client.get("/accounts/login/")
    token = client.cookies["csrftoken"].value
    response = client.post("/accounts/login/", {"username": "edith", "password": PASSWORD,
                                                "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    client.get("/accounts/two-factor/")
    token = client.cookies["csrftoken"].value
    response = client.post("/accounts/two-factor/", {
        "token": helpers.totp_now(world["editor_a"].device), "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    before = counts()
    assert client.post("/catalogue/base-a/v2/submit/").status_code == 403
    response = client.post("/catalogue/base-a/upload/", {
        "file": SimpleUploadedFile("p.json", package()), "language": "fr"})
    assert response.status_code == 403
    assert client.post("/catalogue/base-a/edit/", {"title_fr": "X"}).status_code == 403
    assert counts() == before
    world["v2"].refresh_from_db()
    assert world["v2"].status == Status.DRAFT
    # With the token, the same upload goes through.
    token = client.cookies["csrftoken"].value
    response = client.post("/catalogue/base-a/upload/", {
        "file": SimpleUploadedFile("p.json", package()), "language": "fr",
        "csrfmiddlewaretoken": token})
    assert response.status_code == 302


# --- datasets -------------------------------------------------------------------------------------


def dataset_form(**fields):
    return {"slug": "new-base", "holder": "", "title_fr": "Nouvelle base", "title_en": "",
            "description_fr": "", "description_en": "", "keywords": "urgences, RPU, urgences",
            "health_categories": ["EMERGENCY"], "population_coverage_fr": "",
            "population_coverage_en": "", "legal_basis": "", "retention": "",
            "access_body": "Health Data Hub", "licence": "", "landing_page": "",
            "contact_email": "", **fields}


def test_editors_create_datasets_for_their_holders_only(login, world):
    client = login(world["editor_a"])
    response = client.post("/catalogue/new/", dataset_form(holder=world["b"].pk))
    assert response.status_code == 400
    assert not Dataset.objects.filter(slug="new-base").exists()
    assert client.post("/catalogue/new/", dataset_form(holder=world["a"].pk, slug="new")
                       ).status_code == 400
    assert client.post("/catalogue/new/", dataset_form(holder=world["a"].pk, gdpr_bases=[
        "A6-1-e", "A6-1-z"])).status_code == 400  # not a GDPR basis offered
    response = client.post("/catalogue/new/", dataset_form(holder=world["a"].pk,
                                                           gdpr_bases=["A6-1-e", "A9-2-j"]))
    assert response.status_code == 302 and response["Location"] == "/catalogue/new-base/upload/"
    created = Dataset.objects.get(slug="new-base")
    assert (created.holder, created.keywords, created.health_categories) == (
        world["a"], ["urgences", "RPU"], ["EMERGENCY"])
    assert created.gdpr_bases == ["A6-1-e", "A9-2-j"]
    assert created.gdpr_basis_labels[1].startswith("Art. 9(2)(j)")
    event = events("catalogue.dataset_created", target_id=str(created.pk)).get()
    assert event.actor == world["editor_a"]
    # With no version yet it is on the editor's overview, not in the public catalogue.
    assert "Nouvelle base" in client.get("/catalogue/editing/").content.decode()
    assert "Nouvelle base" not in Client().get("/catalogue/").content.decode()


def test_the_catalogue_team_creates_for_any_holder_and_others_cannot(login, world):
    client = login(world["nobody"])
    assert client.get("/catalogue/new/").status_code == 403
    client = login(world["team"])
    response = client.post("/catalogue/new/", dataset_form(holder=world["b"].pk))
    assert response.status_code == 302
    assert Dataset.objects.get(slug="new-base").holder == world["b"]


def test_editing_metadata_is_audited_with_before_and_after(login, world):
    client = login(world["editor_a"])
    form = dataset_form(title_fr="Base A, nouvelle", retention="20 ans",
                        licence="https://www.etalab.gouv.fr/licence-ouverte-open-licence")
    form.pop("slug"), form.pop("holder")
    response = client.post("/catalogue/base-a/edit/", form)
    assert response.status_code == 302
    ds = Dataset.objects.get(slug="base-a")
    assert (ds.title_fr, ds.retention) == ("Base A, nouvelle", "20 ans")
    changed = events("catalogue.dataset_edited", target_id=str(ds.pk)).get().detail["changed"]
    assert changed["title_fr"] == ["Base A", "Base A, nouvelle"]
    assert changed["keywords"] == [[], ["urgences", "RPU"]]
    # A bad value: an error, nothing saved.
    response = client.post("/catalogue/base-a/edit/", {**form, "licence": "not a url",
                                                       "title_fr": "Changed again"})
    assert response.status_code == 400
    assert Dataset.objects.get(slug="base-a").title_fr == "Base A, nouvelle"
    assert events("catalogue.dataset_edited").count() == 1


# --- new versions ---------------------------------------------------------------------------------


def test_uploading_a_data_package_makes_a_draft(login, world):
    client = login(world["editor_a"])
    response = upload(client, "base-a", package(), label="2024-03", change_note="Ajout du sexe")
    assert response.status_code == 302 and response["Location"] == "/catalogue/base-a/v3/"
    v3 = DatasetVersion.objects.get(dataset__slug="base-a", number=3)
    assert (v3.status, v3.label, v3.change_note, v3.created_by) == (
        Status.DRAFT, "2024-03", "Ajout du sexe", world["editor_a"])
    sex = v3.tables.get(name="VISITS").variables.get(name="sex")
    assert sex.nomenclature.codes.filter(code="F", label="Féminin").exists()
    assert events("catalogue.version_imported", target_id=str(v3.pk)).get().actor == world[
        "editor_a"]
    # Not public: anonymous users still see version 1.
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert client.get("/catalogue/base-a/v3/").status_code == 404


def test_a_table_schema_upload_names_the_table_after_the_file(login, world):
    client = login(world["editor_a"])
    schema = {"fields": [{"name": "x", "type": "integer", "title": "Un nombre"}]}
    response = upload(client, "base-a", json.dumps(schema).encode(), name="NOMBRES.json",
                      language="en")
    assert response.status_code == 302
    table = DatasetVersion.objects.get(dataset__slug="base-a", number=3).tables.get()
    assert table.name == "NOMBRES"
    assert table.variables.get().description_en == "Un nombre"


def test_a_bad_upload_lists_its_problems_and_imports_nothing(login, world):
    client = login(world["editor_a"])
    bad = json.loads(package(extra_table=True))
    bad["resources"][0]["schema"]["fields"].append({"name": "id", "type": "colour"})
    bad["resources"][2]["schema"]["foreignKeys"][0]["reference"]["resource"] = "NOWHERE"
    before = counts()
    response = upload(client, "base-a", json.dumps(bad).encode())
    assert response.status_code == 400
    page = response.content.decode()
    assert "<strong>VISITS.id</strong>: defined 2 times" in page
    assert "unknown type &#x27;colour&#x27;" in page
    assert "<strong>STAYS foreign key (id)</strong>: refers to unknown table" in page
    assert counts() == before
    assert upload(client, "base-a", b"{not json").status_code == 400
    assert counts() == before


def test_uploads_over_the_limit_are_refused(login, world, settings):
    settings.HYGIE_MAX_UPLOAD_BYTES = 2000
    client = login(world["editor_a"])
    before = counts()
    padded = json.loads(package())
    padded["description"] = "x" * 3000  # over the limit, within the form's allowance
    response = upload(client, "base-a", json.dumps(padded).encode())
    assert response.status_code == 413
    assert "larger than the 2000 bytes allowed" in response.content.decode()
    padded["description"] = "x" * 200_000  # refused from the declared length, unread
    response = upload(client, "base-a", json.dumps(padded).encode())
    assert response.status_code == 413
    assert counts() == before
    assert upload(client, "base-a", package()).status_code == 302  # 1 kB passes


# --- descriptions in drafts -----------------------------------------------------------------------


def describe_form(version, table="VISITS", **texts):
    t = version.tables.get(name=table)
    data = {"table-title_fr": t.title_fr, "table-title_en": t.title_en,
            "table-description_fr": t.description_fr, "table-description_en": t.description_en}
    variables = list(t.variables.order_by("position"))
    data.update({"var-TOTAL_FORMS": len(variables), "var-INITIAL_FORMS": len(variables),
                 "var-MIN_NUM_FORMS": 0, "var-MAX_NUM_FORMS": 1000})
    for i, v in enumerate(variables):
        data.update({f"var-{i}-id": v.pk, f"var-{i}-description_fr": v.description_fr,
                     f"var-{i}-description_en": v.description_en})
    data.update(texts)
    return data


def test_editors_edit_descriptions_of_drafts(login, world):
    client = login(world["editor_a"])
    v2 = world["v2"]
    assert client.get("/catalogue/base-a/v2/describe/").status_code == 200
    assert client.get("/catalogue/base-a/v2/tables/VISITS/describe/").status_code == 200
    response = client.post("/catalogue/base-a/v2/tables/VISITS/describe/", describe_form(
        v2, **{"table-title_en": "Visits", "var-1-description_en": "Age at the visit"}))
    assert response.status_code == 302
    table = v2.tables.get(name="VISITS")
    assert table.title_en == "Visits"
    assert table.variables.get(name="age").description_en == "Age at the visit"
    assert table.variables.get(name="age").description_fr == "Âge"
    changed = events("catalogue.descriptions_edited", target_id=str(v2.pk)).get().detail
    assert changed["table"] == "VISITS"
    assert changed["changed"] == {"": {"title_en": ["", "Visits"]},
                                  "age": {"description_en": ["", "Age at the visit"]}}
    # The published version's texts did not move.
    assert world["v1"].tables.get().title_en == ""


def test_a_tampered_form_cannot_reach_another_tables_variables(login, world):
    client = login(world["editor_a"])
    other = world["b1"].tables.get().variables.get(name="age")
    form = describe_form(world["v2"], **{"var-1-id": other.pk, "var-1-description_en": "pwned"})
    response = client.post("/catalogue/base-a/v2/tables/VISITS/describe/", form)
    assert response.status_code == 400
    other.refresh_from_db()
    assert other.description_en == ""
    assert not events("catalogue.descriptions_edited").exists()


@pytest.mark.parametrize("management", [
    {"var-TOTAL_FORMS": 1},                          # fewer forms than variables
    {"var-TOTAL_FORMS": 5, "var-INITIAL_FORMS": 5},  # more: rows that name no variable
    {"var-TOTAL_FORMS": "x"},                        # a broken management form
    {"var-TOTAL_FORMS": "9" * 5000},
])
def test_a_describe_form_with_the_wrong_rows_is_refused_not_a_crash(login, world, management):
    client = login(world["editor_a"])
    form = describe_form(world["v2"], **{"table-title_en": "Changed"}, **management)
    response = client.post("/catalogue/base-a/v2/tables/VISITS/describe/", form)
    assert response.status_code == 400
    assert "does not match the table" in response.content.decode()
    assert world["v2"].tables.get(name="VISITS").title_en == ""
    assert not events("catalogue.descriptions_edited").exists()


def test_only_drafts_are_editable(login, world):
    client = login(world["editor_a"])
    for url in ("/catalogue/base-a/v1/describe/", "/catalogue/base-a/v1/tables/VISITS/describe/"):
        response = client.get(url)
        assert response.status_code == 409, url
        assert "Only drafts can be edited" in response.content.decode()
    response = client.post("/catalogue/base-a/v1/tables/VISITS/describe/",
                           describe_form(world["v1"], **{"table-title_en": "Changed"}))
    assert response.status_code == 409
    assert world["v1"].tables.get().title_en == ""


# --- the workflow ---------------------------------------------------------------------------------


def test_draft_review_published_with_a_send_back(client, login, world):
    v1, v2 = world["v1"], world["v2"]
    editor, team = login(world["editor_a"]), login(world["team"])
    assert editor.post("/catalogue/base-a/v2/submit/").status_code == 302
    v2.refresh_from_db()
    assert v2.status == Status.REVIEW
    # Editors neither publish nor send back; a second submit is a conflict.
    assert editor.post("/catalogue/base-a/v2/publish/").status_code == 403
    assert editor.post("/catalogue/base-a/v2/send-back/", {"comment": "no"}).status_code == 403
    assert editor.post("/catalogue/base-a/v2/submit/").status_code == 409
    assert editor.get("/catalogue/base-a/v2/tables/VISITS/describe/").status_code == 409
    assert 'id="publish-version"' not in editor.get("/catalogue/base-a/v2/").content.decode()

    page = team.get("/catalogue/base-a/v2/").content.decode()
    assert 'id="publish-version"' in page and 'id="send-back-comment"' in page
    assert 'id="in-review"' in team.get("/catalogue/editing/").content.decode()
    assert team.post("/catalogue/base-a/v2/send-back/", {"comment": "  "}).status_code == 400
    v2.refresh_from_db()
    assert v2.status == Status.REVIEW
    response = team.post("/catalogue/base-a/v2/send-back/",
                         {"comment": "Décrivez <b>age</b> en anglais."})
    assert response.status_code == 302
    v2.refresh_from_db()
    assert v2.status == Status.DRAFT

    page = editor.get("/catalogue/base-a/v2/").content.decode()
    assert "Décrivez &lt;b&gt;age&lt;/b&gt; en anglais." in page  # escaped, shown to editors
    assert editor.post("/catalogue/base-a/v2/submit/").status_code == 302
    assert team.post("/catalogue/base-a/v2/publish/").status_code == 302
    v1.refresh_from_db(), v2.refresh_from_db()
    assert (v1.status, v2.status) == (Status.ARCHIVED, Status.PUBLISHED)
    assert v2.published is not None
    assert team.post("/catalogue/base-a/v2/publish/").status_code == 409

    # Everyone sees version 2 now, and version 1 stays readable where the changes page links to
    # it; each step is attributed.
    assert "version 2" in client.get("/catalogue/base-a/").content.decode()
    assert 'href="/catalogue/base-a/v1/"' in client.get("/catalogue/base-a/v2/changes/").content.decode()
    archived = client.get("/catalogue/base-a/v1/").content.decode()
    assert 'id="archived"' in archived and 'href="/catalogue/base-a/v2/"' in archived
    steps = list(AuditEvent.objects.filter(target_id=str(v2.pk), action__startswith="catalogue.")
                 .order_by("id").values_list("action", "actor__username"))
    assert steps == [("catalogue.version_imported", None),
                     ("catalogue.version_submitted", "edith"),
                     ("catalogue.version_sent_back", "tess"),
                     ("catalogue.version_submitted", "edith"),
                     ("catalogue.version_published", "tess")]
    assert events("catalogue.version_archived", target_id=str(v1.pk)).get().actor == world["team"]
    assert events("catalogue.version_sent_back").get().detail["comment"] == (
        "Décrivez <b>age</b> en anglais.")


def test_an_older_version_cannot_replace_a_newer_published_one(login, world):
    client = login(world["team"])
    ds = world["ds_a"]
    v3 = import_version(ds, spec(), status=str(Status.REVIEW))
    DatasetVersion.objects.filter(pk=world["v2"].pk).update(status=Status.REVIEW)
    assert client.post("/catalogue/base-a/v3/publish/").status_code == 302
    response = client.post("/catalogue/base-a/v2/publish/")
    assert response.status_code == 409
    assert list(ds.versions.order_by("number").values_list("status", flat=True)) == [
        Status.ARCHIVED, Status.REVIEW, Status.PUBLISHED]
    assert v3.number == 3


def test_publishing_refreshes_the_search_index_once_committed(login, world,
                                                              django_capture_on_commit_callbacks):
    client = login(world["team"])
    DatasetVersion.objects.filter(pk=world["v2"].pk).update(status=Status.REVIEW)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert client.post("/catalogue/base-a/v2/publish/").status_code == 302
    assert len(callbacks) == 3  # reindex the published and the archived version; mail the editor
    try:
        from hygie.web.search.models import Document
    except ImportError:  # the search feature is not installed: the hook is skipped
        return
    assert Document.objects.filter(version=world["v2"]).exists()


# --- changes and audit trail ----------------------------------------------------------------------


def test_the_changes_page_lists_what_changed_since_the_last_release(login, world):
    ds = world["ds_a"]
    new = VersionSpec(tables=(
        TableSpec("VISITS", title_fr="Table VISITS", variables=(
            VariableSpec("id", description_fr="Identifiant"),
            VariableSpec("age", type="number", description_fr="Âge en années"),
            VariableSpec("weight", type="number"))),
        TableSpec("STAYS", variables=(VariableSpec("id"),))))
    v3 = import_version(ds, new)
    client = login(world["editor_a"])
    page = client.get(f"/catalogue/base-a/v{v3.number}/changes/").content.decode()
    # Compared with v1 (published), not with the v2 draft.
    assert "Compared with version 1" in page
    assert 'id="tables-added"' in page and "STAYS" in page
    assert "Variables added:" in page and "<code>weight</code>" in page
    assert 'data-variable="age"' in page
    assert "<del class=\"before\">integer</del>" in page and "<ins class=\"after\">number</ins>" in page
    assert "<del class=\"before\">Âge</del>" in page
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert client.get(f"/catalogue/base-a/v{v3.number}/changes/").status_code == 404
    page = client.get("/catalogue/base-a/v1/changes/").content.decode()
    assert 'id="first-version"' in page
    # The dataset page links every version's changes.
    assert "/catalogue/base-a/v1/changes/" in client.get("/catalogue/base-a/").content.decode()


def test_the_audit_trail_is_for_editors_and_the_catalogue_team(login, world):
    client = login(world["editor_a"])
    assert client.post("/catalogue/base-a/v2/submit/").status_code == 302
    page = client.get("/catalogue/base-a/audit/")
    assert page.status_code == 200
    text = page.content.decode()
    assert 'data-action="catalogue.version_submitted"' in text and "edith" in text
    assert "Base B" not in text
    client = login(world["team"])
    assert client.get("/catalogue/base-a/audit/").status_code == 200
    client = login(world["nobody"])
    assert client.get("/catalogue/base-a/audit/").status_code == 403
    assert client.get("/catalogue/secret-b/audit/").status_code == 404


def test_the_overview_lists_the_editors_datasets(login, world):
    client = login(world["editor_b"])
    page = client.get("/catalogue/editing/").content.decode()
    assert "Base B secrète" in page and "Base B publique" in page and "Base A" not in page
    assert 'id="in-review"' not in page


# --- the demonstration catalogue ------------------------------------------------------------------


def test_import_demo_catalogue_publishes_oscour_and_rein_once(client):
    call_command("import_demo_catalogue")
    for slug, holder in (("oscour", "sante-publique-france"), ("rein", "agence-biomedecine")):
        version = DatasetVersion.objects.get(dataset__slug=slug)
        assert version.status == Status.PUBLISHED and version.published is not None
        assert version.dataset.holder.slug == holder
        assert version.tables.count() == 4
        assert client.get(f"/catalogue/{slug}/").status_code == 200
    ccmu = Nomenclature.objects.get(dataset__slug="oscour", name="ccmu")
    assert ccmu.codes.count() == 7
    assert events("catalogue.version_published", target_type="catalogue.DatasetVersion").count(
    ) >= 2
    before = counts()
    call_command("import_demo_catalogue")
    assert counts() == before


@pytest.mark.slow
def test_the_whole_snds_uploads_as_one_data_package(login, world):
    """A large, real upload: the 188 SNDS schemas as one package (1.6 MB, 4,815 fields, their
    foreign keys), into the SNDS dataset, whose code lists it names."""
    from pathlib import Path

    from hygie.snds.schemas import DATA_ROOT

    resources = []
    for path in sorted(Path(str(DATA_ROOT / "schemas")).rglob("*.json")):
        raw = json.loads(path.read_text(encoding="utf-8"))
        resources.append({"name": raw["name"], "path": f"{raw['name']}.csv", "schema": raw})
    data = json.dumps({"name": "schema-snds", "version": "next", "resources": resources}).encode()
    editor = login(world["team"])
    response = upload(editor, "snds", data, name="snds.json")
    assert response.status_code == 302, response.content[-2000:]
    new = DatasetVersion.objects.get(dataset__slug="snds", number=2)
    old = DatasetVersion.objects.get(dataset__slug="snds", number=1)
    assert new.tables.count() == old.tables.count() == 188
    assert Variable.objects.filter(table__version=new).count() == Variable.objects.filter(
        table__version=old).count()
    # The same description as the packaged import, but for the texts' trailing spaces, which an
    # upload trims, and the packaged import's documented corrections of the published schemas
    # (their C1 control characters repaired, the type deviations).
    from hygie.snds.schemas import DEVIATIONS, repair_text

    deviations = {(d.table, d.field): d.type for d in DEVIATIONS}
    changes = diff(spec_of(old), spec_of(new))
    assert changes.summary()["tables_added"] == changes.summary()["variables_removed"] == 0
    seen = set()
    for table in changes.tables_modified:
        assert not table.variables_added and not table.variables_removed
        for before, after in table.table_modified.values():
            assert str(before).strip() == repair_text(str(after))
        for variable, attrs in table.variables_modified.items():
            for attr, (before, after) in attrs.items():
                if (table.name, variable) in deviations and attr == "type":
                    assert before == deviations[table.name, variable]
                    seen.add((table.name, variable))
                    continue
                assert str(before).strip() == repair_text(str(after))
    assert seen == set(deviations)
    assert editor.get("/catalogue/snds/v2/changes/").status_code == 200


def test_wide_tables_are_described_a_page_at_a_time(login, world):
    wide = import_version(world["ds_a"], spec(*(VariableSpec(f"V{i:03d}") for i in range(150))))
    client = login(world["editor_a"])
    url = f"/catalogue/base-a/v{wide.number}/tables/VISITS/describe/"
    first = client.get(url)
    assert first.context["formset"].total_form_count() == 100
    second = client.get(url + "?page=2")
    assert [f.instance.name for f in second.context["formset"].forms][:2] == ["V100", "V101"]
    table = wide.tables.get()
    data = {"table-title_fr": table.title_fr, "table-title_en": "", "table-description_fr": "",
            "table-description_en": "", "var-TOTAL_FORMS": 50, "var-INITIAL_FORMS": 50,
            "var-MIN_NUM_FORMS": 0, "var-MAX_NUM_FORMS": 1000}
    for i, v in enumerate(table.variables.order_by("position")[100:]):
        data.update({f"var-{i}-id": v.pk, f"var-{i}-description_fr": "",
                     f"var-{i}-description_en": "Last one" if v.name == "V149" else ""})
    assert client.post(url + "?page=2", data).status_code == 302
    assert table.variables.get(name="V149").description_en == "Last one"
