from django.apps import AppConfig


class ExtractionConfig(AppConfig):
    name = "taizhang.extraction"
    label = "extraction"
    verbose_name = "Extraction"
