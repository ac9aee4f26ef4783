from django.urls import path

from taizhang.statistics import indicator_views, views

urlpatterns = [
    path("", views.dashboard_view, name="dashboard"),
    path("live/", views.live_view, name="live"),
    path("figures/<str:metric>/", views.figure_view, name="figure"),
    path("groupings/", views.grouping_list_view, name="groupings"),
    path("groupings/<int:pk>/", views.grouping_view, name="grouping"),
    path("indicators/", views.indicator_list_view, name="indicators"),
    path("indicators/export/", indicator_views.indicator_export, name="indicator_export"),
    path("indicators/<int:pk>/", views.indicator_detail_view, name="indicator_detail"),
    path("indicators/<int:pk>/edit/", indicator_views.indicator_edit_view, name="indicator_edit"),
    path(
        "indicators/<int:pk>/evidence/<int:entry_id>/",
        indicator_views.indicator_evidence_view,
        name="indicator_evidence",
    ),
    path("composites/", indicator_views.composite_list_view, name="composites"),
    path("composites/<int:pk>/", indicator_views.composite_detail_view, name="composite_detail"),
    path("briefings/", views.briefing_list_view, name="briefings"),
    path("briefings/new/", views.briefing_create_view, name="briefing_create"),
    path("briefings/<int:pk>/", views.briefing_detail_view, name="briefing_detail"),
    path("briefings/<int:pk>/edit/", views.briefing_edit_view, name="briefing_edit"),
    path("briefings/<int:pk>/issue/", views.briefing_issue_view, name="briefing_issue"),
    path("briefings/<int:pk>/correct/", views.briefing_correct_view, name="briefing_correct"),
    path("briefings/<int:pk>/docx/", views.briefing_docx_view, name="briefing_docx"),
    path("briefings/<int:pk>/check/", views.briefing_check_view, name="briefing_check"),
    path("briefings/style/<int:org_pk>/", views.briefing_style_view, name="briefing_style"),
    path(
        "briefings/style/<int:org_pk>/template/",
        views.briefing_style_template_view,
        name="briefing_style_template",
    ),
]
