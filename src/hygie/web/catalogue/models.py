"""The catalogue: data holders, datasets and their versions, tables, variables, code lists.

A dataset is described version by version. A version goes draft -> in review -> published
(`Status`); the public sees published versions only, and the latest published one by default.
Tables, variables and foreign keys belong to a version, so a new version can be compared with the
previous one (`hygie.catalogue.diff`). Code lists (nomenclatures) are stored once per dataset and
shared by its versions, but each list is tied to the versions that carry it (`Nomenclature.versions`:
those whose description brought it or uses it), so that a list is seen exactly when one of those
versions is (`catalogue.access`): a draft's new list stays as hidden as the draft.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import get_language, gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from hygie.web.validators import single_line


def localised(obj: object, field: str) -> str:
    """`field_en` when the page is in English and it is filled in, else `field_fr`."""
    if (get_language() or "fr").startswith("en"):
        value = getattr(obj, f"{field}_en", "")
        if value:
            return str(value)
    return str(getattr(obj, f"{field}_fr", ""))


def single_line_items(value: object) -> None:
    """Each word of a list (keywords) is a single line of text."""
    for item in value if isinstance(value, list) else []:
        single_line(item)


class DataHolder(models.Model):
    slug = models.SlugField(_("identifier"), max_length=80, unique=True)
    name = models.CharField(_("name"), max_length=200, validators=[single_line])
    url = models.URLField(_("web site"), blank=True)
    email = models.EmailField(_("contact e-mail"), blank=True)
    description_fr = models.TextField(_("description (French)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("data holder")
        verbose_name_plural = _("data holders")

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A person who edits a data holder's catalogue entries."""

    class Role(models.TextChoices):
        EDITOR = "editor", _("Editor")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="memberships")
    holder = models.ForeignKey(DataHolder, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.EDITOR)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "holder"], name="one_membership")]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()}, {self.holder})"


class HealthCategory(models.TextChoices):
    """Kinds of health data (after the HealthDCAT-AP health categories)."""

    CLAIMS = "CLAIMS", _("Insurance claims and reimbursements")
    HOSPITAL = "HOSPITAL", _("Hospital discharge data")
    EMERGENCY = "EMERGENCY", _("Emergency care")
    DEATHS = "DEATHS", _("Causes of death")
    REGISTRY = "REGISTRY", _("Disease registry")
    COHORT = "COHORT", _("Research cohort")
    SURVEY = "SURVEY", _("Health survey")
    EHR = "EHR", _("Electronic health records")


class GdprBasis(models.TextChoices):
    """GDPR legal bases of a dataset's processing (the keys of `hygie.catalogue.dcat.GDPR_BASES`,
    DPV-GDPR concept names): lawfulness under Art. 6(1), and the Art. 9(2) condition for health
    data."""

    A6_1_A = "A6-1-a", _("Art. 6(1)(a): consent")
    A6_1_C = "A6-1-c", _("Art. 6(1)(c): legal obligation")
    A6_1_E = "A6-1-e", _("Art. 6(1)(e): public interest or official authority")
    A9_2_A = "A9-2-a", _("Art. 9(2)(a): explicit consent")
    A9_2_G = "A9-2-g", _("Art. 9(2)(g): substantial public interest")
    A9_2_H = "A9-2-h", _("Art. 9(2)(h): health or social care")
    A9_2_I = "A9-2-i", _("Art. 9(2)(i): public interest in public health")
    A9_2_J = "A9-2-j", _("Art. 9(2)(j): scientific research or statistics")


