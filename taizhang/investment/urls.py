from django.urls import path

from taizhang.investment import dictionary_views, views

urlpatterns = [
    path("", views.lead_list_view, name="leads"),
    path("export/", views.lead_export, name="lead_export"),
    path("events/export/", views.event_export, name="event_export"),
    path("subsidies/export/", views.subsidy_export, name="subsidy_export"),
    path("competitions/export/", views.competition_export, name="competition_export"),
    path("policies/", dictionary_views.policy_list_view, name="policies"),
    path("policies/<int:pk>/", dictionary_views.policy_edit_view, name="policy_edit"),
    path("policies/<int:pk>/active/", dictionary_views.policy_active_view, name="policy_active"),
    path("leads/new/", views.lead_create_view, name="lead_create"),
    path("leads/<int:pk>/", views.lead_detail, name="lead_detail"),
    path("leads/<int:pk>/edit/", views.lead_edit_view, name="lead_edit"),
    path("leads/<int:pk>/advance/", views.lead_advance_view, name="lead_advance"),
    path("leads/<int:pk>/follow-ups/", views.follow_up_add_view, name="follow_up_add"),
    path("leads/<int:pk>/lost/", views.lead_lost_view, name="lead_lost"),
    path("leads/<int:pk>/convert/", views.lead_convert_view, name="lead_convert"),
    path("events/", views.event_list_view, name="events"),
    path("events/<int:pk>/", views.event_detail, name="event_detail"),
    path("competitions/", views.competition_list_view, name="competitions"),
    path("competitions/<int:pk>/", views.competition_detail, name="competition_detail"),
    path("subsidies/", views.subsidy_list_view, name="subsidies"),
]
