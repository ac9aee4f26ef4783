from django.apps import AppConfig


class TrainingsConfig(AppConfig):
    name = "taizhang.trainings"
    label = "trainings"
    verbose_name = "Trainings"
