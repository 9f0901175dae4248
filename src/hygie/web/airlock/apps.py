from django.apps import AppConfig
from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _


class AirlockConfig(AppConfig):
    name = "hygie.web.airlock"
    label = "airlock"
    verbose_name = _("Airlock (output checks)")

    def ready(self) -> None:
        from hygie.web.airlock.retention import on_workspace_saved
        from hygie.web.workspaces.models import Workspace

        # The workspace's data deleted (workspaces.lifecycle.delete_expired): copies follow.
        post_save.connect(on_workspace_saved, sender=Workspace,
                          dispatch_uid="airlock_copies_follow_workspace_data")
