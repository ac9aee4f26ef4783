"""Deny by default: every route and API operation declares its permission."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from taizhang.api.site import api
from taizhang.core.access import route_permission


def _walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.callback


def test_every_django_route_declares_a_permission():
    """Walking all URL patterns finds no view without @requires/@public (API aside)."""
    missing = [
        path
        for path, callback in _walk(get_resolver().url_patterns)
        if not path.startswith("api/v1/") and route_permission(callback) is None
    ]
    assert missing == []


def test_every_api_operation_declares_a_permission():
    """Each API operation carries @requires or @public under its router decorator."""
    missing = []
    count = 0
    for _prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                count += 1
                if route_permission(operation.view_func) is None:
                    missing.append(f"{operation.methods} {path}")
    assert count > 0
    assert missing == []


@pytest.mark.django_db
def test_undeclared_route_is_refused(client, personas, settings):
    """A view without a declaration is refused at run time, not only in this test."""
    from django.http import HttpResponse
    from django.test import override_settings
    from django.urls import path

    def naked(request):
        return HttpResponse("secret")

    from config.urls import urlpatterns as site

    class Urls:
        # The site's routes stay: the 403 page (base.html) links to them.
        urlpatterns = [path("naked/", naked), *site]

    client.force_login(personas.district)
    with override_settings(ROOT_URLCONF=Urls):
        response = client.get("/naked/")
    assert response.status_code == 403
