"""The site's look: the State's design system by default, a plain theme without the State's identity
for other operators, the legal pages every public site owes, and French typography."""

from __future__ import annotations

import dataclasses

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import translation

from hygie.web.branding import Brand, from_environment
from hygie.web.typography import colon

pytestmark = pytest.mark.django_db

LEGAL_PAGES = {"/mentions-legales/": "Mentions légales", "/donnees-personnelles/": "Données personnelles",
               "/accessibilite/": "Déclaration d’accessibilité", "/plan-du-site/": "Plan du site"}


def test_every_page_has_the_dsfr_header_footer_and_the_legal_links(client):
    for url in ["/", "/catalogue/", "/catalogue/snds/", "/accounts/login/", "/nowhere/", *LEGAL_PAGES]:
        text = client.get(url).content.decode()
        assert 'class="fr-header site"' in text and 'id="footer"' in text, url
        assert "dsfr/dist/dsfr/dsfr.min.css" in text and 'class="fr-logo"' in text, url
        for legal in LEGAL_PAGES:
            assert f'href="{legal}"' in text, (url, legal)
        assert 'href="#main"' in text, url  # the skip link


def test_the_legal_pages_read_in_french_and_say_what_the_operator_left_unset(client):
    for url, title in LEGAL_PAGES.items():
        response = client.get(url)
        assert response.status_code == 200, url
        assert f"<h1>{title}</h1>" in response.content.decode(), url
    notice = client.get("/mentions-legales/").content.decode()
    assert notice.count("non renseigné par l’opérateur de ce site") == 5
    assert "non conforme au RGAA" in client.get("/accessibilite/").content.decode()


def test_the_legal_facts_come_from_the_settings(client):
    legal = {**settings.HYGIE_LEGAL, "publisher": "GIP Plateforme des données de santé",
             "contact": "contact@example.org", "dpo": "dpo@example.org"}
    with override_settings(HYGIE_LEGAL=legal):
        notice = client.get("/mentions-legales/").content.decode()
        privacy = client.get("/donnees-personnelles/").content.decode()
    assert "GIP Plateforme des données de santé" in notice
    assert 'href="mailto:contact@example.org"' in notice
    assert notice.count("non renseigné") == 3  # address, director, host
    assert 'href="mailto:dpo@example.org"' in privacy


def test_the_privacy_page_gives_the_lockout_as_configured(client):
    # axes counts in hours; 0.25 h is the 15 minutes the operations guide announces.
    assert settings.AXES_COOLOFF_TIME == 0.25
    assert "après 15 minutes" in client.get("/donnees-personnelles/").content.decode()


def test_the_site_map_lists_the_published_datasets(client):
    text = client.get("/plan-du-site/").content.decode()
    assert 'href="/catalogue/snds/"' in text and 'href="/feasibility/"' in text


def test_the_plain_theme_loads_nothing_of_the_states_identity(client):
    plain = dataclasses.replace(settings.HYGIE_BRAND, theme="plain", name="Health Data Access Body",
                                colour="#12664f", logo="hygie/favicon.svg", operator="HDAB")
    with override_settings(HYGIE_BRAND=plain):
        for url in ["/", "/catalogue/snds/", "/accessibilite/"]:
            text = client.get(url).content.decode()
            assert "dsfr/" not in text and "fr-logo" not in text and "République" not in text, url
            assert "hygie/plain.css" in text and "/brand.css" in text, url
            assert "Health Data Access Body" in text and 'alt="HDAB"' in text, url
        css = client.get("/brand.css")
    assert css["Content-Type"].startswith("text/css")
    assert css.content.decode().strip() == ":root { --brand: #12664f; }"


def test_branding_is_read_from_the_environment_and_refuses_bad_values():
    brand = from_environment({"HYGIE_THEME": "Plain", "HYGIE_SITE_NAME": "HDAB",
                              "HYGIE_BRAND_BLOCK": "République| Française |",
                              "HYGIE_BRAND_COLOUR": "#0A0B0C"})
    assert brand == Brand(theme="plain", name="HDAB", tagline="", operator="",
                          block=("République", "Française"), logo="", colour="#0A0B0C")
    assert not brand.state and from_environment({}).state
    with pytest.raises(ValueError, match="HYGIE_THEME") as error:
        from_environment({"HYGIE_THEME": "carnival"})
    assert "carnival" not in str(error.value)  # settings errors never repeat the value
    for bad in ["red", "#12345", "#1234567", "#12345g", "#123456; } body { display: none"]:
        with pytest.raises(ValueError, match="HYGIE_BRAND_COLOUR"):
            from_environment({"HYGIE_BRAND_COLOUR": bad})


def test_a_labels_colon_follows_the_language():
    with translation.override("fr"):
        assert colon() == "\u00a0:"
    with translation.override("en"):
        assert colon() == ":"


def test_the_admin_offers_no_second_place_to_set_the_look():
    from django.contrib import admin
    from dsfr.models import DsfrConfig

    assert not admin.site.is_registered(DsfrConfig)
