from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "taizhang.api"
    label = "api"
    verbose_name = "API"

    def ready(self) -> None:
        from taizhang.api.tombstones import listener
        from taizhang.core.changes import register_listener

        register_listener(listener)
