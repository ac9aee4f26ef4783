from django.urls import path

from taizhang.notices import views

urlpatterns = [
    path("", views.notice_list_view, name="list"),
    path("new/", views.notice_create_view, name="create"),
    path("<int:pk>/", views.notice_detail_view, name="detail"),
    path("<int:pk>/edit/", views.notice_edit_view, name="edit"),
    path("<int:pk>/publish/", views.notice_publish_view, name="publish"),
    path("<int:pk>/withdraw/", views.notice_withdraw_view, name="withdraw"),
    path("<int:pk>/acknowledge/", views.notice_acknowledge_view, name="acknowledge"),
    path("<int:pk>/board/", views.notice_board_view, name="board"),
    path("<int:pk>/remind/", views.notice_remind_view, name="remind"),
    path(
        "<int:pk>/attachments/<int:attachment_id>/",
        views.attachment_download,
        name="attachment",
    ),
    path(
        "<int:pk>/attachments/<int:attachment_id>/delete/",
        views.attachment_delete_view,
        name="attachment_delete",
    ),
]
