"""What the public register shows of a file, and nothing else: the one place that decides it.

A file is public from its receipt (its first submission): a draft never is. Of a file, the register
shows what the law makes public: the project (title, data controller, purpose, public interest,
lay summary, datasets), the procedure, its stage and dates, the opinions and decisions with their
reasons, and the results. Never the applicant or the team (names, e-mail addresses), messages,
internal notes, attachments or data holders' answers: the entry is built from a list of public
fields and public facts (`PUBLIC_FACTS`), not by leaving private ones out, so a field added to
the file later stays private until it is named here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Prefetch, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone

from hygie.access import Role, procedures
from hygie.access.procedure import day_of
from hygie.web.catalogue.access import RELEASED
from hygie.web.catalogue.models import Dataset, DatasetVersion
from hygie.web.guichet.models import Application, ApplicationEvent, Result
from hygie.web.register import labels
from hygie.web.register.results import results_due

# The facts a step records that are public, whichever the step.
PUBLIC_FACTS = ("opinion", "reasons", "scope", "conditions", "until", "result", "methodology",
                "reference")
# A "reason" is public where it is a decision's (a refusal, a suspension, a revocation), not where
# it asks the applicant for complements: a step of the deciding bodies, or one ending the file.
DECIDING = frozenset({Role.CESREES, Role.CNIL})
# The stages of a project allowed to go ahead: a step reaching one with an end date or for good
# grants an authorisation (a permit, a declaration, an answer), which gets its reference.
GRANTED = frozenset({"authorised", "granted", "declared", "answered"})


def public() -> QuerySet[Application]:
    """Every file from its receipt, newest first, with what listing them needs."""
    entered = ApplicationEvent.objects.filter(
        application=OuterRef("pk"), stage_after=OuterRef("stage")).exclude(
        stage_before=F("stage_after")).order_by("-seq").values("at")[:1]
    return (Application.objects.filter(received__isnull=False)
            .annotate(stage_since=Subquery(entered),
                      results_count=Count("results", distinct=True))
            .prefetch_related(Prefetch("datasets", queryset=public_datasets(),
                                       to_attr="public_datasets"))
            .order_by("-received", "-pk"))


def public_datasets() -> QuerySet[Dataset]:
    """The datasets the catalogue shows everyone (a draft dataset named in a file stays
    unnamed in the register, as in the catalogue)."""
    released = DatasetVersion.objects.filter(dataset=OuterRef("pk"), status__in=RELEASED)
    return Dataset.objects.filter(Exists(released)).order_by("title_fr")


def with_history(files: QuerySet[Application]) -> QuerySet[Application]:
    """`files` with their events and results, for entries that show decisions."""
    return files.prefetch_related(
        Prefetch("events", queryset=ApplicationEvent.objects.order_by("seq").only(
            "application_id", "seq", "kind", "at", "data", "stage_before", "stage_after"),
            to_attr="ordered_events"),
        Prefetch("results", queryset=Result.objects.order_by("-published", "-id").only(
            "application_id", "kind", "title", "link", "published"), to_attr="public_results"))


@dataclass(frozen=True)
class Fact:
    key: str
    label: str
    value: str


@dataclass(frozen=True)
class Moment:
    """A public event of the review: a change of stage, an extension, with its public facts."""

    kind: str
    label: str
    at: datetime
    stage: str
    stage_label: str
    facts: tuple[Fact, ...]


@dataclass(frozen=True)
class PublicDataset:
    slug: str
    title: str
    url: str


@dataclass(frozen=True)
class PublicResult:
    kind: str
    kind_label: str
    title: str
    link: str  # an http(s) address, or ""
    published: date


@dataclass(frozen=True)
class Entry:
    pk: int
    reference: str
    url: str
    title: str
    acronym: str
    controller: str
    purpose: str
    public_interest: str
    lay_summary: str
    procedure: str
    procedure_label: str
    stage: str
    stage_label: str
    received: datetime
    decided: datetime | None
    ends: date | None
    datasets: tuple[PublicDataset, ...]
    results_due: date | None  # the last day to publish results, where the law sets one
    results_count: int
    overdue: bool  # that day has passed with no result
    # Only with the history (`with_history`):
    opinion: Moment | None = None
    decision: Moment | None = None
    authorisation_reference: str = ""
    history: tuple[Moment, ...] = ()
    results: tuple[PublicResult, ...] = ()

    @property
    def decision_facts(self) -> tuple[Fact, ...]:
        return self.decision.facts if self.decision is not None else ()


def summary(application: Application, today: date) -> Entry:
    """The file's public entry without its history (listings)."""
    datasets = getattr(application, "public_datasets", None)
    if datasets is None:
        datasets = list(public_datasets().filter(applications=application))
    count = getattr(application, "results_count", None)
    if count is None:
        count = application.results.count()
    due = results_due(application)
    assert application.received is not None, "a draft is never in the register"
    return Entry(
        pk=application.pk, reference=application.reference,
        url=reverse("register:entry", args=[application.pk]), title=application.title,
        acronym=application.acronym, controller=application.controller,
        purpose=application.purpose, public_interest=application.public_interest,
        lay_summary=application.lay_summary, procedure=application.procedure,
        procedure_label=labels.procedure(application.procedure), stage=application.stage,
        stage_label=labels.stage(application.stage), received=application.received,
        decided=application.decided, ends=application.ends,
        datasets=tuple(PublicDataset(d.slug, d.title, d.get_absolute_url()) for d in datasets),
        results_due=due, results_count=count,
        overdue=due is not None and today > due and count == 0)


