from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "taizhang.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in, user_logged_out

        from taizhang.accounts.middleware import (
            forget_session_at_logout,
            index_session_at_login,
            touch_at_login,
        )

        user_logged_in.connect(touch_at_login, dispatch_uid="accounts.touch_at_login")
        user_logged_in.connect(index_session_at_login, dispatch_uid="accounts.index_session")
        user_logged_out.connect(forget_session_at_logout, dispatch_uid="accounts.forget_session")
