"""Hostile input for the airlock's forms: no page answers a server error (5xx), whatever a member
or a checker posts (see test_hostile_inputs for the attacks), nothing is accepted that should not
be, and no POST goes through without its CSRF token. Files whose names or contents are hostile
are checked like any other."""

from __future__ import annotations

import pytest
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from hygie.web.airlock.models import ReleaseRequest, Review, Status
from tests.web import test_airlock_flow as base
from tests.web.helpers import login
from tests.web.test_airlock_flow import CLEAN, SEVEN, latest, new_request, write
from tests.web.test_hostile_inputs import ATTACKS, FEW, TEXT, no_server_error

pytestmark = pytest.mark.django_db

# The fixtures of test_airlock_flow: people, a project's workspace.
airlock_settings, fast_passwords = base.airlock_settings, base.fast_passwords
people, workspace = base.people, base.workspace

FILE_FIELDS = st.dictionaries(st.sampled_from(["file", "counts", "keys", "sidecar"]), TEXT,
                              max_size=4)
MANAGEMENT = st.sampled_from(["", "5", "0", "-1", "6", "1000000", "9" * 5000, "x", "\x00"])


@pytest.fixture
def arranged(workspace, people):
    write(workspace, "t.csv", CLEAN)
    write(workspace, "seven.csv", SEVEN)
    author, checker = login(people["author"]), login(people["checker1"])
    assert new_request(author, workspace, [{"file": "seven.csv"}]).status_code == 302
    return {"author": author, "checker": checker, "workspace": workspace,
            "release": latest()}


@FEW
@given(title=TEXT, purpose=TEXT, rows=st.lists(FILE_FIELDS, max_size=6), total=MANAGEMENT)
def test_the_request_form(arranged, title, purpose, rows, total):
    data = {"title": title, "purpose": purpose, "files-TOTAL_FORMS": total,
            "files-INITIAL_FORMS": "0"}
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"files-{i}-{key}"] = value
    before = ReleaseRequest.objects.count()
    response = arranged["author"].post(f"/airlock/workspace/{arranged['workspace'].pk}/new/",
                                       data)
    no_server_error(response)
    if response.status_code == 302:  # accepted: only offered files, a one-line title
        release = latest()
        assert {f.name for f in release.files.all()} <= {"t.csv", "seven.csv"}
        assert "\n" not in release.title
    else:
        assert ReleaseRequest.objects.count() == before


@FEW
@given(decision=TEXT, comment=TEXT)
def test_the_review_form(arranged, decision, comment):
    release = arranged["release"]
    response = arranged["checker"].post(f"/airlock/{release.pk}/review/",
                                        {"decision": decision, "comment": comment})
    no_server_error(response)
    # The file holds a count of 7: nothing approves it, whatever is posted.
    assert not Review.objects.filter(request=release, decision="approve").exists()
    release.refresh_from_db()
    assert release.status != Status.APPROVED


@FEW
@given(rows=st.lists(FILE_FIELDS, max_size=6), total=MANAGEMENT)
def test_the_replacement_form(arranged, rows, total):
    release = arranged["release"]
    ReleaseRequest.objects.filter(pk=release.pk).update(status=Status.CHANGES)
    data = {"files-TOTAL_FORMS": total, "files-INITIAL_FORMS": "0"}
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"files-{i}-{key}"] = value
    no_server_error(arranged["author"].post(f"/airlock/{release.pk}/replace/", data))


@pytest.mark.parametrize("attack", ATTACKS[:12])
def test_known_attacks_on_every_field(arranged, attack):
    release, pk = arranged["release"], arranged["workspace"].pk
    for data in ({"title": attack, "purpose": attack, "files-TOTAL_FORMS": "5",
                  "files-INITIAL_FORMS": "0", "files-0-file": "t.csv", "files-0-counts": attack,
                  "files-0-keys": attack, "files-0-sidecar": attack},
                 {"title": "T", "purpose": "P", "files-TOTAL_FORMS": "5",
                  "files-INITIAL_FORMS": "0", "files-0-file": attack}):
        no_server_error(arranged["author"].post(f"/airlock/workspace/{pk}/new/", data))
    no_server_error(arranged["checker"].post(f"/airlock/{release.pk}/review/",
                                             {"decision": "reject", "comment": attack}))
    for path in (f"/airlock/{release.pk}/?x={attack[:100]}", "/airlock/queue/?page=" + attack[:50]):
        no_server_error(arranged["checker"].get(path))


def test_hostile_file_names_and_contents_are_checked_not_trusted(arranged, people):
    workspace, author = arranged["workspace"], arranged["author"]
    write(workspace, 'quote"name.csv', CLEAN)
    write(workspace, "é🩺 ü.csv", CLEAN)
    write(workspace, "fake.png", CLEAN)  # a table named as a picture
    write(workspace, "page.html", '<p>ok</p><script>fetch("https://evil.example")</script>')
    write(workspace, "bad.csv", b"\xff\xfe\x00binary")
    for name in ('quote"name.csv', "é🩺 ü.csv", "fake.png", "page.html", "bad.csv"):
        response = new_request(author, workspace, [{"file": name}])
        assert response.status_code == 302, (name, response.content[:2000])
        (file,) = latest().files.all()
        if name in ("fake.png", "page.html", "bad.csv"):
            assert file.blocking, name
        page = author.get(f"/airlock/{latest().pk}/").content.decode()
        assert "<script>fetch" not in page
    # A name with a quote or non-ASCII letters is a safe download name.
    release = ReleaseRequest.objects.get(files__name='quote"name.csv')
    (file,) = release.files.all()
    checker = login(people["checker2"])
    got = checker.get(f"/airlock/{release.pk}/files/{file.pk}/")
    assert got.status_code == 200 and "\n" not in got["Content-Disposition"]
    assert got["Content-Disposition"].startswith("attachment;")
    # A picture that is not one is served as an attachment that runs nothing anyway.
    release = ReleaseRequest.objects.get(files__name="page.html")
    (file,) = release.files.all()
    got = checker.get(f"/airlock/{release.pk}/files/{file.pk}/")
    assert got["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert got["Content-Disposition"].startswith("attachment;")


def test_no_post_without_its_csrf_token(arranged, people):
    workspace, release = arranged["workspace"], arranged["release"]
    signed_in = {"author": arranged["author"], "checker2": login(people["checker2"])}
    for who, path, data in (
            ("author", f"/airlock/workspace/{workspace.pk}/new/",
             {"title": "T", "purpose": "P", "files-TOTAL_FORMS": "5",
              "files-INITIAL_FORMS": "0", "files-0-file": "t.csv"}),
            ("checker2", f"/airlock/{release.pk}/review/",
             {"decision": "changes", "comment": "No."})):
        client = Client(enforce_csrf_checks=True)
        client.cookies = signed_in[who].cookies  # signed in, second factor passed
        assert client.post(path, data).status_code == 403
    assert ReleaseRequest.objects.count() == 1 and not Review.objects.exists()
