"""工作台: every to-do of the viewer, grouped by kind, each linking to where it is done."""

from __future__ import annotations

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from taizhang.core.access import AUTHENTICATED, requires
from taizhang.core.actors import viewer_of
from taizhang.workbench.selectors import todo_count, todo_groups

COUNT_SECONDS = 60


@requires(AUTHENTICATED)
def todo_list(request: HttpRequest) -> HttpResponse:
    groups = todo_groups(viewer=viewer_of(request), limit=50)
    return render(request, "workbench/todos.html", {"groups": groups})


@requires(AUTHENTICATED)
def todo_count_view(request: HttpRequest) -> HttpResponse:
    """The number for the top bar (kept a minute per user), or nothing when none waits."""
    key = f"workbench:todo-count:{request.user.pk}"
    count = cache.get(key)
    if count is None:
        count = todo_count(viewer=viewer_of(request))
        cache.set(key, count, COUNT_SECONDS)
    return render(request, "workbench/_count.html", {"count": count})
