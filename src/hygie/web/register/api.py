"""The public register as JSON: the files from their receipt (the filters of the pages), one
file's entry with its decisions and results, and the delay dashboard. Read-only and anonymous;
a draft or an unknown number answers 404 alike."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Path, Query, Router, Schema
from pydantic import Field

from hygie.web.register import delays as delay_dashboard
from hygie.web.register.entries import Entry, Moment, entry, public, summary, today, with_history
from hygie.web.register.filters import MAX_WORDS, Criteria, search

router = Router(tags=["register"])

MAX_INT = 2**31 - 1
Number = Annotated[int, Path(ge=1, le=MAX_INT, examples=[12])]


class Error(Schema):
    detail: Any


class RegisterQuery(Schema):
    q: str = Field("", max_length=MAX_WORDS,
                   description="Words in the title, acronym, purpose or data controller (all of "
                               "them), or a reference such as HYG-2026-00012.")
    procedure: str = Field("", max_length=64, pattern=r"^[a-z0-9-]*$",
                           description="A procedure's name, e.g. authorisation.")
    stage: str = Field("", max_length=40, pattern=r"^[a-z0-9_]*$",
                       description="A stage, e.g. cesrees, authorised.")
    year: int | None = Field(None, ge=1900, le=2200, description="The year received.")
    dataset: str = Field("", max_length=80, pattern=r"^[-a-zA-Z0-9_]*$",
                         description="A dataset's identifier, e.g. snds.")
    limit: int = Field(50, ge=1, le=500, description="Files per page (at most 500).")
    offset: int = Field(0, ge=0, le=10_000_000, description="Files to skip.")


class DatasetOut(Schema):
    slug: str
    title: str


class FactOut(Schema):
    key: str = Field(description="opinion, reasons, reason, scope, conditions, until, result, "
                                 "methodology or reference")
    label: str
    value: str


class MomentOut(Schema):
    step: str
    label: str
    at: datetime
    stage: str = Field(description="The stage the step led to.")
    stage_label: str
    facts: list[FactOut]


class ResultOut(Schema):
    kind: str = Field(description="publication, report, output or none")
    kind_label: str
    title: str
    link: str
    published: date


class EntrySummary(Schema):
    id: int
    reference: str
    url: str
    title: str
    acronym: str
    controller: str = Field(description="The data controller, an organisation.")
    procedure: str
    procedure_label: str
    stage: str
    stage_label: str
    received: datetime
    decided: datetime | None
    ends: date | None = Field(description="The end date of the authorisation or permit.")
    datasets: list[DatasetOut]
    results_due: date | None = Field(description="The last day to publish the results.")
    results: int = Field(description="Results published so far.")
    overdue: bool = Field(description="The results are due and none is published.")


class EntryDetail(EntrySummary):
    purpose: str
    public_interest: str
    lay_summary: str
    opinion: MomentOut | None = Field(description="The latest opinion, with its reasons.")
    decision: MomentOut | None = Field(description="The latest decision, with its reasons.")
    authorisation_reference: str
    history: list[MomentOut] = Field(description="The public steps of the review, in order.")
    published_results: list[ResultOut]


class EntryPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[EntrySummary]


class CellOut(Schema):
    year: int
    files: int | None = Field(description="Files that finished the stage; null when fewer "
                                          "than the minimum.")
    fewer_than_minimum: bool
    median_days: float | None
    p90_days: int | None = Field(description="90th percentile, nearest rank.")
    deadlines_met: float | None = Field(description="Share of the files that met every "
                                                    "deadline of the stage, 0 to 1; null when "
                                                    "no legal period applies.")


class StageOut(Schema):
    stage: str
    label: str
    period: str = Field(description="The legal period, as people say it; empty when none.")
    unit: str = Field(description="What the days count: days or working_days.")
    years: list[CellOut]


class ProcedureOut(Schema):
    procedure: str
    label: str
    stages: list[StageOut]


class Delays(Schema):
    minimum_files: int
    procedures: list[ProcedureOut]


def _moment(m: Moment | None) -> MomentOut | None:
    if m is None:
        return None
    return MomentOut(step=m.kind, label=m.label, at=m.at, stage=m.stage, stage_label=m.stage_label,
                     facts=[FactOut(key=f.key, label=f.label, value=f.value) for f in m.facts])


def _summary(request: HttpRequest, e: Entry) -> dict[str, Any]:
    return dict(id=e.pk, reference=e.reference, url=request.build_absolute_uri(e.url),
                title=e.title, acronym=e.acronym, controller=e.controller,
                procedure=e.procedure, procedure_label=e.procedure_label, stage=e.stage,
                stage_label=e.stage_label, received=e.received, decided=e.decided, ends=e.ends,
                datasets=[DatasetOut(slug=d.slug, title=d.title) for d in e.datasets],
                results_due=e.results_due, results=e.results_count, overdue=e.overdue)


@router.get("/files", response={200: EntryPage, 422: Error}, summary="Files in the register")
def register_files(request: HttpRequest, query: Query[RegisterQuery]) -> dict[str, Any]:
    """The files from their receipt, newest first, with the same search and filters as the
    register's pages."""
    found = search(public(), Criteria(q=query.q, procedure=query.procedure, stage=query.stage,
                                      year=query.year, dataset=query.dataset))
    day = today()
    return {"count": found.count(), "limit": query.limit, "offset": query.offset,
            "items": [EntrySummary(**_summary(request, summary(a, day)))
                      for a in found[query.offset:query.offset + query.limit]]}


@router.get("/files/{pk}", response={200: EntryDetail, 404: Error, 422: Error},
            summary="A file in the register")
def register_file(request: HttpRequest, pk: Number) -> EntryDetail:
    """A file's public entry: the project, its stage and dates, the opinions and decisions with
    their reasons, the authorisation reference and the results."""
    application = with_history(public()).filter(pk=pk).first()
    if application is None:
        raise Http404("no such file in the register")
    e = entry(application, today())
    return EntryDetail(
        **_summary(request, e), purpose=e.purpose, public_interest=e.public_interest,
        lay_summary=e.lay_summary, opinion=_moment(e.opinion), decision=_moment(e.decision),
        authorisation_reference=e.authorisation_reference,
        history=[m for m in map(_moment, e.history) if m is not None],
        published_results=[ResultOut(kind=r.kind, kind_label=r.kind_label, title=r.title,
                                     link=r.link, published=r.published) for r in e.results])


@router.get("/delays", response={200: Delays}, summary="Delays of the review")
def register_delays(request: HttpRequest) -> Delays:
    """For each procedure and stage, by year of entry: the files that finished the stage, the
    median and 90th percentile of the days they took, and the share that met their deadlines.
    Cells of fewer than `minimum_files` files give no figure."""
    tables = delay_dashboard.dashboard(timezone.now())
    return Delays(minimum_files=delay_dashboard.MINIMUM_FILES, procedures=[
        ProcedureOut(procedure=t.name, label=t.label, stages=[
            StageOut(stage=r.stage, label=r.label, period=r.period, unit=r.unit, years=[
                CellOut(year=c.year, files=c.files if c.shown else None,
                        fewer_than_minimum=not c.shown, median_days=c.median, p90_days=c.p90,
                        deadlines_met=None if c.met_share is None else round(c.met_share, 3))
                for c in r.cells]) for r in t.stages]) for t in tables])
