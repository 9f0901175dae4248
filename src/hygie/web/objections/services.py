"""What happens to a citizen's request: filing, following, and the data protection officer's
decision, which writes the opposition register and erases the identity details.

Register and database: the decision's rows and audit event are written first, the register
last, all inside one transaction. A register write that fails rolls the decision back; a commit
that fails after it leaves the register ahead of the database (an extra objection is the safe
side), and deciding again does no harm: registering or withdrawing twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone, translation

from hygie.pseudo.directory import Identity, Match
from hygie.pseudo.keys import Secret, load_secret
from hygie.pseudo.oppositions import OppositionRegister, opposition_hash
from hygie.web.audit.actions import Action
from hygie.web.audit.record import record
from hygie.web.objections import lookup, tokens
from hygie.web.objections.models import Kind, ObjectionRequest, Reason, State


class Refused(Exception):
    """A request or a decision that cannot go ahead; `code` says why (the views word it)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def secret() -> Secret:
    """The master secret (`hygie.pseudo.keys`); SecretError when it is not configured."""
    return load_secret()


def register() -> OppositionRegister:
    return OppositionRegister(settings.HYGIE_OPPOSITION_REGISTER)


def _create(fields: Callable[[str], dict[str, Any]]) -> ObjectionRequest:
    """A new request under a fresh receipt, `fields(receipt)` its fields (a receipt already
    taken, most unlikely, is drawn again)."""
    for _attempt in range(5):
        receipt = tokens.new_receipt()
        try:
            with transaction.atomic():
                return ObjectionRequest.objects.create(receipt=receipt, **fields(receipt))
        except IntegrityError:
            continue
    raise RuntimeError("no free receipt number after 5 draws")


# --- the citizen's side ---------------------------------------------------------------------------

def file_objection(identity: Identity, email: str, *, request: HttpRequest) -> ObjectionRequest:
    key = secret()
    with transaction.atomic():
        objection = _create(lambda receipt: {
            "kind": Kind.OBJECTION, "language": translation.get_language() or "",
            "nir": identity.nir, "birth_date": identity.birth_date, "sex": identity.sex,
            "family_name": identity.family_name, "given_names": identity.given_names,
            "email": email,
            "follow_digest": tokens.follow_digest(key, receipt, identity.birth_date)})
        record(Action.OBJECTION_RECEIVED, objection, request=request, receipt=objection.receipt)
    return objection


def find_objection(receipt_text: str, birth_date: dt.date) -> ObjectionRequest | None:
    """The objection under this receipt when the birth date is the one it was filed with; None
    otherwise, whatever the cause, after the same work (a keyed hash) in every case."""
    receipt = tokens.normalise_receipt(receipt_text)
    digest = tokens.follow_digest(secret(), receipt or "OPP-", birth_date)
    found = (ObjectionRequest.objects.filter(receipt=receipt, kind=Kind.OBJECTION).first()
             if receipt else None)
    stored = found.follow_digest if found is not None else "0" * 64
    return found if tokens.same(stored, digest) and found is not None else None


def file_withdrawal(objection: ObjectionRequest, nir: str, birth_date: dt.date, email: str, *,
                    request: HttpRequest) -> ObjectionRequest:
    """A request to withdraw `objection` (found by its receipt and birth date), with the NIR
    given again, for the data protection officer to check."""
    with transaction.atomic():
        objection = ObjectionRequest.objects.select_for_update().get(pk=objection.pk)
        if objection.state != State.ACCEPTED:
            raise Refused(f"objection-{objection.state}")
        if objection.withdrawals.filter(state=State.RECEIVED).exists():
            raise Refused("withdrawal-pending")
        withdrawal = _create(lambda _receipt: {
            "kind": Kind.WITHDRAWAL, "objection": objection,
            "language": translation.get_language() or "", "nir": nir, "birth_date": birth_date,
            "sex": 1 if int(nir[0]) % 2 else 2, "email": email})
        record(Action.OBJECTION_WITHDRAWAL_RECEIVED, withdrawal, request=request,
               receipt=withdrawal.receipt, objection=objection.receipt)
    return withdrawal


