from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "taizhang.people"
    label = "people"
    verbose_name = "People"
