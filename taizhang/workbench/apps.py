from django.apps import AppConfig


class WorkbenchConfig(AppConfig):
    name = "taizhang.workbench"
    label = "workbench"
    verbose_name = "Workbench"
