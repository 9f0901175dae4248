"""Citizens' objections on the web: the public forms (checks, receipt, follow, withdraw, limits),
the data protection officer's decision (register written, identity erased, news sent), who may
see what, and the audit trail. The directory is the synthetic SNDS attached to the published
SNDS version, as on a newcomer's site."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from hygie.pseudo.directory import Identity, synthetic_nir, with_key
from hygie.pseudo.keys import Secret
from hygie.pseudo.oppositions import OppositionRegister, opposition_hash
from hygie.web.audit.models import AuditEvent
from hygie.web.catalogue.models import DatasetVersion, Status
from hygie.web.objections import services
from hygie.web.objections.models import Kind, ObjectionRequest, State
from tests.web.helpers import login, run_jobs

pytestmark = pytest.mark.django_db

SECRET_HEX = "ab" * 32
SECRET = Secret(bytes.fromhex(SECRET_HEX))
RECEIPT = re.compile(r"OPP-[2-9A-HJKMNP-Z]{12}")


# --- fixtures and helpers ------------------------------------------------------------------------

@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, settings: Any, tmp_path: Any, synthetic: Any) -> Any:
    """The secret set, a register of the test's own, and the synthetic SNDS as the published
    version's data (what `lookup.directory` searches)."""
    monkeypatch.setenv("HYGIE_PSEUDO_SECRET", SECRET_HEX)
    monkeypatch.delenv("HYGIE_PSEUDO_SECRET_FILE", raising=False)
    settings.HYGIE_OPPOSITION_REGISTER = tmp_path / "register" / "oppositions.parquet"
    DatasetVersion.objects.filter(dataset__slug="snds", status=Status.PUBLISHED).update(
        lake_path=str(synthetic[0].path))
    return settings


@pytest.fixture(scope="module")
def people(synthetic: Any) -> list[dict[str, Any]]:
    return synthetic[0].arrow("IR_BEN_R").to_pylist()


def person(people: list[dict[str, Any]], index: int = 0) -> dict[str, Any]:
    """The `index`-th person with one IR_BEN_R row whose department is a plain one."""
    counts: dict[str, int] = {}
    for row in people:
        counts[row["BEN_NIR_ANO"]] = counts.get(row["BEN_NIR_ANO"], 0) + 1
    plain = [r for r in people if counts[r["BEN_NIR_ANO"]] == 1 and r["BEN_RES_DPT"][0] == "0"]
    return plain[index]


def birth_of(row: dict[str, Any]) -> dt.date:
    return dt.date(row["BEN_NAI_ANN"], int(row["BEN_NAI_MOI"]), 12)


def objection_data(row: dict[str, Any], **over: str) -> dict[str, str]:
    data = {"family_name": "Martin", "given_names": "Claire Anne",
            "birth_date": birth_of(row).isoformat(), "sex": str(row["BEN_SEX_COD"]),
            "email": "", "confirm": "on", **over}
    return {"nir": data.get("nir") or synthetic_nir(row), **data}


def receipt_in(page: str) -> str:
    found = RECEIPT.search(page)
    assert found is not None, page[:3000]
    return found.group(0)


def file(client: Client, row: dict[str, Any], **over: str) -> str:
    response = client.post("/objection/object/", objection_data(row, **over))
    assert response.status_code == 302, response.content.decode()[:3000]
    page = client.get(response["Location"]).content.decode()
    return receipt_in(page)


def follow(client: Client, receipt: str, birth: dt.date) -> str:
    response = client.post("/objection/follow/", {"receipt": receipt,
                                                  "birth_date": birth.isoformat()})
    assert response.status_code == 200
    return response.content.decode()


