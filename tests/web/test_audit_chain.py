"""The stored audit trail as a hash chain (SQLite and PostgreSQL): record() chains each event,
the database refuses changes, `hygie audit verify` finds raw-SQL tampering by someone who got the
triggers out of the way, export and pruning keep the chain verifiable."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory
from django.utils import timezone
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from hygie.cli import app
from hygie.web.audit import trail, triggers
from hygie.web.audit.actions import Action
from hygie.web.audit.chain import Anchor, Problem, Report, verify_export
from hygie.web.audit.models import AuditCheckpoint, AuditEvent, AuditHead
from hygie.web.audit.record import record

pytestmark = pytest.mark.django_db


def log(n: int, **detail: object) -> list[AuditEvent]:
    return [record(Action.SEARCH_INDEX_REBUILT, None, rows=i, **detail) for i in range(n)]


def head() -> Anchor:
    found = trail.head()
    assert found is not None
    return found


def fault(report: Report) -> Problem:
    """The problem a report must have found."""
    assert report.problem is not None, report.summary()
    return report.problem


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["audit", *args])
    return result.exit_code, result.output


# --- tampering as a database owner would ----------------------------------------------------------


@contextmanager
def triggers_off() -> Iterator[None]:
    """Get the append-only triggers out of the way, as someone with the database owner's rights
    can (undone with the test's transaction)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # ALTER TABLE wants no pending checks
            for table in triggers.TABLES:
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' "
                           "AND name LIKE 'audit_%'")
            for (name,) in cursor.fetchall():
                cursor.execute(f"DROP TRIGGER {name}")
    yield


def sql(statement: str, params: list[object] | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def set_detail(seq: int, detail: dict) -> None:
    cast = "::jsonb" if connection.vendor == "postgresql" else ""
    sql(f"UPDATE audit_auditevent SET detail = %s{cast} WHERE seq = %s", [json.dumps(detail), seq])


CONTENT = ["at", "actor_id", "actor_name", "action", "target_type", "target_id", "target_repr",
           "detail", "ip"]


def swap_contents(a: int, b: int) -> None:
    rows = {row[0]: row[1:] for row in AuditEvent.objects.filter(seq__in=[a, b])
            .values_list("seq", *CONTENT)}
    for seq, other in ((a, b), (b, a)):
        values = list(rows[other])
        values[CONTENT.index("detail")] = json.dumps(values[CONTENT.index("detail")])
        cast = "::jsonb" if connection.vendor == "postgresql" else ""
        assignments = ", ".join(f"{c} = %s{cast if c == 'detail' else ''}" for c in CONTENT)
        sql(f"UPDATE audit_auditevent SET {assignments} WHERE seq = %s", [*values, seq])


def truncate(after: int) -> None:
    """Remove the entries after `after` and set the head back to it."""
    kept = AuditEvent.objects.get(seq=after).hash
    sql("DELETE FROM audit_auditevent WHERE seq > %s", [after])
    sql("UPDATE audit_audithead SET seq = %s, hash = %s", [after, kept])


# --- record() -------------------------------------------------------------------------------------


def test_each_event_is_the_next_entry_of_the_chain(make_user):
    alice = make_user("alice")
    request = RequestFactory().get("/", REMOTE_ADDR="2001:db8:0:0::1")
    request.user = alice
    before = head()
    first = record(Action.LOGIN, alice, request=request, how="password")
    second = record(Action.LOGOUT, None, actor=alice)
    assert (first.seq, first.prev_hash) == (before.seq + 1, before.hash)
    assert (second.seq, second.prev_hash) == (first.seq + 1, first.hash)
    assert head() == Anchor(second.seq, second.hash)
    stored = AuditEvent.objects.get(seq=first.seq)
    assert stored.actor_name == "alice" and stored.ip == "2001:db8::1"
    assert stored.entry().computed_hash() == stored.hash == first.hash
    # A rename later changes nothing in the chain (the username is kept as recorded).
    alice.username = "alice2"
    alice.save()
    assert trail.verify().intact


def test_a_rolled_back_event_gives_its_number_back():
    before = head()
    with pytest.raises(RuntimeError), transaction.atomic():
        record(Action.SEARCH_INDEX_REBUILT, None)
        raise RuntimeError
    assert head() == before
    assert record(Action.SEARCH_INDEX_REBUILT, None).seq == before.seq + 1
    assert trail.verify().intact


def test_an_event_whose_insert_fails_takes_no_number(monkeypatch):
    before = head()
    with pytest.raises(TypeError):
        record(Action.SEARCH_INDEX_REBUILT, None, bad={1, 2})  # not JSON: refused first

    def fail(*args: object, **kwargs: object) -> None:
        raise DatabaseError("disk full")

    monkeypatch.setattr(AuditEvent, "save", fail)
    # The caller's transaction cannot commit a number without its entry...
    with pytest.raises(DatabaseError), transaction.atomic():
        record(Action.SEARCH_INDEX_REBUILT, None)
    assert head() == before
    # ...and a caller that carries on from its own savepoint gets the number back.
    with transaction.atomic():
        with pytest.raises(DatabaseError), transaction.atomic():
            record(Action.SEARCH_INDEX_REBUILT, None)
        monkeypatch.undo()
        assert record(Action.SEARCH_INDEX_REBUILT, None).seq == before.seq + 1
    assert trail.verify().intact


def test_a_missing_head_row_starts_again_from_the_last_entry():
    """(A flushed test database: TRUNCATE fires no trigger.) The chain goes on unbroken."""
    last = log(2)[-1]
    with triggers_off():
        sql("DELETE FROM audit_audithead")
    assert fault(trail.verify()).kind == "head"
    assert record(Action.SEARCH_INDEX_REBUILT, None).prev_hash == last.hash
    assert trail.verify().intact


# Text as a request or the code can give: no NUL (jsonb refuses it), no lone surrogate.
text = st.characters(exclude_categories=["Cs"], exclude_characters="\x00")
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(text, max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.text(text, max_size=5), inner, max_size=3),
    max_leaves=10)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.text(text, min_size=1, max_size=6),
                       json_values, max_size=4))
