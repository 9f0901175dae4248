"""Template tags of the desk: the step buttons the file page shows (`guichet/desk/_steps.html`)."""

from __future__ import annotations

from collections.abc import Sequence

from django import template

from hygie.web.guichet import wording
from hygie.web.guichet.models import Application
from hygie.web.guichet.step_forms import StepGroup, groups
from hygie.web.guichet.workflow import procedure_of

register = template.Library()


@register.simple_tag
def desk_steps(application: Application, steps: Sequence[str] | None) -> list[StepGroup]:
    """The steps the person may take (`workflow.steps_for`), as buttons grouped by role."""
    return groups(procedure_of(application), application, steps or [])


@register.filter
def stage_label(name: str) -> str:
    return wording.stage(name)


@register.filter
def choice_label(value: str) -> str:
    return wording.choice(value)
