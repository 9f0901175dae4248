"""Hostile input for the objection pages: no answer is a server error (5xx), whatever the public
forms (object, follow, withdraw) and the data protection officer's decision forms receive; and
nothing an attacker sends ends up recorded unless it is a valid request (see test_hostile_inputs
for the attacks)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from hygie.web.objections.models import ObjectionRequest, State
from tests.web.helpers import login
from tests.web.test_hostile_inputs import FEW, TEXT, no_server_error
from tests.web.test_objections import SECRET_HEX, objection_data, person

pytestmark = pytest.mark.django_db

OBJECTION = st.dictionaries(st.sampled_from([
    "family_name", "given_names", "birth_date", "sex", "nir", "email", "confirm"]), TEXT,
    max_size=7)
FOLLOW = st.dictionaries(st.sampled_from(["receipt", "birth_date", "nir", "email", "confirm"]),
                         TEXT, max_size=5)


@pytest.fixture
def hostile_env(monkeypatch: pytest.MonkeyPatch, settings: Any, tmp_path: Any,
                synthetic: Any) -> Any:
    from hygie.web.catalogue.models import DatasetVersion, Status

    monkeypatch.setenv("HYGIE_PSEUDO_SECRET", SECRET_HEX)
    settings.HYGIE_OPPOSITION_REGISTER = tmp_path / "oppositions.parquet"
    settings.HYGIE_OBJECTION_LIMITS = {"object": 10**6, "follow": 10**6, "withdraw": 10**6}
    DatasetVersion.objects.filter(dataset__slug="snds", status=Status.PUBLISHED).update(
        lake_path=str(synthetic[0].path))
    return settings


@pytest.fixture(scope="module")
def people(synthetic: Any) -> list[dict[str, Any]]:
    return synthetic[0].arrow("IR_BEN_R").to_pylist()


@FEW
@given(fields=OBJECTION, valid=st.booleans())
def test_the_objection_form(hostile_env, people, fields, valid):
    base = objection_data(person(people)) if valid else {}
    before = ObjectionRequest.objects.count()
    response = Client().post("/objection/object/", {**base, **fields})
    no_server_error(response)
    if response.status_code != 302:
        assert ObjectionRequest.objects.count() == before


@FEW
@given(fields=FOLLOW)
def test_following_and_withdrawing(hostile_env, fields):
    visitor = Client()
    no_server_error(visitor.post("/objection/follow/", fields))
    no_server_error(visitor.post("/objection/withdraw/", fields))
    no_server_error(visitor.get("/objection/receipt/", fields))
    assert not ObjectionRequest.objects.exists()


@pytest.fixture
def dpo(hostile_env: Any, make_user: Any) -> Client:
    return login(make_user("dpo", role="dpo", totp=True))


@FEW
@given(person_token=TEXT, reason=TEXT, text=TEXT, pk=st.one_of(TEXT, st.integers()))
def test_the_decision_forms(hostile_env, people, dpo, person_token, reason, text, pk):
    assert Client().post("/objection/object/", objection_data(person(people))).status_code == 302
    item = ObjectionRequest.objects.latest("id")
    for action in ("accept", "reject"):
        no_server_error(dpo.post(f"/objection/desk/{item.pk}/{action}/",
                                 {"person": person_token, "reason": reason, "text": text}))
    no_server_error(dpo.get(f"/objection/desk/{item.pk}/", {"page": text}))
    safe = "".join(c for c in str(pk) if c.isascii() and c.isalnum())[:20] or "0"
    no_server_error(dpo.get(f"/objection/desk/{safe}/"))
    item.refresh_from_db()
    # A forged person is never accepted; a rejection needs a listed reason (and text if "other").
    assert item.state in (State.RECEIVED, State.REJECTED)
