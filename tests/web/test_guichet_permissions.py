"""The permission matrix of the guichet, generated: for every packaged procedure, every stage a
walk of its steps reaches, every step, and every kind of person, the API (and the step's page)
accepts exactly when the person holds the step's role on the file and the stage allows the step;
refuses with 404 when the person may not view the file (no IDOR), with 403 when they may view it
but the step is another role's, and with 422 (the procedure's reason) when the step is theirs but
not in this stage. Reading the file, its timeline, its messages and its attachments: 404 for
everyone not party to it, internal notes for the staff of the review only.

What a person may see is written here from the rules (a draft is its author's alone; the staff
see a file once submitted; a CESREES member the files of the sessions they sit in, unless
recused; the CNIL the files that have been before it; a data holder's members the files their
holder was consulted on), not read from `guichet.permissions`, so that the two can disagree.

Each stage's file is built once per procedure with `workflow.act` (with time travel: the walk's
events end minutes before now, the API acting now), and every person is tried against it; each
attempt runs in a savepoint rolled back, so that an accepted step leaves the file as it was.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from hygie.access import Case, Event, Role, apply, due, procedures
from hygie.access.description import Choice, Procedure
from hygie.access.procedure import day_of
from hygie.web.guichet.models import (
    AgendaItem,
    Application,
    Interest,
    Message,
    Session,
    TeamMember,
)
from hygie.web.guichet.workflow import FROM_THE_FILE, act, catch_up_all
from tests.web.guichet_files import complete_file
from tests.web.helpers import login

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

API = "/api/guichet/files"
HOLDER = "cnam"  # the holder of the SNDS, the dataset of every file here
PERSONS = ("applicant", "team", "secretariat", "sitting", "not_sitting", "recused", "cnil",
           "holder", "other_holder", "outsider", "anonymous")
# Who takes each role's steps while the walk builds the files.
ACTORS = {Role.APPLICANT: "applicant", Role.SECRETARIAT: "secretariat", Role.CESREES: "sitting",
          Role.CNIL: "cnil", Role.DATA_HOLDER: "holder"}
NOTE, LETTER = "INTERNAL-NOTE-TEXT", "LETTER-TO-THE-APPLICANT"
SCHEDULE = "(schedule)"  # not a step: the secretariat puts the file on a session's agenda
NOTE_READERS = {"secretariat", "cesrees", "cnil"}  # roles that read internal notes


def page_exists(name: str) -> bool:
    try:
        reverse(name, args=[1, "submit"] if name == "guichet:step" else [1])
    except NoReverseMatch:
        return False
    return True


# --- the walk ------------------------------------------------------------------------------------


def walk(proc: Procedure) -> dict[str, list[str]]:
    """Each stage the steps reach (the calendar's included), with the shortest way there."""
    ways = {proc.start: []}
    todo = deque([proc.start])
    while todo:
        stage = todo.popleft()
        for kind, step in proc.steps.items():
            if step.to and step.to not in ways and stage in proc.sources_of(step):
                ways[step.to] = [*ways[stage], kind]
                todo.append(step.to)
    return ways


def with_parties(proc: Procedure, way: list[str]) -> list[str]:
    """The way, with the data holder consulted and the file put on a CESREES session as soon
    as its stage allows, as a review would: so that those people have a part in the file."""
    consult = proc.steps.get("consult_holder")
    cesrees = frozenset().union(*(proc.sources_of(s) for s in proc.steps.values()
                                  if s.role == Role.CESREES))
    out: list[str] = []
    stage = proc.start

    def parties() -> None:
        if consult is not None and "consult_holder" not in out and \
                stage in proc.sources_of(consult):
            out.append("consult_holder")
        if SCHEDULE not in out and stage in cesrees:
            out.append(SCHEDULE)

    for kind in way:
        parties()
        out.append(kind)
        stage = proc.steps[kind].to or stage
    parties()
    return out


def needs_data(proc: Procedure, kind: str, day: date, *, engine: bool = False) -> dict[str, Any]:
    """Valid data for a step: text, the first choice, a date 3 days after the step's day (short,
    so that a walk can reach an end date)."""
    step = proc.steps[kind]
    data: dict[str, Any] = {}
    for key, need in step.needs.items():
        if not engine and key in FROM_THE_FILE.get(kind, ()):
            continue
        if isinstance(need, Choice):
            data[key] = need.choice[0]
        elif need == "future_date":
            data[key] = day + timedelta(days=3) if engine else (day + timedelta(days=3)).isoformat()
        else:
            data[key] = HOLDER if key == "holder" else "Because."
    if engine:  # the first event names the procedure; any may
        data["path"] = proc.name
    return data


def timed(proc: Procedure, actions: list[str], start: datetime) -> tuple[list[Any], Case]:
    """When each action happens, a minute apart from `start`, the calendar's when it would."""
    case, moment, out = Case(), start, []
    for kind in actions:
        if kind == SCHEDULE:
            out.append((kind, None))
            continue
        step = proc.steps[kind]
        if step.role == Role.CALENDAR:
            moves = due(case, start + timedelta(days=3650))
            assert moves and moves[0].kind == kind, (proc.name, actions, kind)
            event = moves[0]
        else:
            moment += timedelta(minutes=1)
            event = Event(kind, moment, step.role, needs_data(proc, kind, day_of(moment),
                                                               engine=True))
        case = apply(case, event)
        moment = event.at
        out.append((kind, event.at))
    return out, case


def plan_times(proc: Procedure, actions: list[str]) -> list[Any]:
    """The actions timed so that the last ends ten minutes ago and nothing falls due in the
    next hours (the API acts now)."""
    now = timezone.now()
    target = now - timedelta(minutes=10)
    start = now - timedelta(days=1)
    for _ in range(8):
        plan, case = timed(proc, actions, start)
        last = max((at for _, at in plan if at is not None), default=start)
        if last <= target:
            assert not due(case, now + timedelta(hours=3)), (proc.name, actions)
            return plan
        start -= last - target
    raise AssertionError(f"cannot time {actions} for {proc.name}")


# --- the people ----------------------------------------------------------------------------------


@dataclass
class Cast:
    users: dict[str, Any]
    clients: dict[str, Client] = field(default_factory=dict)


@pytest.fixture
def cast(make_user) -> Cast:
    users = {
        "applicant": make_user("applicant"),
        "team": make_user("teammate"),
        "secretariat": make_user("agent", role="secretariat", totp=True),
        "sitting": make_user("sitting", role="cesrees", totp=True),
        "not_sitting": make_user("elsewhere", role="cesrees", totp=True),
        "recused": make_user("recused", role="cesrees", totp=True),
        "cnil": make_user("cnilagent", role="cnil", totp=True),
        "holder": make_user("holder", holder=HOLDER, totp=True),
        "other_holder": make_user("otherholder", holder="other-holder", totp=True),
        "outsider": make_user("outsider"),
    }
    cast = Cast(users)
    cast.clients = {name: login(user) for name, user in users.items()}
    cast.clients["anonymous"] = Client(HTTP_ACCEPT_LANGUAGE="en")
    return cast


def expected_roles(proc: Procedure, actions: list[str]) -> dict[str, set[str]]:
    """Who holds which role on a file that went through `actions`, from the rules."""
    cnil_stages = frozenset().union(*(proc.sources_of(s) for s in proc.steps.values()
                                      if s.role == Role.CNIL))
    stage, been = proc.start, set()
    for kind in actions:
        if kind != SCHEDULE:
            stage = proc.steps[kind].to or stage
            been.add(stage)
    roles: dict[str, set[str]] = {p: set() for p in PERSONS}
    roles["applicant"], roles["team"] = {"applicant"}, {"team"}
    if "submit" in actions:  # a draft, even withdrawn, is its author's alone
        roles["secretariat"] = {"secretariat"}
        if SCHEDULE in actions:
            roles["sitting"] = {"cesrees"}
        if been & cnil_stages:
            roles["cnil"] = {"cnil"}
        if "consult_holder" in actions:
            roles["holder"] = {"data_holder"}
    return roles


# --- the files -----------------------------------------------------------------------------------


def counted_cohort(owner: Any) -> Any:
    """A saved cohort counted and released: what a health data request is answered with."""
    from hygie.web.catalogue.models import Dataset
    from hygie.web.feasibility.models import SavedCohort

    return SavedCohort.objects.create(
        owner=owner, dataset=Dataset.objects.get(slug="snds"), name="T2D",
        definition="name: t2d", count_state="done", counts=[["Entry", "1,240"]],
        counted=timezone.now() - timedelta(days=400))


def build(proc: Procedure, stage: str, actions: list[str], cast: Cast) -> Application:
    users = cast.users
    extra = {"cohort": counted_cohort(users["applicant"])} if proc.name == "ehds-request" else {}
    file = complete_file(users["applicant"], proc.name, **extra)
    TeamMember.objects.create(application=file, name="A colleague", email="teammate@example.org",
                              user=users["team"])
    for kind, at in plan_times(proc, actions):
        if kind == SCHEDULE:
            session = Session.objects.create(date=timezone.localdate(), title="Plenary")
            session.members.add(users["sitting"], users["recused"])
            item = AgendaItem.objects.create(session=session, application=file,
                                             rapporteur=users["sitting"])
            Interest.objects.create(item=item, member=users["recused"], conflict=True)
        elif proc.steps[kind].role == Role.CALENDAR:
            catch_up_all(at)
        else:
            act(file.pk, users[ACTORS[proc.steps[kind].role]], kind,
                needs_data(proc, kind, day_of(at)), now=at)
    file.refresh_from_db()
    assert file.stage == stage, (proc.name, actions)
    Message.objects.create(application=file, author=users["applicant"], body=LETTER)
    Message.objects.create(application=file, author=users["secretariat"], body=NOTE,
                           internal=True)
    return file


class _Undo(Exception):
    pass


def attempt(call: Any) -> Any:
    """Make the call in a savepoint rolled back afterwards: (response, events stored by it)."""
    try:
        with transaction.atomic():
            before = _events()
            response = call()
            raise _Undo(response, _events() - before)
    except _Undo as undone:
        return undone.args


def _events() -> int:
    from hygie.web.guichet.models import ApplicationEvent

    return ApplicationEvent.objects.count()


# --- the matrix ----------------------------------------------------------------------------------


def api_expected(person: str, roles: set[str], proc: Procedure, kind: str, stage: str) -> int:
    step = proc.steps[kind]
    if person == "anonymous":
        return 401
    if not roles:
        return 404
    if step.role == Role.CALENDAR or step.role.value not in roles:
        return 403
    return 200 if stage in proc.sources_of(step) else 422


def page_expected(person: str, roles: set[str], proc: Procedure, kind: str,
                  stage: str) -> set[int]:
    """The step's page: a redirect to the file when done, the form again (200) with the
    procedure's reason when the stage does not allow it. The calendar's steps have no page:
    404 there is as good as 403 (it says nothing of the file, which the person may view)."""
    code = api_expected(person, roles, proc, kind, stage)
    if code == 401:
        return {302}
    if code == 403 and proc.steps[kind].role == Role.CALENDAR:
        return {403, 404}
    return {200: {302}, 422: {200}}.get(code, {code})


def step_calls(cast: Cast, file: Application, proc: Procedure, kind: str,
               person: str) -> Iterator[tuple[str, Any]]:
    client = cast.clients[person]
    today = timezone.localdate()
    body = {"data": needs_data(proc, kind, today), "seq": file.seq}
    yield "api", lambda: client.post(f"{API}/{file.pk}/steps/{kind}", json.dumps(body),
                                     content_type="application/json")
    if page_exists("guichet:step"):
        form = {"seen": file.seq, "confirm": "on", **needs_data(proc, kind, today)}
        yield "page", lambda: client.post(reverse("guichet:step", args=[file.pk, kind]), form)


def check_reads(cast: Cast, file: Application, roles: dict[str, set[str]],
                problems: list[str]) -> None:
    file_page = page_exists("guichet:file")
    for person in PERSONS:
        client, held = cast.clients[person], roles[person]
        want = 401 if person == "anonymous" else 200 if held else 404
        for path in ("", "/timeline", "/messages", "/attachments"):
            got = client.get(f"{API}/{file.pk}{path}")
            if got.status_code != want:
                problems.append(f"{file.stage} GET {path or '/'} {person}: {got.status_code} "
                                f"!= {want}")
        if held:
            seen = client.get(f"{API}/{file.pk}").json()
            if set(seen["roles"]) != held:
                problems.append(f"{file.stage} roles of {person}: {seen['roles']} != {held}")
            bodies = {m["body"] for m in client.get(f"{API}/{file.pk}/messages").json()}
            notes = bool(held & NOTE_READERS)
            if bodies != ({LETTER, NOTE} if notes else {LETTER}):
                problems.append(f"{file.stage} messages for {person}: {sorted(bodies)}")
        if file_page:
            page = client.get(reverse("guichet:file", args=[file.pk]))
            want_page = 302 if person == "anonymous" else 200 if held else 404
            if page.status_code != want_page:
                problems.append(f"{file.stage} file page {person}: {page.status_code} "
                                f"!= {want_page}")
            elif held and not held & NOTE_READERS and NOTE in page.content.decode():
                problems.append(f"{file.stage} file page shows a note to {person}")
    listing = {p: {f["id"] for f in cast.clients[p].get(f"{API}?limit=500").json()["items"]}
               for p in PERSONS if p != "anonymous"}
    for person, ids in listing.items():
        if (file.pk in ids) != bool(roles[person]):
            problems.append(f"{file.stage} listing of {person}: {file.pk in ids}")


@pytest.mark.parametrize("name", sorted(procedures()))
def test_the_matrix_of_steps_and_reads(name, cast):
    proc = procedures()[name]
    stages = walk(proc)
    assert set(stages) == set(proc.stages), (
        f"stages no walk reaches: {sorted(set(proc.stages) - set(stages))}")
    problems: list[str] = []
    tried = 0
    for stage, way in stages.items():
        actions = with_parties(proc, way)
        try:
            with transaction.atomic():
                file = build(proc, stage, actions, cast)
        except Exception as exc:  # said with the others; the walk goes on
            problems.append(f"{stage}: cannot build a file through {actions}: {exc!r}")
            continue
        roles = expected_roles(proc, actions)
        check_reads(cast, file, roles, problems)
        for kind in proc.steps:
            for person in PERSONS:
                for where, call in step_calls(cast, file, proc, kind, person):
                    response, stored = attempt(call)
                    tried += 1
                    code = api_expected(person, roles[person], proc, kind, stage)
                    want = {code} if where == "api" else page_expected(
                        person, roles[person], proc, kind, stage)
                    accepted = code == 200
                    if response.status_code not in want or stored != (1 if accepted else 0):
                        problems.append(
                            f"{stage} {kind} by {person} ({where}): {response.status_code} "
                            f"{response.content[:120]!r}, {stored} event(s); expected "
                            f"{sorted(want)}")
    assert not problems, f"{len(problems)} of {tried} calls:\n" + "\n".join(problems[:60])


def test_the_step_pages_are_in_the_matrix():
    """The half of the matrix on the pages runs only where the pages exist: say so."""
    if not page_exists("guichet:step"):
        pytest.skip("no page guichet:step yet: the matrix checks the API only")
    assert page_exists("guichet:file")
