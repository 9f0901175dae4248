"""Making and changing a saved cohort: the form-based builder and the YAML editor, and the way
from one to the other.

- `/feasibility/new/`: the builder (one entry event, criteria added as needed);
  `/feasibility/new/yaml/`: the YAML editor, starting from an example.
- `/feasibility/cohorts/<pk>/edit/`: the builder when the form can express the definition, else
  the YAML editor saying why (`?as=yaml` asks for the editor). A POST with a `definition` field
  comes from the YAML editor, any other from the builder.
- Each page has a button to show what was typed in the other one without saving it ("yaml" from
  the builder, "form" from the editor).

Without a script, the builder's own buttons post the form with an `action`: `add:entry`,
`add:rule`, `remove:rule-2`, `find:entry-0` (codes whose label matches the row's lookup field)
and `pick:entry-0:E11*` (add a found code to the row). These show the form again, as typed, with
no errors; only `save` (the default) and `yaml` check it.
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from hygie.cohorts.model import Cohort, DefinitionError
from hygie.web.feasibility import builder, definitions, lookup, services
from hygie.web.feasibility.access import get_cohort
from hygie.web.feasibility.forms import (
    BuilderForm,
    CohortYamlForm,
    EntryForm,
    EntryFormSet,
    RuleForm,
    RuleFormSet,
    build_from,
    check_sources,
    dataset_kinds,
    initial_of,
)
from hygie.web.feasibility.models import SavedCohort
from hygie.web.problems import lines as problem_lines

EXAMPLE = """name: t2d_adults
title: Type 2 diabetes, adults
period: {start: 2020-01-01, end: 2021-12-31}
codelists:
  t2d: {system: CIM10, codes: ["E11*"]}
  metformin: {system: ATC, codes: [A10BA02]}
entry:
  any_of:
    - diagnosed: t2d
    - dispensed: metformin
require:
  - age_at_index: {min: 18}
