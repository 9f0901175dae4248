from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "hygie.web.accounts"
    label = "accounts"
    verbose_name = "Accounts"
