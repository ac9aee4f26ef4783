from django.urls import path

from taizhang.trainings import views

urlpatterns = [
    path("", views.class_list_view, name="list"),
    path("new/", views.class_create_view, name="create"),
    path("export/", views.class_export, name="export"),
    path("export/roster/", views.roster_export, name="roster_export"),
    path("series/new/", views.series_create_view, name="series_create"),
    path("series/<int:pk>/", views.series_detail, name="series"),
    path("series/<int:pk>/edit/", views.series_edit_view, name="series_edit"),
    path("trainees/<int:person_pk>/", views.trainee_view, name="trainee"),
    path("<int:pk>/", views.class_detail, name="detail"),
    path("<int:pk>/sessions/", views.session_create_view, name="session_create"),
    path("<int:pk>/sessions/<int:session_pk>/", views.session_sheet_view, name="sheet"),
    path("<int:pk>/quotas/", views.quota_set_view, name="quota"),
    path("<int:pk>/enroll/", views.enroll_view, name="enroll"),
    path(
        "<int:pk>/enrollments/<int:enrollment_pk>/withdraw/", views.withdraw_view, name="withdraw"
    ),
    path("<int:pk>/reflections/", views.reflections_view, name="reflections"),
    path(
        "<int:pk>/reflections/<int:reflection_pk>/read/",
        views.reflection_read_view,
        name="reflection_read",
    ),
    path("<int:pk>/complete/", views.complete_view, name="complete"),
    path("<int:pk>/report/", views.report_view, name="report"),
]
