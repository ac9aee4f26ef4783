from django.urls import path

from taizhang.projects import batch_views, views

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
    path("batches/", batch_views.batch_list_view, name="batches"),
    path("batches/new/", batch_views.batch_create_view, name="batch_create"),
    path("batches/<int:pk>/", batch_views.batch_detail_view, name="batch_detail"),
    path("batches/<int:pk>/edit/", batch_views.batch_edit_view, name="batch_edit"),
    path("batches/<int:pk>/add/", batch_views.batch_add_view, name="batch_add"),
    path(
        "batches/<int:pk>/remove/<int:project_pk>/",
        batch_views.batch_remove_view,
        name="batch_remove",
    ),
    path("evidence/<int:pk>/", views.evidence_download, name="evidence"),
]
