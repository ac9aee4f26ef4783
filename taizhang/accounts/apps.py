from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "taizhang.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from taizhang.accounts.middleware import touch_at_login

        user_logged_in.connect(touch_at_login, dispatch_uid="accounts.touch_at_login")
