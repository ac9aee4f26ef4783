from django.apps import AppConfig


class RemindersConfig(AppConfig):
    name = "taizhang.reminders"
    label = "reminders"
    verbose_name = "Reminders"
