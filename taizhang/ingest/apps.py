from django.apps import AppConfig


class IngestConfig(AppConfig):
    name = "taizhang.ingest"
    label = "ingest"
    verbose_name = "Ingest"
