"""`{{ mark|people }}`: a released count as shown, "1 235" in French, "<11" as it is."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def people(mark: object) -> str:
    text = str(mark)
    return number_format(int(text), force_grouping=True) if text.isdigit() else text


@register.filter
def count_rows(cohort: Any) -> list[tuple[str, str]]:
    """A saved cohort's counts as (label, mark), labelled in the reader's language."""
    from hygie.web.feasibility.wording import count_rows as rows

    return rows(cohort)
