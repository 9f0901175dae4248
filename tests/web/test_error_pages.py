"""What a person sees off the beaten path: a 404 in the site's design and language, a 500 page
that needs nothing to render, a favicon; and the development secret that lets counts work on
the embedded defaults."""

from __future__ import annotations

import stat

import pytest
from django.template.loader import render_to_string

from hygie.pseudo.keys import load_secret
from hygie.web.devsecret import local_secret

pytestmark = pytest.mark.django_db


def test_an_unknown_address_is_a_404_in_the_sites_design_in_french(client):
    response = client.get("/nulle-part/")
    text = response.content.decode()
    assert response.status_code == 404
    assert '<html lang="fr" ' in text and "Page introuvable" in text
    assert 'class="fr-header site"' in text and 'href="/catalogue/"' in text  # header and a way on
    assert "Not Found" not in text


def test_the_404_follows_the_language(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    text = client.get("/catalogue/no-such-dataset/").content.decode()
    assert '<html lang="en" ' in text and "Page not found" in text


def test_the_500_page_renders_without_a_request_in_both_languages():
    text = render_to_string("500.html")  # as Django's server_error view does: no context
    assert "Erreur du serveur" in text and "Server error" in text and 'href="/"' in text


def test_the_favicon(client):
    page = client.get("/").content.decode()
    assert 'rel="icon"' in page
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("favicon.svg")
    assert client.get(response["Location"]).status_code == 200


def test_a_development_secret_is_made_once_on_the_embedded_defaults(tmp_path):
    path, made = local_secret(tmp_path, {})
    assert made and path is not None and stat.S_IMODE(path.stat().st_mode) == 0o600
    again, made_again = local_secret(tmp_path, {})
    assert again == path and not made_again
    secret = load_secret({"HYGIE_PSEUDO_SECRET_FILE": str(path)})  # usable as it is
    assert secret.value == bytes.fromhex(path.read_text())


@pytest.mark.parametrize("env", [{"HYGIE_DATABASE_URL": "postgres://db/hub"},
                                 {"HYGIE_PSEUDO_SECRET_FILE": "/run/secrets/pseudo"},
                                 {"HYGIE_PSEUDO_SECRET": "ab" * 32}])
def test_no_development_secret_on_a_deployment_or_beside_a_configured_one(tmp_path, env):
    assert local_secret(tmp_path, env) == (None, False)
    assert not list(tmp_path.iterdir())
