"""Why a count could not run, in the reader's language (stored as a code, shown translated)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _


def count_error_message(error: dict[str, Any], dataset: Any = None) -> str:
    code, detail = error.get("code", ""), str(error.get("detail", ""))
    name = str(dataset) if dataset is not None else _("this dataset")
    if code == "no_lake":
        return _("No data are attached to the published version of %(dataset)s yet: counts are "
                 "not available on it.") % {"dataset": name}
    if code == "no_published_version":
        return _("%(dataset)s has no published version: counts run on published data only.") % {
            "dataset": name}
    if code == "lake_unreadable":
        return _("The data of %(dataset)s cannot be read at the moment. Please try again later or "
                 "contact the platform team.") % {"dataset": name}
    if code == "missing_tables":
        return _("The definition reads tables absent from the data of %(dataset)s: %(tables)s.") % {
            "dataset": name, "tables": detail}
    if code == "no_secret":
        return _("The platform's pseudonymisation secret is not configured, so counts cannot be "
                 "released. Please contact the platform team.")
    if code == "definition":
        return _("The definition is no longer valid: %(problems)s") % {"problems": detail}
    return _("The count failed unexpectedly. The platform team can see what happened in the "
             "logs; please try again later.")
