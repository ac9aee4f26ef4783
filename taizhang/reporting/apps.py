from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "taizhang.reporting"
    label = "reporting"
    verbose_name = "Reporting"
