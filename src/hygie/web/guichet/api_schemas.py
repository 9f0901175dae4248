"""The shapes of the guichet API (`guichet.api`): what it reads and answers, bounded so that
malformed input is a 422 and never a database error, and the description of the steps, generated
from the packaged procedures."""

from __future__ import annotations

import json
from datetime import date, datetime
from enum import Enum
from typing import Annotated, Any

from ninja import Path, Schema
from pydantic import Field, field_validator

from hygie.access import procedures
from hygie.access.description import Choice, Procedure
from hygie.web.guichet.models import AttachmentKind
from hygie.web.guichet.workflow import FROM_THE_FILE

MAX_INT = 2**31 - 1  # PostgreSQL integer columns: larger numbers cannot match anything
MAX_TEXT = 20_000  # characters of one text of the file or one message
MAX_STEP_DATA = 100_000  # characters of a step's data, as JSON
FileId = Annotated[int, Path(ge=1, le=MAX_INT, examples=[1])]
AttachmentId = Annotated[int, Path(ge=1, le=MAX_INT, examples=[1])]
Text = Annotated[str, Field(max_length=MAX_TEXT)]
Line = Annotated[str, Field(max_length=300)]

PROCEDURES: dict[str, Procedure] = dict(procedures())
# The procedures' and the steps' names as enumerations of the description, from the procedures.
GuichetProcedureName = Enum(  # type: ignore[misc]
    "GuichetProcedureName", {n: n for n in sorted(PROCEDURES)}, type=str)
STEP_KINDS = sorted({kind for p in PROCEDURES.values() for kind in p.steps})
GuichetStepKind = Enum(  # type: ignore[misc]
    "GuichetStepKind", {k: k for k in STEP_KINDS}, type=str)
GuichetAttachmentKindName = Enum(  # type: ignore[misc]
    "GuichetAttachmentKindName", {k: k for k in AttachmentKind.values}, type=str)


# --- schemas --------------------------------------------------------------------------------------


class GuichetRefusal(Schema):
    detail: str | list[Any] = Field(description="Why, in the request's language; for a request "
                                                "of the wrong shape, each problem with its place "
                                                "(`loc`).")
    missing: list[str] = Field([], description="What the step or the file lacks, each named.")
    fields: dict[str, list[str]] = Field({}, description="Fields refused, with the reasons.")
    code: str = Field("", description="A stable word for a refused attachment.")


class GuichetTeamMember(Schema):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    email: Annotated[str, Field(min_length=3, max_length=254)]
    organisation: Annotated[str, Field(max_length=200)] = ""
    role: Annotated[str, Field(description="investigator, controller or member")] = "member"


class GuichetClock(Schema):
    name: str
    state: str = Field(description="running, stopped or ended")
    due: date | None = Field(description="The last day, while it runs.")
    days_used: int = Field(description="Days counted so far, stops left out.")
    extensions: int
    overdue: bool


class GuichetFileSummary(Schema):
    id: int
    reference: str
    procedure: str
    title: str
    stage: str
    stage_label: str
    deadline: date | None
    updated: datetime


class GuichetFilePage(Schema):
    count: int
    limit: int
    offset: int
    items: list[GuichetFileSummary]


class GuichetFile(Schema):
    id: int
    reference: str
    procedure: str
    procedure_title: str
    seq: int = Field(description="The file's version: the number of steps stored. Send it back "
                                 "as `seq` to be refused (409) if the file changed meanwhile.")
    stage: str
    stage_label: str
    deadline: date | None = Field(description="The last day for the current stage's move.")
    clock: GuichetClock | None
    overdue: bool
    opinion: str | None
    received: datetime | None
    decided: datetime | None
    ends: date | None = Field(description="The authorisation's (or permit's) end date.")
    roles: list[str] = Field(description="The caller's roles on the file.")
    steps: list[str] = Field(description="The steps the caller may take now.")
    missing: list[str] = Field(description="What the file lacks before it can be submitted, "
                                           "while it is with the applicant.")
    title: str
    acronym: str
    controller: str
    purpose: str
    public_interest: str
    lay_summary: str
    methodology: str
    reference_methodology: str
    funding: str
    conflicts_of_interest: str
    publication_plan: str
    datasets: list[str]
    variables: list[str]
    cohort: int | None
    program: str
    period_start: date | None
    period_end: date | None
    linkage: bool
    linkage_detail: str
    processing: str
    processing_detail: str
    outputs: str
    duration_months: int | None
    team: list[GuichetTeamMember]
    created: datetime
    updated: datetime


class GuichetFileFields(Schema):
    """The file's content; in a change, only the fields given are changed."""

    title: Line = ""
    acronym: Annotated[str, Field(max_length=40)] = ""
    controller: Line = ""
    purpose: Text = ""
    public_interest: Text = ""
    lay_summary: Text = ""
    methodology: Text = ""
    reference_methodology: Annotated[str, Field(max_length=16)] = ""
    funding: Text = ""
    conflicts_of_interest: Text = ""
    publication_plan: Text = ""
    datasets: Annotated[list[Annotated[str, Field(max_length=80)]], Field(max_length=50)] = []
    variables: Annotated[list[Annotated[str, Field(max_length=200)]],
                         Field(max_length=2000)] = []
    cohort: Annotated[int, Field(ge=1, le=MAX_INT)] | None = None
    program: Annotated[str, Field(max_length=200)] = ""
    period_start: date | None = None
    period_end: date | None = None
    linkage: bool = False
    linkage_detail: Text = ""
    processing: Annotated[str, Field(description="platform, elsewhere, or empty")] = ""
    processing_detail: Text = ""
    outputs: Text = ""
    duration_months: Annotated[int, Field(ge=1, le=600)] | None = None
    team: Annotated[list[GuichetTeamMember], Field(max_length=50)] | None = Field(
        None, description="The people named in the file (replaces the list when given).")


