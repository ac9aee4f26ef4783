from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class CoreConfig(AppConfig):
    name = "taizhang.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        # Each module declares its permissions, roles, metrics and exports here.
        autodiscover_modules("manifest")
        # Rows written in bulk are stamped for updated_since (core.versions).
        from taizhang.core.changes import register_listener
        from taizhang.core.versions import stamp_listener

        register_listener(stamp_listener)
        # The search-index warning of `taizhang check --database default`.
        from taizhang.core import trigram  # noqa: F401
