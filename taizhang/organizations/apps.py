from django.apps import AppConfig


class OrganizationsConfig(AppConfig):
    name = "taizhang.organizations"
    label = "organizations"
    verbose_name = "Organizations"
