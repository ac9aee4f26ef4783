from django.urls import path

from taizhang.problems import dictionary_views, instruction_views, research_views, views

urlpatterns = [
    path("", views.problem_list_view, name="list"),
    path("mine/", views.problem_mine_view, name="mine"),
    path("pending/", views.problem_pending_view, name="pending"),
    path("kinds/", dictionary_views.kind_list_view, name="kinds"),
    path("kinds/<int:pk>/", dictionary_views.kind_edit_view, name="kind_edit"),
    path("kinds/<int:pk>/active/", dictionary_views.kind_active_view, name="kind_active"),
    path("export/", views.problem_export_view, name="export"),
    path("instructions/", instruction_views.instruction_list_view, name="instructions"),
    path("instructions/new/", instruction_views.instruction_create_view, name="instruction_create"),
    path(
        "instructions/<int:pk>/",
        instruction_views.instruction_detail_view,
        name="instruction_detail",
    ),
    path(
        "instructions/<int:pk>/edit/",
        instruction_views.instruction_edit_view,
        name="instruction_edit",
    ),
    path(
        "instructions/<int:pk>/complete/",
        instruction_views.instruction_complete_view,
        name="instruction_complete",
    ),
    path("research/", research_views.research_list_view, name="research"),
    path("research/new/", research_views.research_create_view, name="research_create"),
    path("research/<int:pk>/", research_views.research_detail_view, name="research_detail"),
    path("research/<int:pk>/edit/", research_views.research_edit_view, name="research_edit"),
    path(
        "research/<int:pk>/advance/", research_views.research_advance_view, name="research_advance"
    ),
    path("research/<int:pk>/report/", research_views.research_report_view, name="research_report"),
    path(
        "research/<int:pk>/report/file/",
        research_views.research_report_download,
        name="research_report_file",
    ),
    path(
        "research/<int:pk>/outcomes/", research_views.research_outcome_view, name="research_outcome"
    ),
    path("new/", views.problem_create_view, name="create"),
    path("<int:pk>/", views.problem_detail, name="detail"),
    path("<int:pk>/edit/", views.problem_edit_view, name="edit"),
    path("<int:pk>/start/", views.problem_start_view, name="start"),
    path("<int:pk>/submit/", views.problem_submit_view, name="submit"),
    path("<int:pk>/verify/", views.problem_verify_view, name="verify"),
    path("<int:pk>/send-back/", views.problem_send_back_view, name="send_back"),
    path("<int:pk>/reopen/", views.problem_reopen_view, name="reopen"),
    path("<int:pk>/evidence/<int:evidence_id>/", views.evidence_download, name="evidence"),
]
