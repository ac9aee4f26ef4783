from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class CoreConfig(AppConfig):
    name = "taizhang.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        # Each module declares its permissions, roles, metrics and exports here.
        autodiscover_modules("manifest")
        # The search-index warning of `taizhang check --database default`.
        from taizhang.core import trigram  # noqa: F401
