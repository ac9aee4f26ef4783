from django.urls import path

from taizhang.demands import views

urlpatterns = [
    path("", views.demand_list_view, name="list"),
    path("export.xlsx", views.demand_export_view, name="export"),
    path("new/", views.demand_create_view, name="create"),
    path("stats/", views.demand_stats_view, name="stats"),
    path("delegated/", views.delegated_services_view, name="delegated"),
    path("<int:pk>/", views.demand_detail, name="detail"),
    path("<int:pk>/assign/", views.demand_assign_view, name="assign"),
    path("<int:pk>/start/", views.demand_start_view, name="start"),
    path("<int:pk>/reply/", views.demand_reply_view, name="reply"),
    path("<int:pk>/follow-up/", views.demand_follow_up_view, name="follow_up"),
    path("<int:pk>/merge/", views.demand_merge_view, name="merge"),
    path("<int:pk>/raise-problem/", views.demand_raise_problem_view, name="raise_problem"),
    path("<int:pk>/reveal/", views.demand_reveal_view, name="reveal"),
]
