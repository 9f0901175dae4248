"""CESREES sessions: the secretariat sets them up, their members declare their interests.

The secretariat creates a session (date, title), chooses its members among the people with the
CESREES role, puts on its agenda the files before the committee (a stage where the CESREES gives
an opinion) and names a rapporteur among the members (`Permission.SCHEDULE`). A member sees the
sessions they sit in, their agendas, and through them only those files (`permissions`); on each
item they declare their interests: a declared conflict recuses them (the file leaves their reach,
and they cannot take part in the opinion). The opinion itself is a step of the procedure
(`cesrees_opinion`), taken from the file's page by the rapporteur or any member not recused.

Who is neither of the secretariat nor a member of a session gets 404 for it.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from hygie.access import Role, procedures
from hygie.web.accounts.models import Role as StaffRole
from hygie.web.audit.actions import Action
from hygie.web.audit.record import record
from hygie.web.guichet.models import AgendaItem, Application, Interest, Session
from hygie.web.guichet.permissions import Permission, get_file, visible


def _secretariat(user: Any) -> bool:
    return bool(user.has_role(str(StaffRole.SECRETARIAT)))


def _member(user: Any) -> bool:
    return bool(user.has_role(str(StaffRole.CESREES)))


def cesrees_people() -> QuerySet[Any]:
    """Who may sit in a session: the active people with the CESREES role."""
    return get_user_model().objects.filter(
        is_active=True, groups__name=str(StaffRole.CESREES)).distinct().order_by("username")


def before_the_committee() -> Q:
    """Files in a stage where the CESREES gives an opinion, per procedure."""
    found = Q(pk__in=[])
    for name, proc in procedures().items():
        stages = {s for step in proc.steps.values() if step.role == Role.CESREES
                  for s in proc.sources_of(step)}
        if stages:
            found |= Q(procedure=name, stage__in=sorted(stages))
    return found


def _session_for(user: Any, pk: int) -> Session:
    """The session, for the secretariat or one of its members; 404 for anyone else."""
    session = Session.objects.filter(pk=pk).first()
    if session is None or not (_secretariat(user) or (
            _member(user) and session.members.filter(pk=user.pk).exists())):
        raise Http404
    return session


def _name(user: Any) -> str:
    return user.get_full_name() or user.get_username()


class MembersField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return _name(obj)


class PersonField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return _name(obj)


class FileChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.reference} {obj.title}"


class SessionForm(forms.ModelForm):
    members = MembersField(label=_("Members"), queryset=cesrees_people(), required=False,
                           widget=forms.CheckboxSelectMultiple,
                           help_text=_("Among the people with the CESREES role."))

    class Meta:
        model = Session
        fields = ["date", "title", "members"]
        widgets = {"date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = cesrees_people()

    def clean_members(self) -> Any:
        members = self.cleaned_data["members"]
        if self.instance.pk is not None:
            keep = {m.pk for m in members}
            reporting = {i.rapporteur for i in self.instance.agenda.select_related("rapporteur")
                         if i.rapporteur is not None and i.rapporteur.pk not in keep}
            if reporting:
                raise forms.ValidationError(
                    gettext("%(names)s reports on a file of this session: name another "
                            "rapporteur first.")
                    % {"names": ", ".join(sorted(_name(u) for u in reporting))})
        return members


class ScheduleForm(forms.Form):
    application = FileChoiceField(label=_("File"), queryset=Application.objects.none())
    rapporteur = PersonField(label=_("Rapporteur"), queryset=get_user_model().objects.none())

    def __init__(self, *args: Any, session: Session, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        on_it = session.agenda.values("application")
        files = visible(user).filter(before_the_committee()).exclude(pk__in=on_it)
        self.fields["application"].queryset = files.order_by("deadline", "pk")
        self.fields["rapporteur"].queryset = session.members.order_by("username")


class RapporteurForm(forms.Form):
    rapporteur = PersonField(label=_("Rapporteur"), queryset=get_user_model().objects.none())

    def __init__(self, *args: Any, item: AgendaItem, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        recused = item.interests.filter(conflict=True).values("member")
        self.fields["rapporteur"].queryset = item.session.members.exclude(
            pk__in=recused).order_by("username")
        self.fields["rapporteur"].initial = item.rapporteur_id


class InterestForm(forms.Form):
    conflict = forms.TypedChoiceField(
        label=_("Do you have an interest in this file that could affect your impartiality?"),
        coerce=lambda v: v == "yes", widget=forms.RadioSelect,
        choices=[("no", _("No: I have no conflict of interest")),
                 ("yes", _("Yes: I have a conflict of interest, and withdraw from this file"))])
    detail = forms.CharField(label=_("Details"), required=False, max_length=5000,
                             widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=_("The links or interests concerned."))


# --- pages ----------------------------------------------------------------------------------------


@login_required
@require_GET
def sessions(request: HttpRequest) -> HttpResponse:
    user = request.user
    if _secretariat(user):
        found = Session.objects.all()
    elif _member(user):
        found = Session.objects.filter(members=user)
    else:
        raise PermissionDenied
    waiting = None
    if _secretariat(user):  # files before the committee on no session's agenda
        waiting = visible(user).filter(before_the_committee()).exclude(
            agenda_items__isnull=False).order_by("deadline", "pk")
    return render(request, "guichet/desk/sessions.html", {
        "sessions": found.prefetch_related("members").order_by("-date", "-pk"),
        "secretariat": _secretariat(user), "waiting": waiting})


@login_required
@require_http_methods(["GET", "POST"])
def session_new(request: HttpRequest) -> HttpResponse:
    if not _secretariat(request.user):
        raise PermissionDenied
    form = SessionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            session = form.save()
            record(Action.GUICHET_SESSION, session, request=request, change="created",
                   members=sorted(m.pk for m in session.members.all()))
        messages.success(request, gettext("Session created."))
        return redirect("guichet:session", session.pk)
    return render(request, "guichet/desk/session_new.html", {"form": form})


@login_required
@require_GET
def session(request: HttpRequest, pk: int) -> HttpResponse:
    s = _session_for(request.user, pk)
    return render(request, "guichet/desk/session.html", _session_context(request, s))


def _session_context(request: HttpRequest, s: Session, **forms_: Any) -> dict[str, Any]:
    user = request.user
    secretariat = _secretariat(user)
    items = []
    for item in s.agenda.select_related("application", "rapporteur").prefetch_related(
            "interests__member"):
        interests = {i.member_id: i for i in item.interests.all()}
        mine = interests.get(user.pk)
        items.append({
            "item": item, "mine": mine, "recused": bool(mine and mine.conflict),
            "rapporteur_recused": bool(item.rapporteur_id and getattr(
                interests.get(item.rapporteur_id), "conflict", False)),
            "declarations": [(m, interests.get(m.pk)) for m in s.members.all()],
            "rapporteur_form": RapporteurForm(item=item, prefix=f"item{item.pk}")
            if secretariat else None})
    member = s.members.filter(pk=user.pk).exists()
    return {"session": s, "items": items, "secretariat": secretariat, "member": member,
            "members": s.members.order_by("username"),
            "members_form": forms_.get("members_form") or (
                SessionForm(instance=s) if secretariat else None),
            "schedule_form": forms_.get("schedule_form") or (
                ScheduleForm(session=s, user=user) if secretariat else None)}


@login_required
@require_POST
def session_members(request: HttpRequest, pk: int) -> HttpResponse:
    s = _session_for(request.user, pk)
    if not _secretariat(request.user):
        raise PermissionDenied
    form = SessionForm(request.POST, instance=s)
    if not form.is_valid():
        return render(request, "guichet/desk/session.html",
                      _session_context(request, s, members_form=form), status=400)
    with transaction.atomic():
        form.save()
        record(Action.GUICHET_SESSION, s, request=request, change="updated",
               members=sorted(m.pk for m in s.members.all()))
    messages.success(request, gettext("Session updated."))
    return redirect("guichet:session", s.pk)


@login_required
@require_POST
def session_schedule(request: HttpRequest, pk: int) -> HttpResponse:
    s = _session_for(request.user, pk)
    if not _secretariat(request.user):
        raise PermissionDenied
    form = ScheduleForm(request.POST, session=s, user=request.user)
    if not form.is_valid():
        return render(request, "guichet/desk/session.html",
                      _session_context(request, s, schedule_form=form), status=400)
    application = get_file(request.user, form.cleaned_data["application"].pk,
                           Permission.SCHEDULE)
    rapporteur = form.cleaned_data["rapporteur"]
    with transaction.atomic():
        item = AgendaItem.objects.create(session=s, application=application,
                                         rapporteur=rapporteur)
        record(Action.GUICHET_SCHEDULED, application, request=request, session=s.pk,
               item=item.pk, rapporteur=rapporteur.pk)
    messages.success(request, gettext("%(file)s is on the agenda.")
                     % {"file": application.reference})
    return redirect("guichet:session", s.pk)


@login_required
@require_POST
def agenda_rapporteur(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(AgendaItem.objects.select_related("session", "application"), pk=pk)
    _session_for(request.user, item.session_id)
    if not _secretariat(request.user):
        raise PermissionDenied
    get_file(request.user, item.application_id, Permission.SCHEDULE)
    form = RapporteurForm(request.POST, item=item, prefix=f"item{item.pk}")
    if not form.is_valid():
        messages.error(request, gettext("Choose a rapporteur among the members not recused."))
        return redirect("guichet:session", item.session_id)
    with transaction.atomic():
        item.rapporteur = form.cleaned_data["rapporteur"]
        item.save(update_fields=["rapporteur"])
        record(Action.GUICHET_SCHEDULED, item.application, request=request,
               session=item.session_id, item=item.pk, rapporteur=item.rapporteur.pk)
    messages.success(request, gettext("Rapporteur named."))
    return redirect("guichet:session", item.session_id)


@login_required
@require_http_methods(["GET", "POST"])
def agenda_interest(request: HttpRequest, pk: int) -> HttpResponse:
    """A member's declaration of interests on one file of their session. A declared conflict is
    final: it recuses them from the file."""
    user = request.user
    item = AgendaItem.objects.select_related("session", "application").filter(pk=pk).first()
    if item is None or not _member(user) or not item.session.members.filter(pk=user.pk).exists():
        raise Http404
    declared = item.interests.filter(member=user).first()
    if declared is not None and declared.conflict:
        messages.info(request, gettext("You declared a conflict of interest on this file: you "
                                       "are recused."))
        return redirect("guichet:session", item.session_id)
    form = InterestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        conflict = form.cleaned_data["conflict"]
        with transaction.atomic():
            Interest.objects.update_or_create(
                item=item, member=user,
                defaults={"conflict": conflict, "detail": form.cleaned_data["detail"]})
            # The details are the member's own words: the trail keeps the fact, not the text.
            record(Action.GUICHET_INTEREST, item.application, request=request,
                   session=item.session_id, item=item.pk, conflict=conflict)
        if conflict:
            messages.success(request, gettext("Conflict of interest declared: you are recused "
                                              "from this file."))
        else:
            messages.success(request, gettext("Declaration recorded: no conflict of interest."))
        return redirect("guichet:session", item.session_id)
    return render(request, "guichet/desk/interest.html",
                  {"item": item, "form": form, "declared": declared})
