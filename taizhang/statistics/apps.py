from django.apps import AppConfig


class StatisticsConfig(AppConfig):
    name = "taizhang.statistics"
    label = "statistics"
    verbose_name = "Statistics"

    def ready(self) -> None:
        # Manifests are read by core's ready(), which runs first (core is the first app).
        from taizhang.statistics.rollups import connect

        connect()
