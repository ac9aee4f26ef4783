from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "taizhang.projects"
    label = "projects"
    verbose_name = "Projects"