"""

_ACTION = re.compile(r"^(add|remove|find|pick):(entry|rule)(?:-(\d{1,3}))?(?::([0-9A-Za-z*]{1,14}))?$")
_GROUPS = {"entry": (EntryForm, builder.MAX_ENTRIES), "rule": (RuleForm, builder.MAX_RULES)}


def _forms(request: HttpRequest, data: Any = None, initial: tuple[Any, Any, Any] | None = None,
           quiet: bool = False) -> tuple[BuilderForm, Any, Any]:
    if data is not None:
        head = BuilderForm(data, user=request.user)
        entries, rules = EntryFormSet(data, prefix="entry"), RuleFormSet(data, prefix="rule")
        head.quiet = entries.quiet = rules.quiet = quiet
        return head, entries, rules
    first, entry_rows, rule_rows = initial or ({}, [{}], [])
    return (BuilderForm(user=request.user, initial=first),
            EntryFormSet(prefix="entry", initial=entry_rows),
            RuleFormSet(prefix="rule", initial=rule_rows))


def _builder_page(request: HttpRequest, forms: tuple[BuilderForm, Any, Any],
                  cohort: SavedCohort | None) -> HttpResponse:
    head, entries, rules = forms
    url = reverse("feasibility:edit", args=[cohort.pk]) if cohort else reverse("feasibility:build")
    return render(request, "feasibility/builder.html", {
        "form": head, "entries": entries, "rules": rules, "cohort": cohort, "form_url": url,
        "has_datasets": head.fields["dataset"].queryset.exists(),
        "max_entries": builder.MAX_ENTRIES, "max_rules": builder.MAX_RULES})


def _reasons(text: str) -> tuple[builder.Rows | None, list[str]]:
    """The form's rows of a definition, or why the form cannot show it (nothing when the
    definition itself does not hold: its own problems are shown)."""
    try:
        return builder.rows_of(definitions.load(text)), []
    except DefinitionError:
        return None, []
    except builder.NotExpressible as exc:
        return None, problem_lines(exc.reasons)


def _editor_page(request: HttpRequest, form: CohortYamlForm, cohort: SavedCohort | None,
                 reasons: list[str] | None = None) -> HttpResponse:
    url = reverse("feasibility:edit", args=[cohort.pk]) if cohort else reverse("feasibility:write")
    text = form.data.get("definition") if form.is_bound else form.initial.get("definition")
    rows, why = _reasons(str(text or ""))
    return render(request, "feasibility/editor.html", {
        "form": form, "cohort": cohort, "form_url": url, "expressible": rows is not None,
        "reasons": reasons if reasons is not None else why})


# --- the builder's own buttons ------------------------------------------------------------------


def _clamp(data: QueryDict, prefix: str) -> int:
    """The number of rows posted, within what the form holds."""
    try:
        n = int(data.get(f"{prefix}-TOTAL_FORMS", "0"))
    except ValueError:
        n = 0
    n = max(0, min(n, _GROUPS[prefix][1]))
    data[f"{prefix}-TOTAL_FORMS"] = str(n)
    return n


def _add(data: QueryDict, prefix: str) -> int | None:
    n = _clamp(data, prefix)
    if n >= _GROUPS[prefix][1]:
        return None
    data.update({f"{prefix}-{n}-at_least": "1", f"{prefix}-{n}-diagnosis_in": "all"})
    if prefix == "rule":
        data[f"{prefix}-{n}-mode"] = "require"
    data[f"{prefix}-TOTAL_FORMS"] = str(n + 1)
    return n


def _remove(data: QueryDict, prefix: str, index: int) -> None:
    n = _clamp(data, prefix)
    if index >= n:
        return
    names = list(_GROUPS[prefix][0].base_fields)
    for i in range(index, n - 1):  # the rows after it move up
        for name in names:
            data.setlist(f"{prefix}-{i}-{name}", data.getlist(f"{prefix}-{i + 1}-{name}"))
    for name in names:
        data.pop(f"{prefix}-{n - 1}-{name}", None)
    data[f"{prefix}-TOTAL_FORMS"] = str(n - 1)


def _pick(data: QueryDict, prefix: str, index: int, code: str) -> None:
    key = f"{prefix}-{index}-codes"
    codes = builder.split_codes(data.get(key, ""))
    if code.upper() not in codes:
        codes.append(code.upper())
    data[key] = ", ".join(codes)
    data[f"{prefix}-{index}-lookup"] = ""


def _row_action(request: HttpRequest, cohort: SavedCohort | None, action: str) -> HttpResponse:
    """Show the form again after one of its own buttons, with what was typed and no errors."""
    m = _ACTION.match(action)
    data = request.POST.copy()
    found: tuple[str, int, list[lookup.Hit]] | None = None
    focus: tuple[str, int, str] | None = None
    if m:
        what, prefix, index, code = m.group(1), m.group(2), int(m.group(3) or 0), m.group(4)
        if what == "add":
            added = _add(data, prefix)
            focus = (prefix, added, "kind") if added is not None else None
        elif what == "remove":
            _remove(data, prefix, index)
        elif what == "pick" and code:
            _pick(data, prefix, index, code)
            focus = (prefix, index, "lookup")
        elif what == "find":
            systems = builder.EVENT_SYSTEMS.get(data.get(f"{prefix}-{index}-kind", ""), ())
            hits, _more = lookup.search(systems, data.get(f"{prefix}-{index}-lookup", ""))
            found, focus = (prefix, index, hits), (prefix, index, "lookup")
    _head, entries, rules = forms = _forms(request, data, quiet=True)
    groups = {"entry": entries, "rule": rules}
    if found and found[1] < len(groups[found[0]].forms):
        groups[found[0]].forms[found[1]].found = found[2]
    if focus and focus[1] < len(groups[focus[0]].forms):
        groups[focus[0]].forms[focus[1]].fields[focus[2]].widget.attrs["autofocus"] = True
    return _builder_page(request, forms, cohort)


# --- the builder --------------------------------------------------------------------------------


def _same(text: str, cohort: Cohort) -> bool:
    """Whether a saved definition says what `cohort` says (then its text, comments and all, is
    kept)."""
    try:
        return builder.meaning(definitions.load(text)) == builder.meaning(cohort)
    except DefinitionError:
        return False


def _builder(request: HttpRequest, cohort: SavedCohort | None,
             rows: builder.Rows | None = None) -> HttpResponse:
    if request.method != "POST":
        initial = None
        if cohort is not None and rows is not None:
            initial = initial_of(rows, cohort.name, cohort.dataset.slug)
        elif request.GET.get("dataset"):
            initial = ({"dataset": request.GET["dataset"]}, [{}], [])
        return _builder_page(request, _forms(request, initial=initial), cohort)
    action = request.POST.get("action", "save")
    if action not in ("save", "yaml"):
        return _row_action(request, cohort, action)
    head, entries, rules = forms = _forms(request, request.POST)
    if not (head.is_valid() and entries.is_valid() and rules.is_valid()):
        return _builder_page(request, forms, cohort)
    if head.cleaned_data["period_end"] < head.cleaned_data["period_start"]:
        head.add_error("period_end", _("The period ends before it starts."))
        return _builder_page(request, forms, cohort)
    if not check_sources(head, entries, rules):
        return _builder_page(request, forms, cohort)
    built, checked = build_from(head, entries, rules)
    if checked is None:
        return _builder_page(request, forms, cohort)
    text = cohort.definition if cohort and _same(cohort.definition, checked) else built.yaml
    name, dataset = head.cleaned_data["name"], head.cleaned_data["dataset"]
    if action == "yaml":
        form = CohortYamlForm(user=request.user, initial={
            "name": name, "dataset": dataset.slug, "definition": text})
        return _editor_page(request, form, cohort)
    try:
        if cohort is None:
            saved = services.create_cohort(request.user, dataset, name, text, request=request,
                                           via="builder")
            messages.success(request, _("Cohort saved. You can now run its counts."))
            return redirect(saved)
        services.update_cohort(cohort, name=name, dataset=dataset, definition=text,
                               request=request)
    except DefinitionError as exc:  # the platform's limits (definitions.load)
        head.add_error(None, problem_lines(exc.problems))
        return _builder_page(request, forms, cohort)
    messages.success(request, _("Cohort saved."))
    return redirect(cohort)


@login_required
@require_http_methods(["GET", "POST"])
def build(request: HttpRequest) -> HttpResponse:
    """The form-based builder: its rows make a definition in the targeting language."""
    return _builder(request, None)


# --- the YAML editor ----------------------------------------------------------------------------


def _to_form(request: HttpRequest, form: CohortYamlForm,
             cohort: SavedCohort | None) -> HttpResponse:
    """The builder showing the definition typed in the editor, when the form can express it."""
    if not form.is_valid() or form.cohort is None:
        return _editor_page(request, form, cohort)
    try:
        rows = builder.rows_of(form.cohort)
    except builder.NotExpressible as exc:
        return _editor_page(request, form, cohort, problem_lines(exc.reasons))
    initial = initial_of(rows, form.cleaned_data["name"], form.cleaned_data["dataset"].slug)
    return _builder_page(request, _forms(request, initial=initial), cohort)


def _yaml(request: HttpRequest, cohort: SavedCohort | None) -> HttpResponse:
    if request.method != "POST":
        initial = ({"name": cohort.name, "dataset": cohort.dataset.slug,
                    "definition": cohort.definition} if cohort else
                   {"dataset": request.GET.get("dataset", "snds"), "definition": EXAMPLE})
        return _editor_page(request, CohortYamlForm(user=request.user, initial=initial), cohort)
    form = CohortYamlForm(request.POST, user=request.user)
    if request.POST.get("action") == "form":
        return _to_form(request, form, cohort)
    if not form.is_valid():
        return _editor_page(request, form, cohort)
    data = form.cleaned_data
    if cohort is None:
        saved = services.create_cohort(request.user, data["dataset"], data["name"],
                                       data["definition"], request=request, via="yaml")
        messages.success(request, _("Cohort saved. You can now run its counts."))
        return redirect(saved)
    services.update_cohort(cohort, name=data["name"], dataset=data["dataset"],
                           definition=data["definition"], request=request)
    messages.success(request, _("Cohort saved."))
    return redirect(cohort)


@login_required
@require_http_methods(["GET", "POST"])
def write(request: HttpRequest) -> HttpResponse:
    """A new cohort written in the targeting language."""
    return _yaml(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    """A saved cohort in the builder when the form can express it, else in the YAML editor."""
    cohort = get_cohort(request.user, pk)
    if request.method == "POST":
        return _yaml(request, cohort) if "definition" in request.POST else _builder(
            request, cohort)
    if request.GET.get("as") == "yaml":
        return _yaml(request, cohort)
    rows, _why = _reasons(cohort.definition)
    if rows is None:
        return _yaml(request, cohort)
    if not dataset_kinds(request.user)[0].get(cohort.dataset.slug):
        # The form does not offer the cohort's dataset: it would change it without saying.
        form = CohortYamlForm(user=request.user, initial={
            "name": cohort.name, "dataset": cohort.dataset.slug, "definition": cohort.definition})
        return _editor_page(request, form, cohort, [_(
            "The form does not offer %(dataset)s: none of its events is in its data.") % {
                "dataset": cohort.dataset.title}])
    return _builder(request, cohort, rows)
