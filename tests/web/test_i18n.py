"""French by default, English on request; numbers follow the language."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template import Context, Template
from django.utils import translation

pytestmark = pytest.mark.django_db


def test_pages_are_french_by_default_and_english_on_request(client):
    text = client.get("/catalogue/snds/").content.decode()
    assert '<html lang="fr" ' in text and "Rechercher dans le catalogue" in text
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    text = client.get("/catalogue/snds/").content.decode()
    assert '<html lang="en" ' in text and "Search the catalogue" in text


def test_the_compiled_french_catalogue_is_loaded():
    """The committed .mo is found and read (completeness is checked by `make translations`,
    which fails on any untranslated string)."""
    with translation.override("fr"):
        assert translation.gettext("Search the catalogue") == "Rechercher dans le catalogue"
        assert translation.gettext("Relations between tables") != "Relations between tables"


@pytest.mark.parametrize(("language", "number", "day"), [("fr", "12\xa0345", "05/03/2024"),
                                                        ("en", "12,345", "03/05/2024")])
def test_numbers_and_dates_follow_the_language(language, number, day):
    template = Template('{% load humanize %}{{ n|intcomma }} {{ d|date:"SHORT_DATE_FORMAT" }}')
    with translation.override(language):
        out = template.render(Context({"n": 12345, "d": dt.date(2024, 3, 5)}))
    assert out == f"{number} {day}"


def test_the_builder_labels_are_the_registry_labels():
    from django.utils import translation

    from hygie.cohorts.model import CRITERIA
    from hygie.web.feasibility.forms import LABELS

    with translation.override("en"):
        assert {k: str(v) for k, v in LABELS.items()} == {
            k: CRITERIA[k].label for k in LABELS}
    with translation.override("fr"):
        assert all(str(v) != CRITERIA[k].label for k, v in LABELS.items())  # translated
