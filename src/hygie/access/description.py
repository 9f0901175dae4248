"""A review procedure as data: its stages, steps, clocks, loaded from YAML and checked on loading.

A procedure is described, not programmed, so that a new national procedure (or a change of a
legal period) is a reviewed text file, not new code. The files are YAML rather than Python: a
description cannot run anything (`yaml.safe_load`), a lawyer can read and diff it, and pydantic
refuses a bad one on loading with the place of the mistake, before any application uses it.

```yaml
name: my-procedure            # what the submission's `path` names
stages:
  draft: {}
  review: {clock: review}     # the clock runs while the application is in this stage
  incomplete: {stops: [review]}   # ... stops here, and resumes with the remaining time
  granted: {final: true}
clocks:
  review: {length: 10, unit: working_days, lapse: {step: deemed, says: the opinion is deemed given},
           extension: {times: 1}}     # by the clock's own length unless `length`/`unit` say
steps:
  submit: {role: applicant, from: [draft, incomplete], to: review, what: submit the application}
  deemed: {role: calendar, from: [review], to: granted, records: {opinion: deemed}, what: ...}
  grant: {role: secretariat, from: [review], to: granted, needs: {until: future_date}, what: ...}
```
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum
from importlib import resources
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PositiveInt, ValidationError, model_validator

from hygie.access.calendar import Unit


class Role(StrEnum):
    """Who may take a step. Closed: a role is granted to people by the platform, so a new one is
    a change of the accounts, not of a procedure."""

    APPLICANT = "applicant"
    SECRETARIAT = "secretariat"  # of the access body (the HDH, the French health data access body)
    CESREES = "cesrees"
    CNIL = "cnil"  # the data protection authority, which authorises (or its agent recording it)
    DATA_HOLDER = "data_holder"  # consulted on a file whose scope holds its data
    CALENDAR = "calendar"  # what the passing of a deadline does


class DescriptionError(ValueError):
    """A procedure description that cannot be used; the message names the file and the place."""


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Choice(_Model):
    choice: tuple[str, ...] = Field(min_length=1)
    label: str = ""  # "a reference methodology": for the message refusing another value


# text: a non-blank string; future_date: a date after the day of the step; or one of a list.
Need = Literal["text", "future_date"] | Choice


class Lapse(_Model):
    step: str  # the calendar's step, taken the day after the deadline
    says: str  # what the lapse means, for the message refusing a late step


class Term(_Model):
    """A stage that ends on a date a step recorded (an authorisation's end date): the calendar
    takes `step` the day after it."""

    date: str  # the recorded fact holding the last day
    step: str
    says: str  # what the end means, for the message refusing a later step


class Extension(_Model):
    times: PositiveInt = 1
    length: PositiveInt | None = None  # by the clock's own length when not given
    unit: Unit | None = None


class Clock(_Model):
    length: PositiveInt
    unit: Unit
    lapse: Lapse | None = None  # None: a late decision is overdue, and still allowed
    extension: Extension | None = None


class StageSpec(_Model):
    label: str = ""  # "the CESREES": who holds the file, in messages
    final: bool = False
    clock: str | None = None  # runs in this stage: starts on entry, or resumes if it was stopped
    stops: tuple[str, ...] = ()  # stopped (not ended) on entering this stage
    ends: Term | None = None


class Step(_Model):
    role: Role
    from_: tuple[str, ...] | Literal["open"] = Field(alias="from")  # "open": every non-final stage
    to: str | None = None  # None: the stage does not change
    what: str  # "forward the file to the CESREES", for messages
    needs: dict[str, Need] = {}
    records: dict[str, str] = {}  # fixed facts the step records, e.g. {opinion: deemed}
    extends: str | None = None  # the clock this step extends


class Procedure(_Model):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str
    sources: tuple[str, ...] = Field(min_length=1)  # the legal texts, for the docs and the register
    start: str = "draft"
    stages: dict[str, StageSpec]
    clocks: dict[str, Clock] = {}
    steps: dict[str, Step]

    @property
    def final(self) -> frozenset[str]:
        return frozenset(name for name, s in self.stages.items() if s.final)

    def sources_of(self, step: Step) -> frozenset[str]:
        """The stages a step may be taken from."""
        if step.from_ == "open":
            return frozenset(self.stages) - self.final
        return frozenset(step.from_)

    def clock_of(self, stage: str) -> Clock | None:
        name = self.stages[stage].clock
        return None if name is None else self.clocks[name]

    @model_validator(mode="after")
    def _consistent(self) -> Procedure:
        problems = [p for p in _problems(self) if p]
        if problems:
            raise ValueError("; ".join(problems))
        return self


def _problems(p: Procedure) -> Iterator[str | None]:
    def stage(name: str, where: str) -> str | None:
        return None if name in p.stages else f"{where}: no stage {name!r}"

    yield stage(p.start, "start")
    if p.start in p.final:
        yield "start: the first stage cannot be final"
    if not p.final:
        yield "stages: no final stage"
    for name, s in p.stages.items():
        for clock in (*([s.clock] if s.clock else []), *s.stops):
            if clock not in p.clocks:
                yield f"stages.{name}: no clock {clock!r}"
        if s.clock is not None and s.clock in s.stops:
            yield f"stages.{name}: runs and stops {s.clock!r}"
        if s.final and (s.clock or s.stops or s.ends):
            yield f"stages.{name}: a final stage runs no clock"
        if s.ends is not None:
            ending = p.steps.get(s.ends.step)
            if ending is None or ending.role != Role.CALENDAR or ending.to is None:
                yield (f"stages.{name}.ends: {s.ends.step!r} is not a calendar step that moves "
                       "the file")
            elif name not in p.sources_of(ending):
                yield f"stages.{name}.ends: {s.ends.step!r} is not taken from {name!r}"
        if not s.final and not any(name in p.sources_of(t) for t in p.steps.values()):
            yield f"stages.{name}: no step leaves it"
    for name, t in p.steps.items():
        where = f"steps.{name}"
        if t.from_ != "open":
            yield from (stage(s, f"{where}.from") for s in t.from_)
            yield from (f"{where}.from: {s!r} is final" for s in t.from_ if s in p.final)
        if t.to is not None:
            yield stage(t.to, f"{where}.to")
        if "path" in t.needs or "path" in t.records:
            yield f"{where}: 'path' names the procedure and is not a step's data"
        if t.extends is not None:
            extended = p.clocks.get(t.extends)
            if extended is None or extended.extension is None:
                yield f"{where}.extends: no extensible clock {t.extends!r}"
            elif t.to is not None or any(p.stages[s].clock != t.extends for s in p.sources_of(t)
                                         if s in p.stages):
                yield f"{where}.extends: taken in a stage where {t.extends!r} runs, staying there"
        if t.role == Role.CALENDAR and not (
                any(c.lapse and c.lapse.step == name for c in p.clocks.values())
                or any(s.ends and s.ends.step == name for s in p.stages.values())):
            yield f"{where}: the calendar only takes the step of a lapse or of an end date"
    for name, c in p.clocks.items():
        if c.lapse is None:
            continue
        lapse = p.steps.get(c.lapse.step)
        runs = {s for s, v in p.stages.items() if v.clock == name}
        if lapse is None or lapse.role != Role.CALENDAR or lapse.to is None:
            yield f"clocks.{name}.lapse: {c.lapse.step!r} is not a calendar step that moves the file"
        elif lapse.from_ == "open" or set(lapse.from_) != runs:
            yield f"clocks.{name}.lapse: {c.lapse.step!r} is taken from every stage where {name!r} runs"


def load(text: str, source: str = "<text>") -> Procedure:
    """A procedure from its YAML description; DescriptionError names the source and the place."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise DescriptionError(f"{source}: not YAML: {e}") from None
    if not isinstance(data, dict):
        raise DescriptionError(f"{source}: a procedure is a mapping of name, stages, steps...")
    try:
        return Procedure.model_validate(data)
    except ValidationError as e:
        where = "; ".join(f"{'.'.join(str(x) for x in err['loc']) or 'procedure'}: {err['msg']}"
                          for err in e.errors())
        raise DescriptionError(f"{source}: {where}") from None


def packaged() -> dict[str, Procedure]:
    """The procedures shipped with Hygie (`hygie/data/procedures/*.yaml`), by name."""
    folder = resources.files("hygie") / "data" / "procedures"
    found: dict[str, Procedure] = {}
    for entry in sorted(folder.iterdir(), key=lambda f: f.name):
        if entry.name.endswith(".yaml"):
            procedure = load(entry.read_text(encoding="utf-8"), f"procedures/{entry.name}")
            if procedure.name in found:
                raise DescriptionError(f"procedures/{entry.name}: {procedure.name!r} twice")
            found[procedure.name] = procedure
    return found

