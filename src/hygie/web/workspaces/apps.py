from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkspacesConfig(AppConfig):
    name = "hygie.web.workspaces"
    label = "workspaces"
    verbose_name = _("Project workspaces")

    def ready(self) -> None:
        from hygie.web.workspaces import lifecycle  # noqa: F401  (connects to the guichet)
