from django.conf import settings
from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from hygie.web import health, legal, views
from hygie.web.accounts.views import set_language
from hygie.web.api import api

urlpatterns = [
    path("", views.home, name="home"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("accounts/", include("hygie.web.accounts.urls")),
    path("catalogue/", include("hygie.web.catalogue.urls")),
    path("feasibility/", include("hygie.web.feasibility.urls")),
    path("guichet/", include("hygie.web.guichet.urls")),
    path("objection/", include("hygie.web.objections.urls")),
    path("register/", include("hygie.web.register.urls")),
    path("workspaces/", include("hygie.web.workspaces.urls")),
    path("airlock/", include("hygie.web.airlock.urls")),
    path("api/", api.urls),
    path("admin/", admin.site.urls),
    path("audit/", include("hygie.web.audit.urls")),
    path("", include("hygie.web.legal", namespace="legal")),
    path("brand.css", legal.brand_css, name="brand_css"),
    path("healthz", health.healthz, name="healthz"),
    # Browsers ask for /favicon.ico whatever the page says.
    path("favicon.ico", RedirectView.as_view(url=static("hygie/favicon.svg"), permanent=True)),
]
if settings.OIDC_ENABLED:
    urlpatterns.append(path("oidc/", include("mozilla_django_oidc.urls")))
