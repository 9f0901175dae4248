"""Hostile input for the workspace's forms and addresses: no answer is a server error (5xx),
nothing lands outside the members' files, and nothing is written but a checked script (see
test_hostile_inputs for the attacks)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import given
from hypothesis import strategies as st

from hygie.web.workspaces.forms import SCRIPT_NAME
from hygie.web.workspaces.models import Run
from tests.web.helpers import login
from tests.web.test_feasibility import lake  # noqa: F401  (fixtures)
from tests.web.test_hostile_inputs import FEW, TEXT, no_server_error
from tests.web.test_workspace_pages import (  # noqa: F401  (fixtures)
    people,
    template,
    workspace,
    ws_settings,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(workspace: Any, people: dict[str, Any]) -> Any:  # noqa: F811
    return login(people["applicant"])


def _outside(workspace: Any) -> set[Path]:  # noqa: F811
    """What exists in the workspaces' folder, outside this workspace's files."""
    root = Path(workspace.layout.root).parent
    files = workspace.layout.files
    return {p for p in root.rglob("*") if not p.is_relative_to(files)}


@FEW
@given(name=TEXT, data=st.binary(max_size=3000))
def test_adding_a_script(workspace, member, name, data):  # noqa: F811
    before = _outside(workspace)
    upload = SimpleUploadedFile(name.replace("\x00", "")[:300] or "x", data)
    response = member.post(f"/workspaces/{workspace.pk}/files/add/", {"script": upload})
    no_server_error(response)
    assert _outside(workspace) == before
    for path in workspace.layout.files.iterdir():
        assert path.name == "outputs" or SCRIPT_NAME.fullmatch(path.name), path.name


@FEW
@given(script=TEXT, extra=st.dictionaries(st.sampled_from(["script", "next", "csrf"]), TEXT,
                                          max_size=3))
def test_running_refreshing_and_asking_for_a_link(workspace, member, script, extra):  # noqa: F811
    pk = workspace.pk
    no_server_error(member.post(f"/workspaces/{pk}/jobs/", {"script": script, **extra}))
    no_server_error(member.post(f"/workspaces/{pk}/refresh/", extra))
    no_server_error(member.post(f"/workspaces/{pk}/second-factor/", extra))
    assert not Run.objects.exists()  # no script in the files: nothing may run


@FEW
@given(name=TEXT, query=TEXT)
def test_addresses(workspace, member, name, query):  # noqa: F811
    pk = workspace.pk
    for path in (f"/workspaces/{pk}/tables/{quote(name, safe='')}/",
                 f"/workspaces/{pk}/jobs/{quote(name, safe='')}/",
                 f"/workspaces/{pk}/?page={quote(query, safe='')}",
                 f"/workspaces/{pk}/files/?{quote(query, safe='=&')}"):
        no_server_error(member.get(path))