def without_csrf(html: str) -> str:
    """A page without what changes on every response (the form's token, the scripts' nonce)."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    return re.sub(r'nonce="[^"]+"', "", html)


def citizen() -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def dpo(make_user: Any) -> Client:
    return login(make_user("dpo", role="dpo", totp=True, first_name="Dana", last_name="Po"))


def tokens_on(client: Client, item: ObjectionRequest) -> list[str]:
    page = client.get(f"/objection/desk/{item.pk}/").content.decode()
    return re.findall(r'name="person" value="([^"]+)"', page)


def accept(client: Client, item: ObjectionRequest) -> Any:
    (token,) = tokens_on(client, item)
    return client.post(f"/objection/desk/{item.pk}/accept/", {"person": token})


def register(settings: Any) -> OppositionRegister:
    return OppositionRegister(settings.HYGIE_OPPOSITION_REGISTER)


# --- the citizen's forms ---------------------------------------------------------------------------

def test_the_public_pages_open_without_an_account_and_are_not_cached(env):
    for url in ("/objection/", "/objection/object/", "/objection/follow/",
                "/objection/withdraw/"):
        response = citizen().get(url)
        assert response.status_code == 200, url
        assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


@pytest.mark.parametrize(("change", "message"), [
    ({"nir": "bad key"}, "The key"),
    ({"nir": "month"}, "month of birth"),
    ({"nir": "year"}, "year of birth"),
    ({"sex": "other"}, "first digit"),
    ({"nir": "short"}, "13 characters"),
])
def test_the_form_refuses_details_that_cannot_be_a_person(env, people, change, message):
    row = person(people)
    nir, birth = synthetic_nir(row), birth_of(row)
    data = objection_data(row)
    if change.get("nir") == "bad key":
        data["nir"] = nir[:13] + f"{(int(nir[13:]) % 97) + 1:02d}"
    elif change.get("nir") == "month":  # a valid number, but of another month
        data["birth_date"] = birth.replace(month=birth.month % 12 + 1).isoformat()
    elif change.get("nir") == "year":
        data["birth_date"] = birth.replace(year=birth.year - 1).isoformat()
    elif change.get("nir") == "short":
        data["nir"] = nir[:12]
    else:
        data["sex"] = "1" if row["BEN_SEX_COD"] == 2 else "2"
    response = citizen().post("/objection/object/", data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ObjectionRequest.objects.exists()


def test_a_confirmation_and_bounded_fields_are_required(env, people):
    row = person(people)
    for data in (objection_data(row, confirm=""), objection_data(row, family_name="x" * 101),
                 objection_data(row, given_names="a\nb"), objection_data(row, email="not mail"),
                 objection_data(row, birth_date="1850-01-01")):
        assert citizen().post("/objection/object/", data).status_code == 200
    assert not ObjectionRequest.objects.exists()


def test_filing_gives_a_receipt_shown_once(env, people):
    row = person(people)
    client = citizen()
    response = client.post("/objection/object/", objection_data(row, nir=" ".join(
        synthetic_nir(row)[i:i + 3] for i in range(0, 15, 3))))
    assert response.status_code == 302
    page = client.get("/objection/receipt/").content.decode()
    receipt = receipt_in(page)
    assert RECEIPT.search(client.get("/objection/receipt/").content.decode()) is None
    item = ObjectionRequest.objects.get()
    assert (item.receipt, item.kind, item.state) == (receipt, Kind.OBJECTION, State.RECEIVED)
    assert item.nir == synthetic_nir(row) and item.family_name == "Martin"
    event = AuditEvent.objects.get(action="objection.received")
    assert event.detail == {"receipt": receipt} and event.target_repr == receipt
    assert "Follow my request" in page


def test_follow_answers_the_same_not_found_whatever_the_cause(env, people):
    row = person(people)
    receipt = file(citizen(), row)
    birth = birth_of(row)
    answers = {
        "unknown receipt": follow(citizen(), "OPP-" + "2" * 12, birth),
        "wrong birth date": follow(citizen(), receipt, birth - dt.timedelta(days=1)),
        "impossible receipt": follow(citizen(), "OPP-0000", birth),
    }
    pages = {without_csrf(page) for page in answers.values()}
    assert len(pages) == 1
    assert "No request matches" in pages.pop()
    found = follow(citizen(), receipt.lower().replace("opp-", "opp "), birth)
    assert 'data-state="received"' in found


def test_the_dpo_accepts_the_register_holds_the_person_and_identity_is_erased(
        env, people, dpo, django_capture_on_commit_callbacks):
    row = person(people)
    receipt = file(citizen(), row, email="claire@example.org")
    item = ObjectionRequest.objects.get(receipt=receipt)
    desk = dpo.get("/objection/desk/").content.decode()
    assert receipt in desk
    screen = dpo.get(f"/objection/desk/{item.pk}/").content.decode()
    assert "Martin" in screen and "the whole number" in screen
    with django_capture_on_commit_callbacks(execute=True):
        response = accept(dpo, item)
    assert response.status_code == 302
    assert set(register(env).table().column("OPPOSITION_HASH").to_pylist()) == {
        opposition_hash(SECRET, row["BEN_NIR_ANO"])}
    item.refresh_from_db()
    assert item.state == State.ACCEPTED and item.decided_by.username == "dpo"
    assert (item.nir, item.birth_date, item.sex, item.family_name, item.given_names) == (
        "", None, None, "", "")
    assert item.erased_at is not None and item.nir_digest and item.follow_digest
    assert item.email == "claire@example.org"  # until the news is sent
    assert 'data-state="accepted"' in follow(citizen(), receipt, birth_of(row))
    # The news goes out, and the address goes with it.
    assert run_jobs("mail") == 1
    (message,) = mail.outbox
    assert message.to == ["claire@example.org"] and receipt in message.body
    assert "/objection/follow/" in message.body and "Martin" not in message.body
    item.refresh_from_db()
    assert item.email == ""
    # Nothing of the identity in the audit trail: receipts only.
    events = AuditEvent.objects.filter(action__startswith="objection.")
    assert sorted(e.action for e in events) == ["objection.accepted", "objection.received"]
    for event in events:
        text = f"{event.detail} {event.target_repr}"
        assert synthetic_nir(row) not in text and "Martin" not in text and "claire" not in text


def test_a_withdrawal_applies_to_later_authorisations_only(env, people, dpo):
    row = person(people)
    birth = birth_of(row)
    receipt = file(citizen(), row)
    accept(dpo, ObjectionRequest.objects.get(receipt=receipt))
    client = citizen()
    response = client.post("/objection/withdraw/", {
        "receipt": receipt, "birth_date": birth.isoformat(), "nir": synthetic_nir(row),
        "email": "", "confirm": "on"})
    assert response.status_code == 200 and receipt in response.content.decode()
    withdrawal = ObjectionRequest.objects.get(kind=Kind.WITHDRAWAL)
    assert withdrawal.objection.receipt == receipt
    assert "withdrawal" in follow(citizen(), receipt, birth)  # being examined
    screen = dpo.get(f"/objection/desk/{withdrawal.pk}/").content.decode()
    assert "The number is the one of the objection." in screen
    assert accept(dpo, withdrawal).status_code == 302
    today = timezone.localdate()
    reg = register(env)
    mine = opposition_hash(SECRET, row["BEN_NIR_ANO"])
    assert mine not in reg.table(today).column("OPPOSITION_HASH").to_pylist()
    assert mine not in reg.table().column("OPPOSITION_HASH").to_pylist()
    assert mine in reg.table(today - dt.timedelta(days=1)).column("OPPOSITION_HASH").to_pylist()
    assert 'data-state="withdrawn"' in follow(citizen(), receipt, birth)
    withdrawal.refresh_from_db()
    assert withdrawal.state == State.ACCEPTED and withdrawal.nir == ""
    assert AuditEvent.objects.filter(action="objection.withdrawn").count() == 1
    # Objecting again puts the objection back in force for everyone.
    again = file(citizen(), row)
    accept(dpo, ObjectionRequest.objects.get(receipt=again))
    assert mine in reg.table(today).column("OPPOSITION_HASH").to_pylist()


def test_a_withdrawal_from_another_number_cannot_be_accepted(env, people, dpo):
    row = person(people)
    birth = birth_of(row)
    receipt = file(citizen(), row)
    accept(dpo, ObjectionRequest.objects.get(receipt=receipt))
    # Someone else of the same sex, year and month of birth, who objected too, tries to
    # withdraw it with their own number: it would withdraw their own objection.
    other = next(r for r in people if r["BEN_NIR_ANO"] != row["BEN_NIR_ANO"] and (
        r["BEN_SEX_COD"], r["BEN_NAI_ANN"], r["BEN_NAI_MOI"]) == (
        row["BEN_SEX_COD"], row["BEN_NAI_ANN"], row["BEN_NAI_MOI"]))
    accept(dpo, ObjectionRequest.objects.get(receipt=file(citizen(), other)))
    citizen().post("/objection/withdraw/", {
        "receipt": receipt, "birth_date": birth.isoformat(), "nir": synthetic_nir(other),
        "confirm": "on"})
    withdrawal = ObjectionRequest.objects.get(kind=Kind.WITHDRAWAL)
    screen = dpo.get(f"/objection/desk/{withdrawal.pk}/").content.decode()
    assert "The number is not the one of the objection." in screen
    (token,) = tokens_on(dpo, withdrawal)  # the other person, whose objection is in force
    dpo.post(f"/objection/desk/{withdrawal.pk}/accept/", {"person": token})
    withdrawal.refresh_from_db()
    assert withdrawal.state == State.RECEIVED
    in_force = register(env).table().column("OPPOSITION_HASH").to_pylist()
    assert {opposition_hash(SECRET, p["BEN_NIR_ANO"]) for p in (row, other)} <= set(in_force)


def test_withdrawing_needs_the_receipt_birth_date_and_an_accepted_objection(env, people, dpo):
    row = person(people)
    birth, nir = birth_of(row), synthetic_nir(row)
    receipt = file(citizen(), row)

    def withdraw(**over: str) -> str:
        data = {"receipt": receipt, "birth_date": birth.isoformat(), "nir": nir,
                "confirm": "on", **over}
        return citizen().post("/objection/withdraw/", data).content.decode()

    assert "still being examined" in withdraw()
    assert "No request matches" in withdraw(birth_date=(birth - dt.timedelta(days=3)).isoformat())
    assert "No request matches" in withdraw(receipt="OPP-" + "3" * 12)
    accept(dpo, ObjectionRequest.objects.get(receipt=receipt))
    assert "recorded" in withdraw()
    assert "already being examined" in withdraw()
    assert ObjectionRequest.objects.filter(kind=Kind.WITHDRAWAL).count() == 1


def test_the_dpo_rejects_with_a_reason_the_citizen_reads(env, dpo):
    nir = with_key("2011075123456")
    receipt = file(citizen(), {"BEN_NAI_ANN": 2001, "BEN_NAI_MOI": "10", "BEN_SEX_COD": 2},
                   nir=nir)
    item = ObjectionRequest.objects.get(receipt=receipt)
    screen = dpo.get(f"/objection/desk/{item.pk}/").content.decode()
    assert "No person in the data bears these details." in screen
    assert 'name="person"' not in screen  # nobody to accept
    response = dpo.post(f"/objection/desk/{item.pk}/reject/", {"reason": "other", "text": ""})
    assert response.status_code == 400  # "other" needs an explanation
    dpo.post(f"/objection/desk/{item.pk}/reject/",
             {"reason": "not-found", "text": "Check the number on your card."})
    item.refresh_from_db()
    assert item.state == State.REJECTED and item.nir == "" and item.family_name == ""
    page = follow(citizen(), receipt, dt.date(2001, 10, 12))
    assert 'data-state="rejected"' in page and "Check the number on your card." in page
    assert AuditEvent.objects.get(action="objection.rejected").detail == {
        "receipt": receipt, "reason": "not-found"}


def test_a_decision_is_taken_once_and_only_for_a_person_found(env, people, dpo, make_user):
    row = person(people)
    item = ObjectionRequest.objects.get(receipt=file(citizen(), row))
    assert dpo.post(f"/objection/desk/{item.pk}/accept/", {"person": "forged"}).status_code == 400
    dana = make_user("dana2", role="dpo")
    with pytest.raises(services.Refused) as refused:
        services.accept(item.pk, "forged", user=dana)
    assert refused.value.code == "choice"
    (token,) = tokens_on(dpo, item)
    services.accept(item.pk, token, user=dana)
    with pytest.raises(services.Refused) as refused:
        services.accept(item.pk, token, user=dana)
    assert refused.value.code == "decided"
    with pytest.raises(services.Refused):
        services.reject(item.pk, "other", "x", user=dana)
    assert AuditEvent.objects.filter(action="objection.accepted").count() == 1


def test_a_failed_register_write_leaves_the_request_as_it_was(env, people, dpo, monkeypatch):
    row = person(people)
    item = ObjectionRequest.objects.get(receipt=file(citizen(), row))
    (token,) = tokens_on(dpo, item)

    def disk_full(*_args: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(OppositionRegister, "_replace", disk_full)
    with pytest.raises(OSError):
        services.accept(item.pk, token, user=None)
    item.refresh_from_db()
    assert item.state == State.RECEIVED and item.nir == synthetic_nir(row)
    assert not AuditEvent.objects.filter(action="objection.accepted").exists()


# --- who may see what ------------------------------------------------------------------------------

def test_only_the_dpo_sees_requests(env, people, make_user):
    row = person(people)
    item = ObjectionRequest.objects.get(receipt=file(citizen(), row))
    others = [login(make_user("sec", role="secretariat", totp=True)),
              login(make_user("cat", role="catalogue-team", totp=True)),
              login(make_user("admin", is_superuser=True, is_staff=True, totp=True)),
              login(make_user("ana"))]
    for client in others:
        for url in ("/objection/desk/", f"/objection/desk/{item.pk}/"):
            assert client.get(url).status_code == 404, url
        for action in ("accept", "reject"):
            response = client.post(f"/objection/desk/{item.pk}/{action}/",
                                   {"person": "x", "reason": "other", "text": "x"})
            assert response.status_code == 404
    anonymous = citizen().get(f"/objection/desk/{item.pk}/")
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    item.refresh_from_db()
    assert item.state == State.RECEIVED


def test_every_post_needs_its_csrf_token(env, people, dpo):
    row = person(people)
    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/objection/object/", objection_data(row)).status_code == 403
    assert strict.post("/objection/follow/", {"receipt": "x"}).status_code == 403
    assert strict.post("/objection/withdraw/", {"receipt": "x"}).status_code == 403
    item = ObjectionRequest.objects.get(receipt=file(citizen(), row))
    dpo_strict = Client(enforce_csrf_checks=True)
    dpo_strict.cookies = dpo.cookies  # the DPO's session, signed in and verified
    assert dpo_strict.get("/objection/desk/").status_code == 200
    for action in ("accept", "reject"):
        response = dpo_strict.post(f"/objection/desk/{item.pk}/{action}/",
                                   {"reason": "not-found", "person": "x"})
        assert response.status_code == 403
    item.refresh_from_db()
    assert item.state == State.RECEIVED


# --- limits ----------------------------------------------------------------------------------------

def test_each_address_may_send_a_few_requests_an_hour(env, people):
    row = person(people)
    here, there = Client(REMOTE_ADDR="203.0.113.7"), Client(REMOTE_ADDR="198.51.100.9")
    codes = [here.post("/objection/object/", objection_data(row)).status_code for _ in range(6)]
    assert codes == [302] * 5 + [429]
    assert there.post("/objection/object/", objection_data(row)).status_code == 302
    guesses = [here.post("/objection/follow/", {"receipt": f"OPP-{i:0>12}",
                                                "birth_date": "1970-01-01"}).status_code
               for i in range(21)]
    assert guesses == [200] * 20 + [429]
    assert ObjectionRequest.objects.count() == 6


def test_an_oversized_body_is_refused_unread(env):
    response = citizen().post("/objection/object/", {"family_name": "x" * 20_000})
    assert response.status_code == 413
    assert not ObjectionRequest.objects.exists()


def test_without_the_secret_nothing_is_recorded(env, people, monkeypatch):
    monkeypatch.delenv("HYGIE_PSEUDO_SECRET")
    response = citizen().post("/objection/object/", objection_data(person(people)))
    assert response.status_code == 503
    assert not ObjectionRequest.objects.exists()


def test_the_directory_is_the_published_snds(env, people):
    from hygie.web.objections import lookup

    row = person(people)
    identity = Identity(synthetic_nir(row), birth_of(row), row["BEN_SEX_COD"])
    assert [m.person_key for m in lookup.directory().find(identity)] == [row["BEN_NIR_ANO"]]
    DatasetVersion.objects.filter(dataset__slug="snds").update(lake_path="")
    with pytest.raises(lookup.NoDirectory):
        lookup.directory()


@hypothesis_settings(max_examples=60, deadline=None, derandomize=True,
                     suppress_health_check=list(HealthCheck))
@given(typed=st.one_of(st.text(max_size=30), st.from_regex(r"(?i)opp[ -]?[2-9a-z]{12}",
                                                            fullmatch=True)),
       shift=st.integers(-3, 3))
def test_only_the_exact_pair_finds_an_objection(env, people, typed, shift):
    """Whatever is typed as a receipt, with the right birth date or one a few days off, an
    objection is found only for its own receipt (in any case or spacing) and birth date."""
    row = person(people)
    item = ObjectionRequest.objects.filter(kind=Kind.OBJECTION).first()
    if item is None:
        item = services.file_objection(Identity(synthetic_nir(row), birth_of(row),
                                                row["BEN_SEX_COD"]), "", request=None)
    birth = birth_of(row) + dt.timedelta(days=shift)
    for receipt in (typed, item.receipt[:4] + typed[:12], item.receipt.lower()):
        found = services.find_objection(receipt, birth)
        expected = (shift == 0 and re.sub(r"[\s-]", "", receipt.upper()).removeprefix("OPP")
                    == item.receipt[4:])
        assert (found == item) if expected else (found is None), (receipt, shift)
