from django.urls import path

from taizhang.people import views

urlpatterns = [
    path("", views.person_list_view, name="list"),
    path("<int:pk>/", views.person_detail, name="detail"),
    path("<int:pk>/reveal/", views.person_reveal_view, name="reveal"),
]
