"""Feasibility API: the signed-in user's saved cohorts and their counts (session auth, CSRF on
writes). Another user's cohort is a 404, as on the pages."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.security import django_auth
from ninja.throttling import UserRateThrottle

from hygie.cohorts.model import DefinitionError
from hygie.web.feasibility import budget, builder, definitions, lookup, services
from hygie.web.feasibility.access import countable_datasets, get_cohort
from hygie.web.feasibility.errors import count_error_message
from hygie.web.feasibility.forms import definition_problems
from hygie.web.feasibility.models import CountState, SavedCohort
from hygie.web.feasibility.wording import count_rows
from hygie.web.problems import problems

router = Router(tags=["feasibility"], auth=django_auth)


class Step(Schema):
    label: str
    people: str  # a released mark: "1235", or "<11"


class Counts(Schema):
    state: str
    counted: datetime | None
    version: int | None
    error: str
    steps: list[Step]


class CohortOut(Schema):
    id: int
    name: str
    dataset: str
    definition: str
    created: datetime
    updated: datetime
    counts: Counts


class CohortIn(Schema):
    name: str
    dataset: str  # the dataset's slug
    definition: str  # the targeting language, YAML


class Problem(Schema):
    place: str
    message: str


class Problems(Schema):
    detail: list[Problem]


class Refusal(Schema):
    detail: str


class Budget(Schema):
    """The signed-in user's feasibility counts: used and allowed (docs/statistical-secrecy.md)."""

    left: int
    used_today: int  # in the last 24 hours
    per_day: int
    used_total: int
    total: int


def _counts(c: SavedCohort) -> Counts:
    return Counts(state=c.count_state, counted=c.counted,
                  version=c.counted_version.number if c.counted_version else None,
                  error=count_error_message(c.count_error, c.dataset)
                  if c.count_state == CountState.FAILED else "",
                  steps=[Step(label=label, people=mark) for label, mark in count_rows(c)])


def _out(c: SavedCohort) -> CohortOut:
    return CohortOut(id=c.pk, name=c.name, dataset=c.dataset.slug, definition=c.definition,
                     created=c.created, updated=c.updated, counts=_counts(c))


@router.get("/cohorts", response=list[CohortOut])
def cohorts(request: HttpRequest) -> list[CohortOut]:
    mine = SavedCohort.objects.filter(owner_id=request.user.pk).select_related(
        "dataset", "counted_version")
    return [_out(c) for c in mine]


@router.post("/cohorts", response={201: CohortOut, 422: Problems})
def create(request: HttpRequest, data: CohortIn) -> Status[CohortOut | Problems]:
    """Save a cohort; a definition that does not hold is refused with each problem's place."""
    dataset = countable_datasets(request.user).filter(slug=data.dataset).first()
    if dataset is None:
        return Status(422, Problems(detail=[Problem(
            place="dataset", message=_("no published dataset %(slug)s") % {
                "slug": repr(data.dataset)})]))
    if not data.name.strip() or len(data.name) > 200:
        return Status(422, Problems(detail=[Problem(place="name",
                                                    message=_("1 to 200 characters"))]))
    try:
        # The form and the YAML editor refuse an event whose tables the dataset lacks: so here.
        lacking = definition_problems(definitions.load(data.definition), dataset)
        if lacking:
            return Status(422, Problems(detail=[Problem(place=p, message=m) for p, m in lacking]))
        cohort = services.create_cohort(request.user, dataset, data.name.strip(),
                                        data.definition, request=request, via="api")
    except DefinitionError as exc:
        return Status(422, Problems(detail=[Problem(place=p, message=m)
                                            for p, m in problems(exc.problems)]))
    return Status(201, _out(cohort))


@router.get("/cohorts/{cohort_id}", response=CohortOut)
def cohort(request: HttpRequest, cohort_id: int) -> CohortOut:
    return _out(get_cohort(request.user, cohort_id))


@router.get("/cohorts/{cohort_id}/counts", response=Counts)
def counts(request: HttpRequest, cohort_id: int) -> Counts:
    """The last counts (released marks only) and the state of a count under way."""
    return _counts(get_cohort(request.user, cohort_id))


@router.post("/cohorts/{cohort_id}/counts", response={202: Counts, 409: Refusal, 429: Refusal})
def run_counts(request: HttpRequest, cohort_id: int) -> Status[Counts | Refusal]:
    """Start a count in the background; poll GET .../counts for its state. 429 when the budget
    of counts is used up (GET /budget), 409 when the count cannot run for another reason."""
    c = services.request_count(get_cohort(request.user, cohort_id), request=request)
    if c.count_state == CountState.FAILED:
        code = 429 if c.count_error.get("code") in budget.REFUSALS else 409
        return Status(code, Refusal(detail=count_error_message(c.count_error, c.dataset)))
    return Status(202, _counts(c))


@router.get("/budget", response=Budget)
def count_budget(request: HttpRequest) -> Budget:
    now = budget.standing(request.user)
    return Budget(left=now.left, used_today=now.used_today, per_day=now.per_day,
                  used_total=now.used_total, total=now.total)


# --- finding codes for the builder ----------------------------------------------------------------


class CodeLookup(Schema):
    kind: str = Field(description="an event kind: " + ", ".join(builder.EVENT_SYSTEMS))
    q: str = Field(max_length=lookup.MAX_QUERY, description="part of a label or of a code")
    limit: int = Field(10, ge=1, le=lookup.MAX_RESULTS)


class CodeHit(Schema):
    system: str
    code: str
    insert: str  # what the builder puts in the codes field: the code, or a category (E11*)
    label: str


class CodeHits(Schema):
    codes: list[CodeHit]
    more: bool  # more codes match than were given


@router.get("/codes", response={200: CodeHits, 422: Refusal}, url_name="feasibility_codes",
            throttle=[UserRateThrottle("300/m")])
def find_codes(request: HttpRequest, params: Query[CodeLookup]) -> Status[CodeHits | Refusal]:
    """Codes of the packaged nomenclatures (CIM-10, ATC and CIP13, CCAM, NABM) whose label or code
    matches `q`, for an event kind of the builder; accents and case are ignored; at least 2
    characters. Read-only."""
    systems = builder.EVENT_SYSTEMS.get(params.kind)
    if systems is None:
        return Status(422, Refusal(detail=_("unknown event kind %(kind)s") % {
            "kind": repr(params.kind[:40])}))
    hits, more = lookup.search(systems, params.q, params.limit)
    return Status(200, CodeHits(codes=[CodeHit(system=h.system, code=h.code, insert=h.insert,
                                               label=h.label) for h in hits], more=more))
