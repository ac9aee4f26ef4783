from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "taizhang.accounts"
    label = "accounts"
    verbose_name = "Accounts"
