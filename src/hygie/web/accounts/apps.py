from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "hygie.web.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from hygie.web.accounts import signals  # noqa: F401  (connects the audit receivers)
