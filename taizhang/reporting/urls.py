from django.urls import path

from taizhang.reporting import views

urlpatterns = [
    path("", views.task_list_view, name="list"),
    path("new/", views.task_create_view, name="create"),
    path("field-row/", views.field_row_view, name="field_row"),
    path("export/board/", views.board_export_view, name="export_board"),
    path("export/answers/", views.answers_export_view, name="export_answers"),
    path("<int:pk>/", views.task_detail_view, name="detail"),
    path("<int:pk>/edit/", views.task_edit_view, name="edit"),
    path("<int:pk>/board/", views.task_board_view, name="board"),
    path("<int:pk>/urge/", views.task_urge_view, name="urge"),
    path("<int:pk>/close/", views.task_close_view, name="close"),
    path("assignments/<int:pk>/", views.fill_view, name="fill"),
    path("assignments/<int:pk>/relay/", views.relay_view, name="relay"),
    path("assignments/<int:pk>/review/", views.review_view, name="review"),
    path("assignments/<int:pk>/accept/", views.accept_view, name="accept"),
    path("assignments/<int:pk>/send-back/", views.send_back_view, name="send_back"),
    path("answers/<int:pk>/file/", views.answer_file_view, name="answer_file"),
]
