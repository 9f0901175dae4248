"""The guichet's records: application files, their events, attachments, messages, the CESREES's
sessions, and the results a project publishes.

The state of a file is its events replayed through `hygie.access` (`workflow.case_of`): the
`stage`, `deadline` and dates stored on `Application` are a projection written in the same
transaction as each event, for listing and filtering only; nothing decides from them.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.urls import reverse
from django.utils.functional import LazyObject
from django.utils.translation import gettext_lazy as _

from hygie.web.catalogue.models import Dataset
from hygie.web.validators import single_line

User = settings.AUTH_USER_MODEL


class PrivateStorage(LazyObject):
    """Attachments live outside the media root and are served only through a view that checks
    who asks (`HYGIE_HOME/private`)."""

    def _setup(self) -> None:
        self._wrapped = FileSystemStorage(location=settings.HYGIE_PRIVATE_FILES, base_url=None)


private_storage = PrivateStorage()


class Processing(models.TextChoices):
    PLATFORM = "platform", _("On the platform's secure environment")
    ELSEWHERE = "elsewhere", _("Elsewhere, in the controller's own environment")


class Application(models.Model):
    """An access application: the file the applicant writes, and the projection of its review."""

    procedure = models.CharField(_("procedure"), max_length=64)  # a `hygie.access` path
    applicant = models.ForeignKey(User, on_delete=models.PROTECT, related_name="applications",
                                  verbose_name=_("applicant"))
    # The project.
    title = models.CharField(_("title"), max_length=300, validators=[single_line])
    acronym = models.CharField(_("acronym"), max_length=40, blank=True, validators=[single_line])
    purpose = models.TextField(_("purpose"), blank=True)
    public_interest = models.TextField(_("public interest"), blank=True)
    lay_summary = models.TextField(_("lay summary (in French)"), blank=True)
    methodology = models.TextField(_("methodology"), blank=True)
    reference_methodology = models.CharField(  # MR-003 to MR-006, for that procedure
        _("reference methodology"), max_length=16, blank=True)
    funding = models.TextField(_("funding"), blank=True)
    conflicts_of_interest = models.TextField(_("conflicts of interest"), blank=True)
    publication_plan = models.TextField(_("publication plan"), blank=True)
    # The data controller (responsable de traitement): an organisation, public in the register.
    controller = models.CharField(_("data controller"), max_length=300, blank=True,
                                  validators=[single_line])
    # The scope.
    datasets = models.ManyToManyField(Dataset, blank=True, related_name="applications",
                                      verbose_name=_("datasets"))
    variables = models.JSONField(_("tables and variables"), default=list, blank=True)  # "T.V"
    cohort = models.ForeignKey("feasibility.SavedCohort", null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="applications",
                               verbose_name=_("saved cohort"))
    program = models.CharField(_("library program"), max_length=200, blank=True)
    period_start = models.DateField(_("period from"), null=True, blank=True)
    period_end = models.DateField(_("period to"), null=True, blank=True)
    linkage = models.BooleanField(_("linkage requested"), default=False)
    linkage_detail = models.TextField(_("linkage: with what, and how"), blank=True)
    processing = models.CharField(_("processing"), max_length=16, choices=Processing.choices,
                                  blank=True)
    processing_detail = models.TextField(_("processing environment"), blank=True)
    outputs = models.TextField(_("expected outputs"), blank=True)
    duration_months = models.PositiveSmallIntegerField(_("duration (months)"), null=True,
                                                       blank=True)
    # The projection of the events (see the module's docstring).
    stage = models.CharField(_("stage"), max_length=40, default="draft", db_index=True)
    deadline = models.DateField(_("deadline"), null=True, blank=True, db_index=True)
    seq = models.PositiveIntegerField(default=0)  # events stored: a form's version, to refuse
    received = models.DateTimeField(_("received"), null=True, blank=True)  # first submission
    decided = models.DateTimeField(_("decided"), null=True, blank=True)
    ends = models.DateField(_("authorised until"), null=True, blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-updated", "-id"]
        verbose_name = _("access application")
        verbose_name_plural = _("access applications")

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def reference(self) -> str:
        """The file's public reference, fixed by its number: never reused, never guessed wrong."""
        year = (self.received or self.created).year if self.created else 0
        return f"HYG-{year}-{self.pk:05d}" if self.pk else "HYG-draft"

    def get_absolute_url(self) -> str:
        return reverse("guichet:file", args=[self.pk])


class TeamRole(models.TextChoices):
    INVESTIGATOR = "investigator", _("Principal investigator")
    CONTROLLER_CONTACT = "controller", _("Contact at the data controller")
    MEMBER = "member", _("Team member")


