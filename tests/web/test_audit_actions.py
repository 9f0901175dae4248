"""Audit actions are `Action` members: `record` refuses free strings, and the values (what the
rows hold and the audit page filters on) are distinct."""

from __future__ import annotations

import re

import pytest

from hygie.web.audit.actions import Action
from hygie.web.audit.models import AuditEvent
from hygie.web.audit.record import record

pytestmark = pytest.mark.django_db


def test_record_refuses_a_plain_string():
    before = AuditEvent.objects.count()
    with pytest.raises(TypeError):
        record("account.login")
    with pytest.raises(TypeError):
        record(str(Action.LOGIN))  # the same text, but not the member
    assert AuditEvent.objects.count() == before


def test_record_stores_the_value_of_the_action():
    event = record(Action.SEARCH_INDEX_REBUILT, None, rows=3)
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.action == "search.index_rebuilt" and stored.detail == {"rows": 3}
    assert AuditEvent.objects.filter(action=Action.SEARCH_INDEX_REBUILT, pk=event.pk).exists()


def test_every_action_value_is_unique_and_shaped_area_dot_name():
    values = [member.value for member in Action.__members__.values()]  # aliases included
    assert len(values) == len(set(values))
    assert all(re.fullmatch(r"[a-z]+\.[a-z_]+", value) for value in values), values


def test_the_audit_page_offers_every_action(make_user, signed_in):
    dpo = make_user("dpo", role="dpo", totp=True)
    form = signed_in(dpo).get("/audit/").context["form"]
    offered = [value for value, _label in form.fields["action"].choices if value]
    assert sorted(offered) == sorted(Action)
