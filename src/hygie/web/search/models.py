"""The search index: one row per thing that can be found.

Rows are written by `hygie.web.search.index` only. The full-text part is database-specific and
added by migration 0002: on SQLite an FTS5 table reading this one (kept in step by triggers), on
PostgreSQL a stored `tsv` column (unaccented French configuration) with a GIN index, and (0005) a
stored `words` column, the words unstemmed, for the whole-word ranking rule. Who may see a row is
decided when searching, from the version's status (`catalogue.access`), so a status change needs
no re-indexing.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from hygie.web.catalogue.models import Dataset, DatasetVersion, Nomenclature, Table


class Kind(models.TextChoices):
    DATASET = "dataset", _("Datasets")
    TABLE = "table", _("Tables")
    VARIABLE = "variable", _("Variables")
    NOMENCLATURE = "nomenclature", _("Code lists")
    CODE = "code", _("Codes")


class Document(models.Model):
    # The index is derived data: its foreign keys carry Django's cascades but no database
    # constraint, whose deferred checks would double the time of a 400,000-row load.
    kind = models.CharField(max_length=12, choices=Kind.choices)
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="+",
                                db_constraint=False)
    # Tables and variables belong to a version; datasets, code lists and codes to the dataset.
    version = models.ForeignKey(DatasetVersion, null=True, on_delete=models.CASCADE,
                                related_name="+", db_constraint=False)
    table = models.ForeignKey(Table, null=True, on_delete=models.CASCADE, related_name="+",
                              db_constraint=False)
    nomenclature = models.ForeignKey(Nomenclature, null=True, on_delete=models.CASCADE,
                                     related_name="+", db_constraint=False)
    object_id = models.BigIntegerField()  # the variable's or code's id (its own kind's table)
    name = models.CharField(max_length=200)  # identifier: weighs most in the ranking
    title = models.TextField(blank=True)  # label or description: weighs next
    body = models.TextField(blank=True)  # other text (English, keywords, other columns)
    product = models.CharField(max_length=100, blank=True)  # tables and variables
    # Years a variable exists in (its created/deleted dates); null when unknown or not relevant.
    year_from = models.PositiveSmallIntegerField(null=True)
    year_to = models.PositiveSmallIntegerField(null=True)

    class Meta:
        verbose_name = _("search document")
        verbose_name_plural = _("search documents")
        # Browsing without text lists a kind in name order: read in index order, not sorted.
        indexes = [models.Index(fields=["kind", "name"], name="search_doc_kind_name")]

    def __str__(self) -> str:
        return f"{self.kind} {self.name}"
