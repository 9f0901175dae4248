"""Editing the catalogue: datasets and their metadata, new versions from Frictionless
descriptors, table and variable descriptions in drafts, and the publication workflow.

Who: a data holder's editors (`Membership`) and the catalogue team (`access.can_edit`). A user who
cannot see an entry gets 404 (drafts do not reveal themselves); one who can see it but not do the
action gets 403; a step the version's status does not allow gets 409. Every change is audited in
its own transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Max, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from hygie.catalogue.frictionless import parse_descriptor, read_upload
from hygie.catalogue.spec import SpecError
from hygie.web.audit.actions import Action
from hygie.web.audit.record import record
from hygie.web.catalogue import workflow
from hygie.web.catalogue.access import can_edit, get_version, visible_versions
from hygie.web.catalogue.forms import (
    DatasetForm,
    NewDatasetForm,
    SendBackForm,
    TableTextsForm,
    UploadForm,
    VariableTextsFormSet,
)
from hygie.web.catalogue.importer import import_version
from hygie.web.catalogue.models import DataHolder, Dataset, DatasetVersion, Status
from hygie.web.catalogue.uploads import SizeLimit, declared_too_big
from hygie.web.problems import problems as readable_problems

View = Callable[..., HttpResponse]
VARIABLES_PER_PAGE = 100


def refusals(view: View) -> View:
    """Show why an action was refused: 403 (not allowed) or 409 (not in this status)."""
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except PermissionDenied as exc:
            reason, status = str(exc) or _("You may not do this."), 403
        except workflow.WorkflowError as exc:
            reason, status = str(exc), 409
        return render(request, "catalogue/refused.html", {"reason": reason}, status=status)
    return wrapped


def editable_dataset(user: Any, slug: str) -> Dataset:
    """The dataset `user` edits: 404 when they cannot even see it, 403 when they only read it."""
    dataset = Dataset.objects.select_related("holder").filter(slug=slug).first()
    if dataset is None:
        raise Http404("no such dataset")
    if can_edit(user, dataset):
        return dataset
    if visible_versions(user).filter(dataset=dataset).exists():
        raise PermissionDenied(_("You do not edit this dataset."))
    raise Http404("no such dataset")


def editable_version(user: Any, slug: str, number: int) -> DatasetVersion:
    version = get_version(user, slug, number)  # 404 when not visible
    if not can_edit(user, version.dataset):
        raise PermissionDenied(_("You do not edit this dataset."))
    return version


def editable_holders(user: Any) -> QuerySet[DataHolder]:
    if user.is_catalogue_team:
        return DataHolder.objects.all()
    return DataHolder.objects.filter(memberships__user=user)


# --- the editor's overview ------------------------------------------------------------------------


@login_required
@refusals
def overview(request: HttpRequest) -> HttpResponse:
    """The datasets the user edits, with their latest version, and what awaits review."""
    user = request.user
    datasets = Dataset.objects.select_related("holder").annotate(last=Max("versions__number"))
    if not user.is_catalogue_team:
        datasets = datasets.filter(holder__memberships__user=user)
    latest = {(v.dataset_id, v.number): v for v in DatasetVersion.objects.filter(
        dataset__in=datasets).only("dataset_id", "number", "status")}
    rows = [(ds, latest.get((ds.pk, ds.last))) for ds in datasets]
    in_review = (DatasetVersion.objects.filter(status=Status.REVIEW, dataset__in=datasets)
                 .select_related("dataset", "dataset__holder").order_by("created"))
    return render(request, "catalogue/editing/overview.html", {
        "rows": rows, "in_review": in_review,
        "can_create": editable_holders(user).exists()})


# --- datasets -------------------------------------------------------------------------------------


@login_required
@refusals
def create_dataset(request: HttpRequest) -> HttpResponse:
    holders = editable_holders(request.user)
    if not holders.exists():
        raise PermissionDenied(_("You edit no data holder's entries."))
    form = NewDatasetForm(request.POST or None, holders=holders)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            dataset = form.save()
            record(Action.DATASET_CREATED, dataset, request=request,
                   holder=dataset.holder.slug)
        messages.success(request, _("Dataset created. Upload its description as a first "
                                    "version."))
        return redirect("catalogue:upload", slug=dataset.slug)
    return render(request, "catalogue/editing/dataset_form.html", {"form": form, "dataset": None},
                  status=400 if form.errors else 200)


@login_required
@refusals
def edit_dataset(request: HttpRequest, slug: str) -> HttpResponse:
    dataset = editable_dataset(request.user, slug)
    before = {name: getattr(dataset, name) for name in DatasetForm.Meta.fields}
    form = DatasetForm(request.POST or None, instance=dataset)
    if request.method == "POST" and form.is_valid():
        changed = {name: [before[name], form.cleaned_data[name]] for name in before
                   if before[name] != form.cleaned_data[name]}
        if changed:
            with transaction.atomic():
                form.save()
                record(Action.DATASET_EDITED, dataset, request=request, changed=changed)
            messages.success(request, _("The dataset's details are saved."))
        else:
            messages.info(request, _("Nothing changed."))
        return redirect(_dataset_page(dataset))
    return render(request, "catalogue/editing/dataset_form.html",
                  {"form": form, "dataset": dataset}, status=400 if form.errors else 200)


def _dataset_page(dataset: Dataset) -> str:
    """The dataset's page, or the upload page while it has no version to show."""
    if dataset.versions.exists():
        return dataset.get_absolute_url()
    return reverse("catalogue:upload", args=[dataset.slug])


