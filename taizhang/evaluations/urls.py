from django.urls import path

from taizhang.evaluations import views

urlpatterns = [
    path("", views.competition_list_view, name="competitions"),
    path("export/", views.competition_export, name="competition_export"),
    path("competitions/<int:pk>/", views.competition_detail, name="competition_detail"),
    path(
        "competitions/<int:pk>/add/<str:what>/",
        views.competition_add,
        name="competition_add",
    ),
    path(
        "competitions/<int:pk>/step/<str:step>/",
        views.competition_step,
        name="competition_step",
    ),
    path("competitions/<int:pk>/score/", views.judge_sheet_view, name="judge_sheet"),
    path(
        "competitions/<int:pk>/score/<int:entry_pk>/",
        views.score_view,
        name="score",
    ),
    path("awards/", views.award_list_view, name="awards"),
    path("awards/export/", views.nomination_export, name="nomination_export"),
    path("awards/<int:pk>/", views.award_detail, name="award_detail"),
    path("awards/<int:pk>/nominate/", views.nominate_view, name="nominate"),
    path(
        "awards/<int:pk>/review/<int:nomination_pk>/",
        views.review_view,
        name="review",
    ),
    path("awards/<int:pk>/publish/", views.award_publish_view, name="award_publish"),
    path("awards/<int:pk>/list/", views.award_published_view, name="award_published"),
    path("awards/<int:pk>/notice/", views.award_notice_view, name="award_notice"),
    path("awards/<int:pk>/objections/", views.objection_view, name="objection"),
    path("awards/<int:pk>/from-winners/", views.from_winners_view, name="from_winners"),
    path("awards/honour-roll/", views.honour_roll_export, name="honour_roll_export"),
]
