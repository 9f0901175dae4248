"""Where imported catalogue entries came from, so that a second import finds them again."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from hygie.web.catalogue.models import DataHolder, Dataset
from hygie.web.validators import single_line


class ImportedDataset(models.Model):
    """A dataset created from another portal's DCAT-AP catalogue."""

    dataset = models.OneToOneField(Dataset, on_delete=models.CASCADE, related_name="dcat_origin")
    # The dataset's IRI in its portal (or its dct:identifier when the portal gave a blank node).
    iri = models.CharField(_("original identifier"), max_length=500, unique=True,
                           validators=[single_line])
    themes = models.JSONField(_("themes"), default=list, blank=True)  # dcat:theme IRIs
    source = models.CharField(_("imported from"), max_length=300, blank=True,  # the file's name
                              validators=[single_line])
    imported = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("imported dataset")
        verbose_name_plural = _("imported datasets")

    def __str__(self) -> str:
        return self.iri


class ImportedHolder(models.Model):
    """A data holder created from a publisher of another portal's catalogue."""

    holder = models.OneToOneField(DataHolder, on_delete=models.CASCADE, related_name="dcat_origin")
    key = models.CharField(max_length=500, unique=True,  # the publisher's IRI, or "name:<name>"
                           validators=[single_line])

    class Meta:
        verbose_name = _("imported data holder")
        verbose_name_plural = _("imported data holders")

    def __str__(self) -> str:
        return self.key
