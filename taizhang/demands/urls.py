from django.urls import path

from taizhang.demands import dictionary_views, views

urlpatterns = [
    path("", views.demand_list_view, name="list"),
    path("export/", views.demand_export_view, name="export"),
    path("new/", views.demand_create_view, name="create"),
    path("stats/", views.demand_stats_view, name="stats"),
    path("dictionaries/", dictionary_views.dictionaries_view, name="dictionaries"),
    path("categories/", dictionary_views.category_list_view, name="categories"),
    path("categories/<int:pk>/", dictionary_views.category_edit_view, name="category_edit"),
    path(
        "categories/<int:pk>/active/", dictionary_views.category_active_view, name="category_active"
    ),
    path(
        "categories/<int:pk>/rules/", dictionary_views.routing_rule_create_view, name="rule_create"
    ),
    path("rules/<int:pk>/delete/", dictionary_views.routing_rule_delete_view, name="rule_delete"),
    path("delegated/", dictionary_views.delegated_services_view, name="delegated"),
    path("delegated/new/", dictionary_views.delegated_service_create_view, name="delegated_create"),
    path(
        "delegated/<int:pk>/", dictionary_views.delegated_service_edit_view, name="delegated_edit"
    ),
    path(
        "delegated/<int:pk>/delete/",
        dictionary_views.delegated_service_delete_view,
        name="delegated_delete",
    ),
    path("<int:pk>/", views.demand_detail, name="detail"),
    path("<int:pk>/assign/", views.demand_assign_view, name="assign"),
    path("<int:pk>/start/", views.demand_start_view, name="start"),
    path("<int:pk>/reply/", views.demand_reply_view, name="reply"),
    path("<int:pk>/follow-up/", views.demand_follow_up_view, name="follow_up"),
    path("<int:pk>/merge/", views.demand_merge_view, name="merge"),
    path("<int:pk>/raise-problem/", views.demand_raise_problem_view, name="raise_problem"),
    path("<int:pk>/reveal/", views.demand_reveal_view, name="reveal"),
]
