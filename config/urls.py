"""Root URLs: each module's ``urls.py`` is mounted under its own name."""

from importlib import import_module
from importlib.util import find_spec

from django.conf import settings
from django.urls import include, path

from taizhang.api.site import api

urlpatterns = [
    path("api/v1/", api.urls),
]

for _name in settings.TAIZHANG_MODULES:
    _module = f"taizhang.{_name}.urls"
    if find_spec(_module) is None:
        continue
    _prefix = "" if _name == "core" else f"{_name}/"
    urlpatterns.append(path(_prefix, include((import_module(_module), _name))))
