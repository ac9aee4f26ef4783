from django.urls import path

from taizhang.statistics import views

urlpatterns = [
    path("", views.dashboard_view, name="dashboard"),
    path("figures/<str:metric>/", views.figure_view, name="figure"),
]