def test_a_detail_hashes_the_same_after_the_database_round_trip(detail):
    """jsonb reorders keys and rewrites numbers; what is read back must hash as recorded."""
    event = record(Action.SEARCH_INDEX_REBUILT, None, **{"x": 1, **detail})
    stored = AuditEvent.objects.get(seq=event.seq)
    assert stored.entry().computed_hash() == event.hash


# --- the database refuses changes -----------------------------------------------------------------


def test_the_triggers_are_in_place():
    assert triggers.missing(connection) == []


@pytest.mark.parametrize("change", [
    lambda: AuditEvent.objects.filter(seq=head().seq).update(action="account.login"),
    lambda: AuditEvent.objects.filter(seq=head().seq).delete(),
    lambda: AuditHead.objects.update(seq=1),
    lambda: AuditHead.objects.all().delete(),
    lambda: sql("INSERT INTO audit_auditevent (seq, at, action, target_type, target_id, "
                "target_repr, detail, actor_name, prev_hash, hash) VALUES "
                "(%s, %s, 'a', '', '', '', '{}', '', %s, 'x')", [head().seq + 5, timezone.now(),
                                                              head().hash]),
    lambda: AuditCheckpoint.objects.create(upto_seq=head().seq, hash="0" * 64, removed=1,
                                           before=timezone.now(), at=timezone.now(), by="x"),
])
def test_the_database_refuses_changes_outside_the_chain(change):
    log(3)
    with pytest.raises(DatabaseError), transaction.atomic():
        change()
    assert trail.verify().intact


def test_the_model_refuses_changes():
    event = log(1)[0]
    with pytest.raises(ValueError):
        event.save()
    with pytest.raises(ValueError):
        event.delete()
    with pytest.raises(ValueError):
        AuditEvent(action="account.login").save()  # not through record()


