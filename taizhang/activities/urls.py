from django.urls import path

from taizhang.activities import dictionary_views, views

urlpatterns = [
    path("", views.activity_list_view, name="list"),
    path("new/", views.activity_create_view, name="create"),
    path("export/", views.activity_export, name="export"),
    path("<int:pk>/", views.activity_detail, name="detail"),
    path("<int:pk>/edit/", views.activity_edit_view, name="edit"),
    path("<int:pk>/attendance/", views.activity_attendance_view, name="attendance"),
    path("<int:pk>/attachments/", views.activity_attachments_view, name="attachments"),
    path(
        "<int:pk>/attachments/<int:attachment_pk>/",
        views.activity_attachment_download,
        name="attachment",
    ),
    path(
        "<int:pk>/attachments/<int:attachment_pk>/remove/",
        views.activity_attachment_remove_view,
        name="attachment_remove",
    ),
    path("<int:pk>/raise-problem/", views.activity_raise_problem_view, name="raise_problem"),
    path("campaigns/", views.campaign_list_view, name="campaigns"),
    path("campaigns/export/", views.campaign_export, name="campaign_export"),
    path("campaigns/new/", views.campaign_create_view, name="campaign_create"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="campaign"),
    path("campaigns/<int:pk>/teams/", views.campaign_team_create_view, name="team_create"),
    path("volunteer/", views.volunteer_list_view, name="volunteer"),
    path("volunteer/export/", views.volunteer_export, name="volunteer_export"),
    path("dictionaries/", dictionary_views.dictionaries_view, name="dictionaries"),
    path(
        "dictionaries/<str:which>/<int:pk>/",
        dictionary_views.dictionary_edit_view,
        name="dictionary_edit",
    ),
    path(
        "dictionaries/<str:which>/<int:pk>/active/",
        dictionary_views.dictionary_active_view,
        name="dictionary_active",
    ),
]