def entry(application: Application, today: date) -> Entry:
    """The file's whole public entry: its summary, the public history, decisions and results."""
    base = summary(application, today)
    events = getattr(application, "ordered_events", None)
    if events is None:
        events = list(application.events.order_by("seq"))
    history = tuple(m for m in (_moment(application.procedure, e) for e in events) if m)
    results = getattr(application, "public_results", None)
    if results is None:
        results = list(application.results.all())
    opinion = next((m for m in reversed(history) if any(f.key == "opinion" for f in m.facts)),
                   None)
    decisions = [m for m in history if _decisive(application.procedure, m)]
    granted = [m for m in decisions if _grants(application.procedure, m)]
    reference = ""
    if granted:
        given = next((f.value for f in granted[-1].facts if f.key == "reference"), "")
        reference = given or f"{application.reference}-A{len(granted)}"
    return replace(base, opinion=opinion, decision=decisions[-1] if decisions else None,
                   authorisation_reference=reference, history=history,
                   results=tuple(_result(r) for r in results))


def _moment(procedure: str, event: ApplicationEvent) -> Moment | None:
    """The public side of an event: a change of stage or a period extended, with its public
    facts; None for what stays inside the review (a data holder consulted, its answer)."""
    proc = procedures().get(procedure)
    step = None if proc is None else proc.steps.get(event.kind)
    if proc is None or step is None or (event.stage_before == event.stage_after
                                        and step.extends is None):
        return None
    public = set(PUBLIC_FACTS)
    if step.role in DECIDING or event.stage_after in proc.final:
        public.add("reason")
    recorded: dict[str, Any] = {**step.records, **(event.data or {})}
    facts = tuple(Fact(key, labels.fact(key), _said(key, recorded[key]))
                  for key in (*PUBLIC_FACTS, "reason") if key in public and recorded.get(key))
    return Moment(event.kind, labels.step(event.kind), event.at, event.stage_after,
                  labels.stage(event.stage_after), facts)


def _said(key: str, value: Any) -> str:
    if key == "opinion":
        return labels.opinion(str(value))
    if key == "until" and isinstance(value, str):
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            return value
    return str(value)


def _decisive(procedure: str, moment: Moment) -> bool:
    """A decision: a deciding body's or the secretariat's step that ends the file or opens (or
    changes) a period in force: authorised, refused, suspended, revoked, declared, answered."""
    proc = procedures()[procedure]
    step = proc.steps[moment.kind]
    if step.role in (Role.APPLICANT, Role.CALENDAR) or step.to is None:
        return False
    target = proc.stages[step.to]  # an amendment under review has an end date and a clock
    return target.final or (target.ends is not None and target.clock is None)


def _grants(procedure: str, moment: Moment) -> bool:
    proc = procedures()[procedure]
    step = proc.steps[moment.kind]
    return step.to in GRANTED and ("until" in step.needs or proc.stages[step.to].final)


def _result(result: Result) -> PublicResult:
    link = result.link if result.link.lower().startswith(("https://", "http://")) else ""
    return PublicResult(result.kind, str(result.get_kind_display()), result.title, link,
                        result.published)


def today() -> date:
    """Today in France, the day deadlines count."""
    return day_of(timezone.now())