# --- the data protection officer's side -----------------------------------------------------------

@dataclass(frozen=True)
class Candidate:
    token: str  # names the person in the decision form
    match: Match
    objected: bool  # an objection of this person is in force today


def identity_of(request: ObjectionRequest) -> Identity:
    return Identity(request.nir, request.birth_date, request.sex or 0, request.family_name,
                    request.given_names)


def candidates(request: ObjectionRequest, key: Secret) -> list[Candidate]:
    """The persons the directory finds for a request's identity details."""
    matches = lookup.directory().find(identity_of(request))
    in_force = set(register().table().column("OPPOSITION_HASH").to_pylist())
    return [Candidate(tokens.choice_token(key, request.pk, m.person_key), m,
                      opposition_hash(key, m.person_key) in in_force) for m in matches]


def same_person_as_objection(withdrawal: ObjectionRequest, key: Secret) -> bool:
    """The NIR of a withdrawal is the one of the objection it withdraws."""
    objection = withdrawal.objection
    return bool(objection is not None and objection.nir_digest and tokens.same(
        objection.nir_digest, tokens.nir_digest(key, withdrawal.nir)))


def _erase(request: ObjectionRequest) -> None:
    """Forget who asked: only the e-mail address stays, until the news is sent."""
    request.nir, request.birth_date, request.sex = "", None, None
    request.family_name = request.given_names = ""
    request.erased_at = timezone.now()


def _decide(request: ObjectionRequest, state: str, user: Any) -> None:
    request.state, request.decided_at, request.decided_by = state, timezone.now(), user
    _erase(request)
    request.save()
    if request.email:
        from hygie.web.objections.tasks import send_news

        pk = request.pk
        transaction.on_commit(lambda: send_news.enqueue(pk))


def _pending(pk: int) -> ObjectionRequest:
    request = ObjectionRequest.objects.select_for_update().filter(pk=pk).first()
    if request is None or request.state != State.RECEIVED:
        raise Refused("decided")
    return request


def accept(pk: int, token: str, *, user: Any, http: HttpRequest | None = None
           ) -> ObjectionRequest:
    """Accept a request for the one person `token` names among the directory's candidates."""
    key = secret()
    with transaction.atomic():
        request = _pending(pk)
        chosen = [c for c in candidates(request, key) if tokens.same(c.token, token)]
        if len(chosen) != 1:
            raise Refused("choice")
        person = chosen[0].match.person_key
        today = timezone.localdate()
        if request.kind == Kind.OBJECTION:
            request.nir_digest = tokens.nir_digest(key, request.nir)
            _decide(request, str(State.ACCEPTED), user)
            record(Action.OBJECTION_ACCEPTED, request, actor=user, request=http,
                   receipt=request.receipt)
            register().register(key, [person], on=today)
            return request
        if not same_person_as_objection(request, key):
            raise Refused(str(Reason.NOT_THE_SAME))
        known = set(register().entries().column("OPPOSITION_HASH").to_pylist())
        if opposition_hash(key, person) not in known:
            raise Refused(str(Reason.NOT_IN_FORCE))
        # Every accepted objection of this person ends with the register's entry.
        objections = ObjectionRequest.objects.select_for_update().filter(
            kind=Kind.OBJECTION, state=State.ACCEPTED,
            nir_digest=tokens.nir_digest(key, request.nir))
        receipts = sorted(objections.values_list("receipt", flat=True))
        objections.update(state=State.WITHDRAWN, withdrawn_at=timezone.now())
        _decide(request, str(State.ACCEPTED), user)
        record(Action.OBJECTION_WITHDRAWN, request, actor=user, request=http,
               receipt=request.receipt, objections=receipts)
        register().withdraw(key, [person], on=today)
        return request


def reject(pk: int, reason: str, text: str, *, user: Any, http: HttpRequest | None = None
           ) -> ObjectionRequest:
    with transaction.atomic():
        request = _pending(pk)
        request.reason, request.reason_text = reason, text
        _decide(request, str(State.REJECTED), user)
        record(Action.OBJECTION_REJECTED, request, actor=user, request=http,
               receipt=request.receipt, reason=reason)
    return request
