"""工作台: every to-do of the viewer, grouped by kind, each linking to where it is done."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from taizhang.core.access import AUTHENTICATED, requires
from taizhang.core.actors import viewer_of
from taizhang.workbench.selectors import todo_groups


@requires(AUTHENTICATED)
def todo_list(request: HttpRequest) -> HttpResponse:
    groups = todo_groups(viewer=viewer_of(request), limit=50)
    return render(request, "workbench/todos.html", {"groups": groups})
