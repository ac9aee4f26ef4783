from django.apps import AppConfig


class InvestmentConfig(AppConfig):
    name = "taizhang.investment"
    label = "investment"
    verbose_name = "Investment"
