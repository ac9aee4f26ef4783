from django.urls import path

from taizhang.people import views

urlpatterns = [
    path("", views.person_list_view, name="list"),
    path("export/", views.person_export, name="export"),
    path("new/", views.person_create_view, name="create"),
    path("pick/", views.person_pick, name="pick"),
    path("<int:pk>/", views.person_detail, name="detail"),
    path("<int:pk>/reveal/", views.person_reveal_view, name="reveal"),
    path("<int:pk>/positions/", views.position_assign_view, name="position_assign"),
    path("<int:pk>/positions/<int:position_pk>/end/", views.position_end_view, name="position_end"),
    path("<int:pk>/transfer/", views.person_transfer_view, name="transfer"),
    path("reports/<int:org_id>/", views.community_report_list, name="community_reports"),
    path("reports/end/<int:pk>/", views.community_report_end_view, name="community_report_end"),
]
