from django.urls import path

from taizhang.projects import views

urlpatterns = [
    path("", views.project_list_view, name="list"),
    path("export/", views.project_export, name="export"),
    path("mine/", views.project_mine, name="mine"),
    path("new/", views.project_create_view, name="create"),
    path("<int:pk>/", views.project_detail, name="detail"),
    path("<int:pk>/edit/", views.project_edit_view, name="edit"),
    path("<int:pk>/stage/", views.project_move_view, name="move"),
    path("<int:pk>/progress/", views.project_progress_view, name="progress"),
    path("<int:pk>/schedule/", views.project_schedule_view, name="schedule"),
    path("evidence/<int:pk>/", views.evidence_download, name="evidence"),
]
