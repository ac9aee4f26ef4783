from django.apps import AppConfig


class ActivitiesConfig(AppConfig):
    name = "taizhang.activities"
    label = "activities"
    verbose_name = "Activities"
