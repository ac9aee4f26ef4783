from django.urls import path

from taizhang.extraction import views

urlpatterns = [
    path("", views.intake_list_view, name="list"),
    path("new/", views.intake_create_view, name="create"),
    path("<int:pk>/", views.intake_detail_view, name="detail"),
    path("<int:pk>/decide/", views.intake_decide_view, name="decide"),
    path("drafts/<int:pk>/confirm/", views.draft_confirm_view, name="draft_confirm"),
    path("drafts/<int:pk>/drop/", views.draft_drop_view, name="draft_drop"),
]
