from django.apps import AppConfig


class EvaluationsConfig(AppConfig):
    name = "taizhang.evaluations"
    label = "evaluations"
    verbose_name = "Evaluations"
