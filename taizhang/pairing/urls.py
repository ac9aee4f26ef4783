from django.urls import path

from taizhang.pairing import views

urlpatterns = [
    path("", views.pair_list_view, name="pairs"),
    path("export/", views.pair_export, name="export"),
    path("values/export/", views.value_export, name="value_export"),
    path("pairs/new/", views.pair_create_view, name="pair_create"),
    path("pairs/<int:pk>/", views.pair_detail, name="pair_detail"),
    path("pairs/<int:pk>/values/", views.value_record_view, name="value_record"),
    path("pairs/<int:pk>/projects/", views.project_create_view, name="project_create"),
    path(
        "pairs/<int:pk>/projects/<int:project_pk>/",
        views.project_edit_view,
        name="project_edit",
    ),
    path(
        "pairs/<int:pk>/values/<int:value_pk>/confirm/",
        views.value_confirm_view,
        name="value_confirm",
    ),
    path(
        "pairs/<int:pk>/values/<int:value_pk>/correct/",
        views.value_correct_view,
        name="value_correct",
    ),
    path("partnerships/", views.partnership_list_view, name="partnerships"),
    path("partnerships/export/", views.partnership_export, name="partnership_export"),
    path("ambassadors/export/", views.ambassador_export, name="ambassador_export"),
    path("partnerships/<int:pk>/", views.partnership_detail, name="partnership_detail"),
    path(
        "partnerships/<int:pk>/ambassadors/<int:ambassador_pk>/end/",
        views.ambassador_end_view,
        name="ambassador_end",
    ),
]
