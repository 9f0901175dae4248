"""Reading a cohort definition typed on the platform (the targeting language, YAML).

`load(text)` is `Cohort.from_yaml` with the limits of the web: a size cap, bounds on what a
definition holds (`hygie.cohorts.limits.Limits`, set in settings), and no code lists read from
files (`from_csv`). A definition from the platform has no folder of its own, and a file name
would make the server read its own files and echo their first line in the error message.
"""

from __future__ import annotations

from typing import Any

import yaml

from hygie.cohorts.limits import Limits, check_yaml
from hygie.cohorts.model import Cohort, DefinitionError

MAX_CHARS = 20_000


def _csv_places(data: Any) -> list[tuple[str, str]]:
    codelists = data.get("codelists") if isinstance(data, dict) else None
    if not isinstance(codelists, dict):
        return []
    return [(f"codelists.{name}.from_csv",
             "code list files cannot be used on the platform; list the codes in `codes`")
            for name, spec in codelists.items() if isinstance(spec, dict) and "from_csv" in spec]


def load(text: str) -> Cohort:
    """The cohort of a definition, or `DefinitionError` naming each problem's place."""
    if len(text) > MAX_CHARS:
        raise DefinitionError([("definition", f"too long ({len(text):,} characters; at most "
                                              f"{MAX_CHARS:,})")])
    if not text.strip():
        raise DefinitionError([("definition", "empty")])
    shape = check_yaml(text)  # before any YAML is composed: the composer recurses
    if shape:
        raise DefinitionError([("definition", shape)])
    try:
        # BaseLoader: the structure only, every scalar as text (nothing to construct, or fail on).
        data = yaml.load(text, Loader=yaml.BaseLoader)
    except yaml.YAMLError:
        data = None  # from_yaml below reports the syntax error with its line and column
    problems = _csv_places(data)
    if problems:
        raise DefinitionError(problems)
    # A string ending with .yaml would be read as a file name: always pass text with a newline.
    cohort = Cohort.from_yaml(text if "\n" in text else text + "\n")
    problems = limits().problems(cohort)
    if problems:
        raise DefinitionError(problems)
    return cohort


def limits() -> Limits:
    from django.conf import settings

    return Limits(**settings.HYGIE_DEFINITION_LIMITS)
