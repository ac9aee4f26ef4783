from django.apps import AppConfig


class DemandsConfig(AppConfig):
    name = "taizhang.demands"
    label = "demands"
    verbose_name = "Demands"
