"""Pages of notices: check permission, validate, call one service."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from taizhang.core.access import requires
from taizhang.core.actors import viewer_of
from taizhang.core.forms import submit
from taizhang.core.uploads import attachment_response
from taizhang.core.versions import page_version, seen_version
from taizhang.notices import services
from taizhang.notices.forms import NoticeForm
from taizhang.notices.models import NoticeState
from taizhang.notices.permissions import PUBLISH, VIEW, can
from taizhang.notices.selectors import (
    attachments_of,
    get_attachment_for_viewer,
    get_notice_for_viewer,
    my_targets,
    notice_board,
    notice_published,
    notice_received,
)
from taizhang.organizations.scope import has_function

PAGE_SIZE = 30
TABS = ("received", "published")


@requires(VIEW)
def notice_list_view(request: HttpRequest) -> HttpResponse:
    """通知公告: received (unread first) or published by the viewer's units."""
    viewer = viewer_of(request)
    tab = request.GET.get("tab", "received")
    tab = tab if tab in TABS else "received"
    rows = notice_received(viewer=viewer) if tab == "received" else notice_published(viewer=viewer)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "notices/list.html",
        {"tab": tab, "page": page, "can_publish": has_function(viewer, PUBLISH)},
    )


@requires(PUBLISH)
def notice_create_view(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    form = NoticeForm(request.POST or None, request.FILES or None, viewer=viewer)
    done = submit(
        request,
        form,
        lambda: services.notice_create(
            org=form.cleaned_data["org"],
            attachments=form.cleaned_data["attachments"],
            **form.service_fields(),
            acting_user=viewer,
        ),
        success=_("The draft is saved. Check it, then publish it."),
    )
    if done.ok and done.result is not None:
        return redirect("notices:detail", done.result.pk)
    return render(request, "notices/form.html", {"form": form, "notice": None})


@requires(PUBLISH)
def notice_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    notice = get_notice_for_viewer(viewer, pk)
    if not can(viewer, "edit", notice) or notice.state != NoticeState.DRAFT:
        raise PermissionDenied
    seen = seen_version(request, notice)  # issue 19: another's change is shown, not lost
    initial = {
        "title": notice.title,
        "body": notice.body,
        "audience": notice.audience,
        "levels": notice.levels,
        "chosen_units": list(notice.chosen_units.all()),
        "requires_ack": notice.requires_ack,
        "ack_deadline": notice.ack_deadline,
    }
    form = NoticeForm(
        request.POST or None, request.FILES or None, viewer=viewer, editing=True, initial=initial
    )
    done = submit(
        request,
        form,
        lambda: services.notice_update(
            notice=notice,
            changes=form.service_fields(),
            attachments=form.cleaned_data["attachments"],
            acting_user=viewer,
            version=seen,
        ),
        success=_("The draft is saved."),
    )
    if done.ok:
        return redirect("notices:detail", notice.pk)
    return render(
        request,
        "notices/form.html",
        {
            "form": form,
            "notice": notice,
            "attachments": attachments_of(viewer=viewer, notice=notice),
            "version": page_version(form, notice, seen),
        },
    )


@requires(VIEW)
def notice_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The notice; opening it records the reading for the viewer's receiving units."""
    viewer = viewer_of(request)
    notice = get_notice_for_viewer(viewer, pk)
    services.notice_read(notice=notice, viewer=viewer)
    mine = my_targets(viewer=viewer, notice=notice)
    return render(
        request,
        "notices/detail.html",
        {
            "notice": notice,
            "attachments": attachments_of(viewer=viewer, notice=notice),
            "my_targets": mine,
            "can_ack": notice.state == NoticeState.PUBLISHED
            and notice.requires_ack
            and any(t.acked_at is None for t in mine),
            "can_edit": notice.state == NoticeState.DRAFT and can(viewer, "edit", notice),
            "can_withdraw": notice.state == NoticeState.PUBLISHED
            and can(viewer, "withdraw", notice),
            "can_board": notice.state != NoticeState.DRAFT and can(viewer, "board", notice),
        },
    )


def _act(request: HttpRequest, call: Callable[[], object], success: str) -> None:
    try:
        call()
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, success)


@require_POST
@requires(PUBLISH)
def notice_publish_view(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    notice = get_notice_for_viewer(viewer, pk)
    if not can(viewer, "publish", notice):
        raise PermissionDenied
    _act(
        request,
        lambda: services.notice_publish(notice=notice, acting_user=viewer),
        _("The notice is published and its receiving units are told."),
    )
    return redirect("notices:detail", notice.pk)


@require_POST
@requires(PUBLISH)
def notice_withdraw_view(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    notice = get_notice_for_viewer(viewer, pk)
    if not can(viewer, "withdraw", notice):
        raise PermissionDenied
    _act(
        request,
        lambda: services.notice_withdraw(notice=notice, acting_user=viewer),
        _("The notice is withdrawn."),
    )
    return redirect("notices:detail", notice.pk)


@require_POST
@requires(VIEW)
def notice_acknowledge_view(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    notice = get_notice_for_viewer(viewer, pk)
    _act(
        request,
        lambda: services.notice_acknowledge(notice=notice, acting_user=viewer),
        _("Receipt acknowledged."),
    )
    return redirect("notices:detail", notice.pk)


@requires(VIEW)
def notice_board_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The publisher's receipt board: each receiving unit read / acknowledged / not yet."""
    viewer = viewer_of(request)
    notice = get_notice_for_viewer(viewer, pk)
    if notice.state == NoticeState.DRAFT or not can(viewer, "board", notice):
        raise PermissionDenied
    return render(
        request,
        "notices/board.html",
        {
            "notice": notice,
            "board": notice_board(viewer=viewer, notice=notice),
            "can_remind": notice.state == NoticeState.PUBLISHED
            and notice.requires_ack
            and can(viewer, "remind", notice),
        },
    )


@require_POST
@requires(PUBLISH)
def notice_remind_view(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    notice = get_notice_for_viewer(viewer, pk)
    if not can(viewer, "remind", notice):
        raise PermissionDenied
    try:
        sent = services.notice_remind(notice=notice, acting_user=viewer)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("The units that have not acknowledged are reminded (%(n)s people).") % {"n": sent},
        )
    return redirect("notices:board", notice.pk)


@requires(VIEW)
def attachment_download(request: HttpRequest, pk: int, attachment_id: int) -> FileResponse:
    """An attachment, served only to viewers who may see its notice."""
    viewer = viewer_of(request)
    notice = get_notice_for_viewer(viewer, pk)
    attachment = get_attachment_for_viewer(viewer, notice, attachment_id)
    return attachment_response(attachment.file.open("rb"), attachment.original_name)


@require_POST
@requires(PUBLISH)
def attachment_delete_view(request: HttpRequest, pk: int, attachment_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    notice = get_notice_for_viewer(viewer, pk)
    attachment = get_attachment_for_viewer(viewer, notice, attachment_id)
    if not can(viewer, "edit", notice):
        raise PermissionDenied
    _act(
        request,
        lambda: services.notice_attachment_delete(attachment=attachment, acting_user=viewer),
        _("The attachment is removed."),
    )
    return redirect("notices:edit", notice.pk)