# --- verify ---------------------------------------------------------------------------------------


def test_verify_passes_on_a_normal_log():
    log(12)
    code, output = cli("verify")
    assert code == 0, output
    count = AuditEvent.objects.count()
    assert output.strip() == f"{count:,} entries, chain intact, head {head()}"
    code, output = cli("head")
    assert (code, output.strip()) == (0, str(head()))


def test_an_entry_altered_by_raw_sql_is_found():
    events = log(6)
    with triggers_off():
        set_detail(events[2].seq, {"rows": 200})
    code, output = cli("verify")
    assert code == 1
    assert f"altered at seq {events[2].seq}: its content does not match its hash" in output


def test_a_deleted_entry_is_found():
    events = log(6)
    with triggers_off():
        sql("DELETE FROM audit_auditevent WHERE seq = %s", [events[3].seq])
    problem = fault(trail.verify())
    assert (problem.kind, problem.seq) == ("removed", events[3].seq)


def test_swapped_entries_are_found():
    events = log(6)
    with triggers_off():
        swap_contents(events[1].seq, events[4].seq)
    problem = fault(trail.verify())
    assert (problem.kind, problem.seq) == ("reordered", events[1].seq)
    assert f"content of entry {events[4].seq}" in problem.message


def test_a_truncated_tail_is_found_against_the_head():
    events = log(6)
    with triggers_off():
        sql("DELETE FROM audit_auditevent WHERE seq > %s", [events[3].seq])
    problem = fault(trail.verify())
    assert (problem.kind, problem.seq) == ("truncated", events[4].seq)


def test_a_truncation_that_rewrote_the_head_is_found_against_a_kept_head():
    events = log(6)
    kept = head()
    with triggers_off():
        truncate(events[2].seq)
    assert trail.verify().intact  # the database alone cannot tell
    code, output = cli("verify", "--expect-head", str(kept))
    assert code == 1 and f"truncated at seq {events[3].seq}" in output
    # A head kept before more entries were added is still fine on an intact chain.
    assert cli("verify", "--expect-head", str(Anchor(events[1].seq, events[1].hash)))[0] == 0


def test_a_rewritten_chain_is_found_against_a_kept_head():
    """Entry n replaced and every later hash recomputed, head included: self-consistent, but not
    the chain whose head the security officer kept."""
    events = log(5)
    kept = head()
    with triggers_off():
        truncate(events[1].seq)
    log(4, forged=True)  # record() itself rebuilds a consistent chain from there
    assert trail.verify().intact and head().seq > kept.seq
    problem = fault(trail.verify(kept))
    assert (problem.kind, problem.seq) == ("head", kept.seq)


def test_a_wrong_expected_head_is_a_usage_error():
    assert cli("verify", "--expect-head", "12:abc")[0] == 2


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.integers(2, 8), data=st.data())
def test_any_single_raw_sql_tampering_fails_verify(n, data):
    class Undo(Exception):
        pass

    with pytest.raises(Undo), transaction.atomic():
        events = log(n)
        kept = head()
        seqs = [e.seq for e in events]
        target = data.draw(st.sampled_from(seqs))
        kind = data.draw(st.sampled_from(["detail", "action", "actor", "at", "delete", "swap",
                                          "truncate"]))
        with triggers_off():
            if kind == "detail":
                set_detail(target, {"rows": -1})
            elif kind == "action":
                sql("UPDATE audit_auditevent SET action = 'account.login' WHERE seq = %s",
                    [target])
            elif kind == "actor":
                sql("UPDATE audit_auditevent SET actor_name = 'mallory' WHERE seq = %s", [target])
            elif kind == "at":
                sql("UPDATE audit_auditevent SET at = %s WHERE seq = %s",
                    [timezone.now() - timedelta(days=3), target])
            elif kind == "delete":
                sql("DELETE FROM audit_auditevent WHERE seq = %s", [target])
            elif kind == "swap":
                other = data.draw(st.sampled_from(seqs))
                assume(other != target)
                swap_contents(target, other)
            else:
                assume(target < kept.seq)
                truncate(target)
        assert not trail.verify(kept).intact
        raise Undo


