from django.apps import AppConfig


class PairingConfig(AppConfig):
    name = "taizhang.pairing"
    label = "pairing"
    verbose_name = "Pairing"
