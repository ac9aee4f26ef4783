from django.apps import AppConfig


class StatisticsConfig(AppConfig):
    name = "taizhang.statistics"
    label = "statistics"
    verbose_name = "Statistics"