class Dataset(models.Model):
    slug = models.SlugField(_("identifier"), max_length=80, unique=True)
    holder = models.ForeignKey(DataHolder, on_delete=models.PROTECT, related_name="datasets",
                               verbose_name=_("data holder"))
    title_fr = models.CharField(_("title (French)"), max_length=300, validators=[single_line])
    title_en = models.CharField(_("title (English)"), max_length=300, blank=True,
                                validators=[single_line])
    description_fr = models.TextField(_("description (French)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    health_categories = models.JSONField(_("health categories"), default=list, blank=True)
    keywords = models.JSONField(_("keywords"), default=list, blank=True,
                                validators=[single_line_items])
    population_coverage_fr = models.TextField(_("population covered (French)"), blank=True)
    population_coverage_en = models.TextField(_("population covered (English)"), blank=True)
    legal_basis = models.TextField(_("legal basis"), blank=True)  # the national law, as text
    gdpr_bases = models.JSONField(_("GDPR legal bases"), default=list, blank=True)
    retention = models.CharField(_("retention period"), max_length=200, blank=True,
                                 validators=[single_line])
    access_body = models.CharField(_("access body"), max_length=200, blank=True,
                                   default="Health Data Hub", validators=[single_line])
    licence = models.URLField(_("licence"), blank=True)
    landing_page = models.URLField(_("landing page"), blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title_fr"]
        verbose_name = _("dataset")
        verbose_name_plural = _("datasets")

    def __str__(self) -> str:
        return self.title_fr

    @property
    def title(self) -> str:
        return localised(self, "title")

    @property
    def description(self) -> str:
        return localised(self, "description")

    @property
    def gdpr_basis_labels(self) -> list[str]:
        return [GdprBasis(code).label for code in self.gdpr_bases or []
                if code in GdprBasis.values]

    def get_absolute_url(self) -> str:
        return reverse("catalogue:dataset", args=[self.slug])

    def published_version(self) -> DatasetVersion | None:
        return (self.versions.filter(status=Status.PUBLISHED).order_by("-number").first())


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    REVIEW = "review", _("In review")
    PUBLISHED = "published", _("Published")
    ARCHIVED = "archived", _("Archived")


# Notes the platform writes itself on the versions it imports (seed, demonstration, DCAT-AP):
# shown in the reader's language. Notes typed by editors are shown as typed.
SYSTEM_NOTES = frozenset({
    gettext_noop("Import of the public SNDS schemas (schema-snds)."),
    gettext_noop("Demonstration description."),
    gettext_noop("Imported from another portal's DCAT-AP catalogue; no tables yet."),
})

# The Table Schema types of variables, as people read them.
TYPE_LABELS = {
    "string": _("text"), "integer": _("integer"), "number": _("number"),
    "boolean": _("yes/no"), "date": _("date"), "datetime": _("date and time"),
    "time": _("time"), "year": _("year"), "yearmonth": _("year-month"),
    "duration": _("duration"), "any": _("any"),
}


def type_label(name: str) -> str:
    """A variable's type for people ("texte" for string); unknown types as they are."""
    return str(TYPE_LABELS.get(name, name))


class DatasetVersion(models.Model):
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    label = models.CharField(_("label"), max_length=100, blank=True, validators=[single_line])
    status = models.CharField(_("status"), max_length=20, choices=Status.choices,
                              default=Status.DRAFT, db_index=True)
    change_note = models.TextField(_("what changed"), blank=True)
    first_year = models.PositiveIntegerField(_("first year"), null=True, blank=True)
    last_year = models.PositiveIntegerField(_("last year"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=300, blank=True,  # e.g. schema-snds@fe17ef8
                              validators=[single_line])
    # A lake dataset attached to the version: its folder and manifest digest.
    lake_path = models.CharField(_("lake dataset"), max_length=500, blank=True)
    lake_manifest_sha256 = models.CharField(max_length=64, blank=True)
    # Synthetic data (written by the generator, per the lake's manifest): their figures describe
    # the synthetic sample, never the real dataset, and are labelled so everywhere.
    lake_synthetic = models.BooleanField(_("synthetic data"), default=False)
    created = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    published = models.DateTimeField(_("published"), null=True, blank=True)

    class Meta:
        ordering = ["dataset", "-number"]
        constraints = [models.UniqueConstraint(fields=["dataset", "number"],
                                               name="one_version_number")]
        verbose_name = _("dataset version")
        verbose_name_plural = _("dataset versions")

    def __str__(self) -> str:
        return f"{self.dataset} v{self.number}"

    @property
    def note(self) -> str:
        """What changed, in the reader's language when the platform wrote it."""
        return gettext(self.change_note) if self.change_note in SYSTEM_NOTES else self.change_note

    def get_absolute_url(self) -> str:
        return reverse("catalogue:version", args=[self.dataset.slug, self.number])


class Nomenclature(models.Model):
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="nomenclatures")
    name = models.CharField(_("name"), max_length=100, validators=[single_line])
    title = models.CharField(_("title"), max_length=300, blank=True, validators=[single_line])
    source = models.CharField(_("source"), max_length=100, blank=True,  # ATIH, DREES, ...
                              validators=[single_line])
    code_column = models.CharField(max_length=100, validators=[single_line])
    label_column = models.CharField(max_length=100, blank=True, validators=[single_line])
    columns = models.JSONField(default=list)
    # The versions whose description has the list (brought it, named it or uses it): who may see
    # one of them may see the list; nobody else, even when the dataset has a published version.
    versions = models.ManyToManyField(DatasetVersion, related_name="nomenclatures", blank=True,
                                      verbose_name=_("versions"))

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["dataset", "name"],
                                               name="one_nomenclature_name")]
        verbose_name = _("nomenclature")
        verbose_name_plural = _("nomenclatures")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("catalogue:nomenclature", args=[self.dataset.slug, self.name])


class Code(models.Model):
    nomenclature = models.ForeignKey(Nomenclature, on_delete=models.CASCADE, related_name="codes")
    code = models.CharField(_("code"), max_length=100, validators=[single_line])
    label = models.TextField(_("label"), blank=True, validators=[single_line])
    extra = models.JSONField(default=dict, blank=True)  # the list's other columns

    class Meta:
        ordering = ["nomenclature", "code"]
        indexes = [models.Index(fields=["nomenclature", "code"])]
        verbose_name = _("code")
        verbose_name_plural = _("codes")

    def __str__(self) -> str:
        return f"{self.code} {self.label}"


class Table(models.Model):
    version = models.ForeignKey(DatasetVersion, on_delete=models.CASCADE, related_name="tables")
    name = models.CharField(_("name"), max_length=100, validators=[single_line])
    title_fr = models.CharField(_("title (French)"), max_length=300, blank=True,
                                validators=[single_line])
    title_en = models.CharField(_("title (English)"), max_length=300, blank=True,
                                validators=[single_line])
    description_fr = models.TextField(_("description (French)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    product = models.CharField(_("product"), max_length=100, blank=True, db_index=True,
                               validators=[single_line])
    primary_key = models.JSONField(_("primary key"), default=list, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["version", "position", "name"]
        constraints = [models.UniqueConstraint(fields=["version", "name"], name="one_table_name")]
        verbose_name = _("table")
        verbose_name_plural = _("tables")

    def __str__(self) -> str:
        return self.name

    @property
    def title(self) -> str:
        return localised(self, "title")

    def get_absolute_url(self) -> str:
        return reverse("catalogue:table", args=[self.version.dataset.slug, self.version.number,
                                                self.name])


class Variable(models.Model):
    table = models.ForeignKey(Table, on_delete=models.CASCADE, related_name="variables")
    name = models.CharField(_("name"), max_length=100, validators=[single_line])
    type = models.CharField(_("type"), max_length=30)
    format = models.CharField(_("format"), max_length=50, blank=True)
    length = models.PositiveIntegerField(_("length"), null=True, blank=True)
    scale = models.PositiveIntegerField(_("decimals"), null=True, blank=True)
    description_fr = models.TextField(_("description (French)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    nomenclature = models.ForeignKey(Nomenclature, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="variables", verbose_name=_("nomenclature"))
    nomenclature_column = models.CharField(max_length=100, blank=True)
    required = models.BooleanField(_("required"), default=False)
    date_created = models.CharField(_("created"), max_length=30, blank=True)
    date_deleted = models.CharField(_("deleted"), max_length=30, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["table", "position"]
        constraints = [models.UniqueConstraint(fields=["table", "name"],
                                               name="one_variable_name")]
        verbose_name = _("variable")
        verbose_name_plural = _("variables")

    @property
    def type_label(self) -> str:
        return type_label(self.type)

    def __str__(self) -> str:
        return f"{self.table.name}.{self.name}"

    @property
    def description(self) -> str:
        return localised(self, "description")


class Relation(models.Model):
    """A foreign key: `fields` of `table` refer to `ref_fields` of the table named `ref_table`."""

    table = models.ForeignKey(Table, on_delete=models.CASCADE, related_name="relations")
    fields = models.JSONField()
    ref_table = models.CharField(max_length=100, validators=[single_line])
    ref_fields = models.JSONField()

    class Meta:
        ordering = ["table", "ref_table", "id"]

    def __str__(self) -> str:
        return f"{self.table.name}({', '.join(self.fields)}) -> {self.ref_table}"


class Statistics(models.Model):
    """Figures computed from a version's attached lake data by a background job."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    version = models.OneToOneField(DatasetVersion, on_delete=models.CASCADE,
                                   related_name="statistics")
    state = models.CharField(max_length=20, choices=State.choices, default=State.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)  # percent
    step = models.CharField(max_length=200, blank=True)
    result = models.JSONField(default=dict, blank=True)  # only figures released under secrecy
    error = models.TextField(blank=True)
    task_id = models.CharField(max_length=100, blank=True)
    requested = models.DateTimeField(auto_now_add=True)
    finished = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"statistics of {self.version} ({self.state})"

    def released(self) -> dict[str, Any]:
        """The figures to publish: a finished result whose counts went through the cell key, or
        nothing (a result stored before that held exact counts, and is never shown). While a new
        run on the same data is queued or running, the last run's result is still the one
        published (`tasks.request_statistics(keep_figures=True)`)."""
        from hygie.catalogue.stats import SECRECY

        result = self.result if isinstance(self.result, dict) else {}
        if self.state == self.State.FAILED or result.get("secrecy") != SECRECY:
            return {}
        return result