# --- new versions ---------------------------------------------------------------------------------


@csrf_exempt  # CSRF is checked by _upload, after the size: reading the token reads the body
@login_required
@refusals
def upload(request: HttpRequest, slug: str) -> HttpResponse:
    dataset = editable_dataset(request.user, slug)
    limit = settings.HYGIE_MAX_UPLOAD_BYTES
    if request.method == "POST":
        if declared_too_big(request, limit):  # refused unread; nothing changes, so no token
            return _upload_page(request, dataset, UploadForm(), status=413, problems=[
                ("file", _("larger than the %(limit)s bytes allowed") % {"limit": limit})])
        request.upload_handlers.insert(0, SizeLimit(request, limit))
    return _upload(request, dataset, limit)


@csrf_protect
def _upload(request: HttpRequest, dataset: Dataset, limit: int) -> HttpResponse:
    if request.method != "POST":
        return _upload_page(request, dataset, UploadForm())
    form = UploadForm(request.POST, request.FILES)
    if any(getattr(h, "exceeded", False) for h in request.upload_handlers):
        return _upload_page(request, dataset, form, status=413, problems=[
            ("file", _("larger than the %(limit)s bytes allowed") % {"limit": limit})])
    if not form.is_valid():
        return _upload_page(request, dataset, form, status=400)
    upload = form.cleaned_data["file"]
    filename = PurePath(upload.name or "descriptor.json").name
    try:
        spec = parse_descriptor(
            read_upload(upload, limit), name=filename.split(".")[0],
            language=form.cleaned_data["language"], origin=filename,
            known_nomenclatures=dataset.nomenclatures.values_list("name", flat=True))
        version = import_version(dataset, spec, user=request.user, origin=filename,
                                 label=form.cleaned_data["label"],
                                 change_note=form.cleaned_data["change_note"])
    except SpecError as exc:
        return _upload_page(request, dataset, form, status=400,
                            problems=readable_problems(exc.problems))
    messages.success(request, _("Version %(number)s imported as a draft: %(tables)s tables.")
                     % {"number": version.number, "tables": len(spec.tables)})
    return redirect(version.get_absolute_url())


def _upload_page(request: HttpRequest, dataset: Dataset, form: UploadForm, *, status: int = 200,
                 problems: list[tuple[str, str]] | None = None) -> HttpResponse:
    return render(request, "catalogue/editing/upload.html", {
        "dataset": dataset, "form": form, "problems": problems or [],
        "limit": settings.HYGIE_MAX_UPLOAD_BYTES}, status=status)


# --- descriptions in a draft ----------------------------------------------------------------------


def _draft(user: Any, slug: str, number: int) -> DatasetVersion:
    version = editable_version(user, slug, number)
    if version.status != Status.DRAFT:
        raise workflow.WorkflowError(_("Only drafts can be edited; version %(number)s is "
                                       "%(status)s.") % {"number": version.number,
                                                         "status": version.get_status_display()})
    return version


