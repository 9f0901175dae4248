"""The statistics panel of a dataset version: its state, its charts, and the "Compute" button.

- `panel(version, can_edit)`: what `catalogue/_statistics.html` shows (charts are SVG made here);
- `statistics_compute`: POST, editors of the holder and the catalogue team, audited;
- `statistics_status`: JSON for the page's script, which polls it while a job is queued or running;
- `statistics_fragment`: the panel alone, which the script puts in place when the job ends.

Whoever may read the version may read its statistics: they are released under secrecy. The text of
a failure may name paths and is shown to editors only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from hygie.web import svg
from hygie.web.catalogue.access import can_edit, get_version
from hygie.web.catalogue.models import DatasetVersion, Statistics
from hygie.web.catalogue.tasks import NoLakeAttached, job_is_live, request_statistics

State = Statistics.State

STEP_LABELS = {
    "": gettext_lazy("Waiting for the worker"),
    "open": gettext_lazy("Opening the dataset"),
    "people": gettext_lazy("Counting the people"),
    "years": gettext_lazy("Counting the records by year"),
    "ages": gettext_lazy("Ages and sexes"),
    "codes:ATC": gettext_lazy("Most dispensed drugs"),
    "codes:CIM10": gettext_lazy("Most frequent diagnoses"),
    "codes:CCAM": gettext_lazy("Most frequent medical acts"),
    "secrecy": gettext_lazy("Applying statistical secrecy"),
    "done": gettext_lazy("Done"),
}
SYSTEM_TITLES = {
    "ATC": gettext_lazy("Most dispensed drugs (ATC)"),
    "CIM10": gettext_lazy("Most frequent diagnoses (CIM-10)"),
    "CCAM": gettext_lazy("Most frequent medical acts (CCAM)"),
}


@dataclass
class Figure:
    ident: str
    title: str
    svg: SafeString
    rows: list[tuple[Any, ...]] = field(default_factory=list)


@dataclass
class Panel:
    state: str  # "" when never computed
    progress: int = 0
    step: str = ""
    error: str = ""
    finished: Any = None
    can_compute: bool = False
    result: dict[str, Any] = field(default_factory=dict)
    pyramid: Figure | None = None
    per_year: list[Figure] = field(default_factory=list)
    codes: list[Figure] = field(default_factory=list)
    kept: bool = False  # the figures shown are those of the last run, a new one being under way

    @property
    def active(self) -> bool:
        return self.state in (State.QUEUED, State.RUNNING)

    @property
    def done(self) -> bool:
        return self.state == State.DONE

    @property
    def failed(self) -> bool:
        return self.state == State.FAILED


def step_label(step: str) -> str:
    return str(STEP_LABELS.get(step, step))


def panel(version: DatasetVersion, editor: bool) -> Panel | None:
    """The panel of a version, or None when there is nothing to show (no data attached)."""
    stats = Statistics.objects.filter(version=version).first()
    if stats is None and not version.lake_path:
        return None
    if stats is None:
        return Panel(state="", can_compute=editor)
    out = Panel(state=stats.state, progress=stats.progress, step=step_label(stats.step),
                error=stats.error if editor else "", finished=stats.finished,
                can_compute=editor and bool(version.lake_path))
    released = stats.released()  # never a result of exact figures stored before the cell key
    if released:
        out.result = released
        out.kept = out.active  # the last run's figures, shown while a new run goes on
        _charts(out, released)
    return out


def _charts(out: Panel, result: dict[str, Any]) -> None:
    hidden = _("A star marks a figure hidden by statistical secrecy.")
    cells = {(c["band"], c["sex"]): c["people"] for c in result.get("age_pyramid", [])}
    bands = list(dict.fromkeys(c["band"] for c in result.get("age_pyramid", [])))
    if bands:
        men = [cells.get((b, 1)) for b in bands]
        women = [cells.get((b, 2)) for b in bands]
        year = result.get("age_year")
        title = (_("Age pyramid (age in %(year)s)") % {"year": year}) if year else _("Age pyramid")
        out.pyramid = Figure("chart-pyramid", title, svg.pyramid_chart(
            "chart-pyramid", title,
            _("People by five-year age band, oldest at the top: men on the left, women on the "
              "right.") + " " + hidden,
            bands, men, women, left_label=_("Men"), right_label=_("Women")),
            rows=list(zip(bands, men, women, strict=True)))
    years = result.get("years", [])
    if years:
        labels = [str(y["year"]) for y in years]
        for key, title, colour in (("people", _("People per year"), svg.BLUE),
                                   ("records", _("Records per year"), svg.GREEN)):
            ident = f"chart-{key}-per-year"
            desc = (_("People with at least one care record in the year.") if key == "people"
                    else _("DCIR benefit lines and MCO hospital stays of the year."))
            out.per_year.append(Figure(ident, title, svg.column_chart(
                ident, title, desc + " " + hidden,
                list(zip(labels, [y[key] for y in years], strict=True)), colour=colour)))
        out.per_year[0].rows = [(y["year"], y["people"], y["records"]) for y in years]
    for system, rows in (result.get("top_codes") or {}).items():
        if not rows:
            continue
        title = str(SYSTEM_TITLES.get(system, system))
        ident = f"chart-top-{system.lower()}"
        names = code_names(system, rows)
        out.codes.append(Figure(ident, title, svg.bar_chart(
            ident, title, _("People with each code, most frequent first.") + " " + hidden,
            [(r["code"], r["people"]) for r in rows], names=names),
            rows=[(r["code"], name, r["people"]) for r, name in zip(rows, names, strict=True)]))


def code_names(system: str, rows: list[dict[str, Any]]) -> list[str]:
    """The name of each code, from the result or else from the packaged nomenclatures (a result
    stored before labels were), first letter capitalised ("paracetamol" -> "Paracetamol")."""
    from hygie.catalogue.stats import code_labels

    missing = tuple(r["code"] for r in rows if not r.get("label"))
    found = code_labels(system, missing) if missing else {}
    names = [str(r.get("label") or found.get(r["code"], "")) for r in rows]
    return [n[:1].upper() + n[1:] for n in names]


@require_POST
def statistics_compute(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    version = get_version(request.user, slug, number)
    if not can_edit(request.user, version.dataset):
        raise PermissionDenied
    back = version.get_absolute_url() + "#statistics-title"
    stats = Statistics.objects.filter(version=version).first()
    if stats is not None and job_is_live(stats):
        messages.info(request, _("The statistics are already being computed."))
        return redirect(back)
    try:
        # The same data again: the public figures stay on the page until the new ones replace them.
        request_statistics(version, request=request, via="web", keep_figures=True)
    except NoLakeAttached:
        messages.error(request, _("No data are attached to this version: statistics need a "
                                  "lake dataset."))
        return redirect(back)
    messages.success(request, _("The statistics will be computed in the background."))
    return redirect(back)


@require_GET
@never_cache
def statistics_status(request: HttpRequest, slug: str, number: int) -> JsonResponse:
    version = get_version(request.user, slug, number)
    stats = Statistics.objects.filter(version=version).first()
    if stats is None:
        return JsonResponse({"state": "", "progress": 0, "step": "", "active": False})
    editor = can_edit(request.user, version.dataset)
    return JsonResponse({
        "state": stats.state, "progress": stats.progress, "step": step_label(stats.step),
        "active": stats.state in (State.QUEUED, State.RUNNING),
        "finished": stats.finished.isoformat() if stats.finished else None,
        **({"error": stats.error} if editor and stats.error else {})})


@require_GET
@never_cache
def statistics_fragment(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    version = get_version(request.user, slug, number)
    return render(request, "catalogue/_statistics.html", {
        "dataset": version.dataset, "version": version,
        "can_edit": can_edit(request.user, version.dataset)})