# --- export ---------------------------------------------------------------------------------------


def test_a_jsonl_export_verifies_on_its_own(tmp_path):
    log(5)
    out = tmp_path / "export.jsonl"
    assert cli("export", "--format", "jsonl", "--out", str(out))[0] == 0
    exported = out.read_text().splitlines()
    assert len(exported) == AuditEvent.objects.count() - 1  # its own record comes after
    assert json.loads(exported[-1])["seq"] == head().seq - 1
    assert AuditEvent.objects.get(seq=head().seq).action == "audit.exported"
    code, output = cli("verify", "--file", str(out))
    assert code == 0 and "chain intact" in output
    lines = out.read_text().splitlines(keepends=True)
    assert '"rows":4' in lines[-1]
    lines[-1] = lines[-1].replace('"rows":4', '"rows":5')
    out.write_text("".join(lines))
    code, output = cli("verify", "--file", str(out))
    assert code == 1 and "altered at seq" in output


def test_an_export_of_a_period_is_a_run_of_numbers():
    old = log(3)
    tomorrow = timezone.localdate() + timedelta(days=1)
    assert list(trail.export_entries(tomorrow, None)) == []
    assert [e.seq for e in trail.export_entries(None, tomorrow)][-3:] == [e.seq for e in old]
    today = list(trail.export_entries(timezone.localdate(), timezone.localdate()))
    assert today[-1].seq == old[-1].seq
    assert [e.seq for e in today] == list(range(today[0].seq, today[-1].seq + 1))