@login_required
@refusals
def describe(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    """A draft's tables, each with a link to edit its texts and its variables'."""
    version = _draft(request.user, slug, number)
    tables = version.tables.annotate(n_variables=Count("variables")).order_by("position", "name")
    return render(request, "catalogue/editing/describe.html", {
        "dataset": version.dataset, "version": version, "tables": tables})


@login_required
@refusals
def describe_table(request: HttpRequest, slug: str, number: int, name: str) -> HttpResponse:
    version = _draft(request.user, slug, number)
    table = get_object_or_404(version.tables, name=name)
    # A page of variables per form: a wide table stays under DATA_UPLOAD_MAX_NUMBER_FIELDS.
    page = Paginator(table.variables.order_by("position").only("pk"), VARIABLES_PER_PAGE
                     ).get_page(request.GET.get("page"))
    variables = table.variables.filter(pk__in=[v.pk for v in page]).order_by("position")
    data = request.POST if request.method == "POST" else None
    form = TableTextsForm(data, instance=table, prefix="table")
    formset = VariableTextsFormSet(data, queryset=variables, prefix="var")
    mismatch = data is not None and not _rows_match(formset, variables)
    if mismatch:  # rows added, dropped or renumbered by hand: show the page's rows afresh
        formset = VariableTextsFormSet(queryset=variables, prefix="var")
        messages.error(request, _("The form does not match the table's variables; "
                                  "reload the page."))
    elif request.method == "POST" and form.is_valid() and formset.is_valid():
        changes = _text_changes(form, formset)
        if not changes:
            messages.info(request, _("Nothing changed."))
            return redirect(table.get_absolute_url())
        with transaction.atomic():
            _draft_locked(version)
            form.save()
            formset.save()
            record(Action.DESCRIPTIONS_EDITED, version, request=request, table=table.name,
                   changed=changes)
        messages.success(request, _("Descriptions saved."))
        return redirect(table.get_absolute_url())
    return render(request, "catalogue/editing/describe_table.html", {
        "dataset": version.dataset, "version": version, "table": table, "form": form,
        "formset": formset, "rows": list(zip(variables, formset.forms, strict=True)),
        "page": page},
        status=400 if request.method == "POST" else 200)


def _rows_match(formset: Any, variables: QuerySet[Any]) -> bool:
    """Whether a posted formset has one row per variable of the page, in the page's order (its
    management form says how many rows, and a hand-made one may say anything)."""
    if not formset.management_form.is_valid():
        return False
    expected = [v.pk for v in variables]
    if formset.total_form_count() != len(expected):  # before .forms builds that many forms
        return False
    return [f.instance.pk for f in formset.forms] == expected


def _draft_locked(version: DatasetVersion) -> None:
    """Inside the saving transaction: the version is still a draft (not submitted meanwhile)."""
    status = (DatasetVersion.objects.select_for_update().filter(pk=version.pk)
              .values_list("status", flat=True).first())
    if status != Status.DRAFT:
        raise workflow.WorkflowError(_("The version was submitted meanwhile: nothing was saved."))


def _short(value: str) -> str:
    return value if len(value) <= 500 else value[:499] + "…"


def _text_changes(form: TableTextsForm, formset: Any) -> dict[str, dict[str, list[str]]]:
    """{"": table changes, variable: changes}, each {field: [before, after]} (texts cut at 500
    characters for the audit trail)."""
    changes: dict[str, dict[str, list[str]]] = {}
    forms = [("", form), *((f.instance.name, f) for f in formset.forms)]
    for key, f in forms:
        changed = {name: [_short(str(f.initial.get(name) or "")),
                          _short(str(f.cleaned_data.get(name) or ""))]
                   for name in f.changed_data}
        if changed:
            changes[key] = changed
    return changes


# --- the workflow ---------------------------------------------------------------------------------


@require_POST
@login_required
@refusals
def submit(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    version = editable_version(request.user, slug, number)
    workflow.submit(version, request.user, request=request)
    messages.success(request, _("Version %(number)s is submitted to the catalogue team.")
                     % {"number": version.number})
    return redirect(version.get_absolute_url())


@require_POST
@login_required
@refusals
def publish(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    version = editable_version(request.user, slug, number)
    workflow.publish(version, request.user, request=request)
    messages.success(request, _("Version %(number)s is published.") % {"number": version.number})
    return redirect(version.get_absolute_url())


@login_required
@refusals
def send_back(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    version = editable_version(request.user, slug, number)
    if not request.user.is_catalogue_team:
        raise PermissionDenied(_("Only the catalogue team can send a version back."))
    form = SendBackForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        workflow.send_back(version, request.user, form.cleaned_data["comment"], request=request)
        messages.success(request, _("Version %(number)s is sent back to its editors.")
                         % {"number": version.number})
        return redirect(version.get_absolute_url())
    return render(request, "catalogue/editing/send_back.html", {
        "dataset": version.dataset, "version": version, "form": form},
        status=400 if form.errors else 200)
