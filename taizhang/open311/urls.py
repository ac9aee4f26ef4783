"""GeoReport v2 under ``/open311/``: each resource as ``….json`` or ``….xml``."""

from django.urls import path, register_converter

from taizhang.open311 import views


class FormatConverter:
    regex = "json|xml"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class KeyConverter(FormatConverter):
    """A service code, a request's id or a token: no dot, so the format stays apart."""

    regex = "[A-Za-z0-9_-]+"


register_converter(FormatConverter, "o311fmt")
register_converter(KeyConverter, "o311key")

urlpatterns = [
    path("v2/services.<o311fmt:fmt>", views.services_view, name="services"),
    path("v2/services/<o311key:code>.<o311fmt:fmt>", views.service_definition_view, name="service"),
    path("v2/requests.<o311fmt:fmt>", views.requests_view, name="requests"),
    path("v2/requests/<o311key:number>.<o311fmt:fmt>", views.request_view, name="request"),
    path(
        "v2/requests/<o311key:number>/updates.<o311fmt:fmt>",
        views.request_updates_view,
        name="request_updates",
    ),
    path("v2/servicerequestupdates.<o311fmt:fmt>", views.updates_view, name="updates"),
    path("v2/tokens/<o311key:token>.<o311fmt:fmt>", views.token_view, name="token"),
    path("v2/<path:rest>", views.unknown_view, name="unknown"),
]