class TeamMember(models.Model):
    """A person named in the file. One with an account (matched by the e-mail address when the
    applicant names them) may read the file; only the applicant acts on it."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="team")
    name = models.CharField(_("name"), max_length=200, validators=[single_line])
    email = models.EmailField(_("e-mail"))
    organisation = models.CharField(_("organisation"), max_length=200, blank=True,
                                    validators=[single_line])
    role = models.CharField(_("role"), max_length=16, choices=TeamRole.choices,
                            default=TeamRole.MEMBER)
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="teams")

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["application", "email"],
                                               name="guichet_team_once")]

    def __str__(self) -> str:
        return self.name


class ApplicationEvent(models.Model):
    """One event of a file's review, in order: what `hygie.access` replays. Never changed."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="events")
    seq = models.PositiveIntegerField()  # 1, 2, ...: two agents writing the same one, one fails
    kind = models.CharField(max_length=64)  # a step of the procedure
    at = models.DateTimeField()
    role = models.CharField(max_length=32)  # the role the step was taken as
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")  # None: the calendar
    data = models.JSONField(default=dict, blank=True)  # the step's data, dates as ISO text
    stage_before = models.CharField(max_length=40)
    stage_after = models.CharField(max_length=40)

    class Meta:
        ordering = ["application", "seq"]
        constraints = [models.UniqueConstraint(fields=["application", "seq"],
                                               name="guichet_event_order")]

    def __str__(self) -> str:
        return f"{self.application_id}#{self.seq} {self.kind}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("a file's events are never changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ValueError("a file's events are never deleted")


class AttachmentKind(models.TextChoices):
    PROTOCOL = "protocol", _("Protocol")
    CONFORMITY = "conformity", _("Declaration of conformity")
    DATA_MANAGEMENT = "dmp", _("Data management plan")
    CV = "cv", _("Curriculum vitae")
    FUNDING = "funding", _("Funding evidence")
    OTHER = "other", _("Other document")


class Attachment(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE,
                                    related_name="attachments")
    kind = models.CharField(_("document"), max_length=16, choices=AttachmentKind.choices)
    file = models.FileField(storage=private_storage, upload_to="guichet/%Y/%m/", max_length=300)
    name = models.CharField(_("file name"), max_length=200)  # the checked, safe name
    content_type = models.CharField(max_length=120)  # decided from the content, not the browser
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    uploaded = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "id"]

    def __str__(self) -> str:
        return self.name


class Message(models.Model):
    """A message on a file: to the applicant (and the staff), or an internal note (staff only)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE,
                                    related_name="messages")
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("message"))
    internal = models.BooleanField(_("internal note"), default=False)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]


class Session(models.Model):
    """A CESREES session: its members see the files of its agenda, and only those."""

    date = models.DateField(_("date"))
    title = models.CharField(_("title"), max_length=200, validators=[single_line])
    members = models.ManyToManyField(User, related_name="cesrees_sessions", blank=True,
                                     verbose_name=_("members"))
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("CESREES session")
        verbose_name_plural = _("CESREES sessions")

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.title}"


class AgendaItem(models.Model):
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="agenda")
    application = models.ForeignKey(Application, on_delete=models.PROTECT,
                                    related_name="agenda_items")
    rapporteur = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="reports", verbose_name=_("rapporteur"))

    class Meta:
        ordering = ["session", "id"]
        constraints = [models.UniqueConstraint(fields=["session", "application"],
                                               name="guichet_agenda_once")]


class Interest(models.Model):
    """A member's declaration of interests on one file of a session; a declared conflict recuses
    them: they no longer see the file or take part in its opinion."""

    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="interests")
    member = models.ForeignKey(User, on_delete=models.PROTECT, related_name="interests")
    conflict = models.BooleanField(_("conflict of interest"))
    detail = models.TextField(_("details"), blank=True)
    declared = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["item", "member"],
                                               name="guichet_interest_once")]


class ResultKind(models.TextChoices):
    PUBLICATION = "publication", _("Publication")
    REPORT = "report", _("Report")
    OUTPUT = "output", _("Released output")
    NONE = "none", _("No result (with the reason)")


class Result(models.Model):
    """A result of an authorised project, public in the register."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="results")
    kind = models.CharField(_("kind"), max_length=16, choices=ResultKind.choices)
    title = models.CharField(_("title"), max_length=500, validators=[single_line])
    link = models.URLField(_("link (DOI or address)"), blank=True)
    published = models.DateField(_("published on"))
    added_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    added = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-published", "-id"]


class Reminder(models.Model):
    """An e-mail the calendar sent about a deadline, so that it is sent once."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE,
                                    related_name="reminders")
    what = models.CharField(max_length=64)  # a clock's name, or "results"
    due = models.DateField()
    sent = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["application", "what", "due"],
                                               name="guichet_reminder_once")]
