"""Root URLs: each module's ``urls.py`` is mounted under its own name."""

from importlib import import_module
from importlib.util import find_spec

from django.conf import settings
from django.urls import include, path, re_path

from taizhang.api.site import api, not_found_view

urlpatterns = [
    path("api/v1/", api.urls),
    # Anything else under /api/ is a JSON 404 in the API's error shape, not the HTML page.
    re_path(r"^api/(?P<rest>.*)$", not_found_view),
]

for _name in settings.TAIZHANG_MODULES:
    _module = f"taizhang.{_name}.urls"
    if find_spec(_module) is None:
        continue
    _prefix = "" if _name == "core" else f"{_name}/"
    urlpatterns.append(path(_prefix, include((import_module(_module), _name))))