class GuichetFileCreate(GuichetFileFields):
    procedure: GuichetProcedureName
    title: Annotated[str, Field(min_length=1, max_length=300)]


class GuichetFileChange(GuichetFileFields):
    seq: Annotated[int, Field(ge=0, le=MAX_INT)] | None = Field(
        None, description="The version read; 409 if the file changed since.")


class GuichetStepIn(Schema):
    data: dict[str, Any] = Field({}, description="What the step needs (see the list of steps).")
    seq: Annotated[int, Field(ge=0, le=MAX_INT)] | None = Field(
        None, description="The version read; 409 if the file changed since.")

    @field_validator("data")
    @classmethod
    def _bounded(cls, value: dict[str, Any]) -> dict[str, Any]:
        if len(json.dumps(value, default=str)) > MAX_STEP_DATA:
            raise ValueError(f"at most {MAX_STEP_DATA} characters")
        return value


class GuichetEvent(Schema):
    seq: int
    kind: str
    what: str
    at: datetime
    role: str
    actor: str | None = Field(description="Who took it, for the staff of the review; the "
                                          "applicant's side sees the role only.")
    data: dict[str, Any]
    stage_before: str
    stage_after: str
    stage_after_label: str


class GuichetMessageIn(Schema):
    body: Annotated[str, Field(min_length=1, max_length=MAX_TEXT)]
    internal: bool = Field(False, description="An internal note, which the applicant's side "
                                              "never sees (staff of the review only).")


class GuichetMessage(Schema):
    id: int
    author: str
    body: str
    internal: bool
    at: datetime


class GuichetAttachment(Schema):
    id: int
    kind: str
    name: str
    content_type: str
    size: int
    sha256: str
    uploaded: datetime


class GuichetPageQuery(Schema):
    limit: int = Field(50, ge=1, le=500, description="Items per page (at most 500).")
    offset: int = Field(0, ge=0, le=10_000_000, description="Items to skip.")
    stage: Annotated[str, Field(max_length=40, pattern=r"^[a-z0-9_]*$")] = ""


class GuichetNeed(Schema):
    key: str
    kind: str = Field(description="text, future_date (YYYY-MM-DD) or choice")
    choices: list[str]


class GuichetStep(Schema):
    kind: str
    what: str
    role: str
    sources: list[str]
    to: str | None
    needs: list[GuichetNeed]


class GuichetProcedure(Schema):
    name: str
    title: str
    stages: dict[str, str]
    steps: list[GuichetStep]


# --- the description of the steps, from the procedures --------------------------------------------


def _need(key: str, need: Any) -> str:
    if isinstance(need, Choice):
        return f"`{key}` (one of {', '.join(need.choice)})"
    if need == "future_date":
        return f"`{key}` (a date after the day of the step, YYYY-MM-DD)"
    return f"`{key}` (text)"


def _step_line(proc: Procedure, kind: str) -> str:
    step = proc.steps[kind]
    sources = ", ".join(sorted(proc.sources_of(step)))
    move = f" → {step.to}" if step.to else ""
    asked = {k: n for k, n in step.needs.items() if k not in FROM_THE_FILE.get(kind, ())}
    if step.role == "calendar":
        needs = "Taken by the calendar only, never through the API (403)."
    elif asked:
        needs = "Needs " + ", ".join(_need(k, n) for k, n in asked.items()) + "."
    else:
        needs = "Needs nothing."
    if kind == "submit":
        needs += " The file itself is checked: each missing item is named (422)."
    elif kind in FROM_THE_FILE:
        taken = ", ".join(f"`{k}`" for k in sorted(FROM_THE_FILE[kind]))
        needs += f" Takes {taken} from the file."
    return f"- `{kind}` ({step.role}; from {sources}{move}): {step.what}. {needs}"


def steps_description() -> str:
    lines = [
        "Take step `kind` of the file's procedure. The body's `data` holds what the step needs; "
        "`seq`, the version of the file read (`GuichetFile.seq`), makes a change made meanwhile a "
        "409 rather than a step taken on a file one has not seen.",
        "",
        "200: the file after the step. 404: no such file among those the caller may view. "
        "403: the procedure gives the step to a role the caller does not hold on the file. "
        "409: the file changed since `seq`. 422: the procedure refuses (the stage does not "
        "allow the step, a need is missing or wrong) or the file is incomplete; `detail` says "
        "why and `missing` lists what lacks, in the request's language.",
    ]
    for name, proc in sorted(PROCEDURES.items()):
        lines += ["", f"**{name}**: {proc.title}", ""]
        lines += [_step_line(proc, kind) for kind in proc.steps]
    return "\n".join(lines)