def test_the_page_download_is_recorded_and_neutralises_formulas(make_user, signed_in):
    dpo = make_user("dpo", role="dpo", totp=True)
    formula = make_user("=HYPERLINK(1)")
    record(Action.ADMIN_CHANGE, formula, actor=make_user("@mallory"))
    client = signed_in(dpo)
    assert b'action="/audit/export"' in client.get("/audit/").content
    response = client.get("/audit/export", {"format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode()
    assert "'=HYPERLINK(1)" in body and ",'@mallory," in body
    assert ",=HYPERLINK" not in body and ",@mallory," not in body
    exported = AuditEvent.objects.filter(action="audit.exported").latest("seq")
    assert exported.actor == dpo and exported.detail["format"] == "csv"

    jsonl = client.get("/audit/export", {"format": "jsonl",
                                         "since": timezone.localdate().isoformat()})
    lines = b"".join(jsonl.streaming_content).decode().splitlines(keepends=True)
    assert verify_export(lambda: iter(lines)).intact and len(lines) >= 3


def test_only_readers_of_the_trail_download_it(make_user, signed_in, client):
    assert client.get("/audit/export", {"format": "csv"}).status_code == 302  # to sign in
    signed_in(make_user("someone"))
    before = AuditEvent.objects.filter(action="audit.exported").count()
    assert client.get("/audit/export", {"format": "csv"}).status_code == 403
    assert AuditEvent.objects.filter(action="audit.exported").count() == before


@pytest.mark.parametrize("query", [{"format": "xlsx"}, {"format": "csv", "since": "yesterday"},
                                   {"format": "csv", "since": "2026-02-02",
                                    "until": "2026-02-01"}])
def test_a_wrong_download_request_is_refused(make_user, signed_in, query):
    client = signed_in(make_user("dpo", role="dpo", totp=True))
    assert client.get("/audit/export", query).status_code == 400
    assert client.post("/audit/export", {"format": "csv"}).status_code == 405


@pytest.mark.parametrize("query", [
    {"format": "csv", "since": "2026-01-01\x00"}, {"format": "csv\x00"},
    {"format": "jsonl", "until": "9" * 5000}, {"format": ["csv", "jsonl"], "since": "-1"},
    {"format": "csv", "since": "0000-00-00"}, {"format": "csv", "until": "9999-12-31"},
])
def test_hostile_download_queries_are_answered_without_a_server_error(make_user, signed_in,
                                                                      query):
    client = signed_in(make_user("dpo", role="dpo", totp=True))
    response = client.get("/audit/export", query)
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        b"".join(response.streaming_content)


# --- retention and pruning ------------------------------------------------------------------------


def test_a_retention_under_a_year_stops_start_up(monkeypatch):
    from django.apps import apps

    from hygie.web.audit.retention import retention_days

    assert retention_days() == 400
    monkeypatch.setenv("HYGIE_AUDIT_RETENTION_DAYS", "364")
    with pytest.raises(ImproperlyConfigured, match="HYGIE_AUDIT_RETENTION_DAYS"):
        apps.get_app_config("audit").ready()
    monkeypatch.setenv("HYGIE_AUDIT_RETENTION_DAYS", "365")
    apps.get_app_config("audit").ready()


def test_pruning_keeps_the_chain_verifiable():
    old = log(4)
    cut = timezone.now()
    recent = log(3)
    done = trail.prune(400, "officer", now=cut + timedelta(days=400))
    assert done is not None
    mark = done.checkpoint
    assert (mark.upto_seq, mark.hash) == (old[-1].seq, old[-1].hash)
    assert mark.removed >= 4 and mark.by == "officer"
    assert not AuditEvent.objects.filter(seq__lte=old[-1].seq).exists()
    assert AuditEvent.objects.filter(seq__in=[e.seq for e in recent]).count() == 3
    assert done.event.action == "audit.pruned" and done.event.detail["upto_seq"] == mark.upto_seq
    report = trail.verify()
    assert report.intact and report.start == Anchor(mark.upto_seq, mark.hash)
    code, output = cli("verify")
    assert code == 0 and f"from the checkpoint at seq {mark.upto_seq}" in output
    # Entries after the checkpoint are as protected as ever.
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(seq=recent[0].seq).delete()
    # Nothing is old enough a second time.
    assert trail.prune(400, "officer", now=cut + timedelta(days=400)) is None


def test_pruning_everything_leaves_the_pruning_entry():
    log(2)
    done = trail.prune(400, "officer", now=timezone.now() + timedelta(days=401))
    assert done is not None
    assert list(AuditEvent.objects.values_list("seq", flat=True)) == [done.event.seq]
    assert trail.verify().intact


def test_prune_command(monkeypatch):
    log(2)
    code, output = cli("prune")  # nothing older than 400 days
    assert code == 0 and "Nothing to prune" in output
    later = timezone.now() + timedelta(days=500)
    monkeypatch.setattr(timezone, "now", lambda: later)
    code, output = cli("prune", "--by", "officer")
    assert code == 0 and "Removed" in output
    assert AuditCheckpoint.objects.get().by == "officer"


def test_a_broken_chain_is_not_pruned():
    events = log(3)
    with triggers_off():
        set_detail(events[0].seq, {"rows": 5})
    with pytest.raises(trail.ChainBroken):
        trail.prune(400, "officer", now=timezone.now() + timedelta(days=401))
    assert AuditEvent.objects.filter(seq=events[0].seq).exists()
    assert not AuditCheckpoint.objects.exists()


def test_a_forged_checkpoint_is_found():
    """Old entries erased under a checkpoint that no recorded pruning names."""
    events = log(4)
    with triggers_off():
        AuditCheckpoint.objects.create(upto_seq=events[1].seq, hash=events[1].hash, removed=9,
                                       before=timezone.now(), at=timezone.now(), by="mallory")
        sql("DELETE FROM audit_auditevent WHERE seq <= %s", [events[1].seq])
    problem = fault(trail.verify())
    assert (problem.kind, problem.seq) == ("checkpoint", events[1].seq)
