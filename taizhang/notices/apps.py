from django.apps import AppConfig


class NoticesConfig(AppConfig):
    name = "taizhang.notices"
    label = "notices"
    verbose_name = "Notices"
