from django.urls import path

from taizhang.organizations import views

urlpatterns = [
    path("", views.tree, name="tree"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/children/", views.children, name="children"),
    path("<int:pk>/rename/", views.rename, name="rename"),
    path("<int:pk>/move/", views.move, name="move"),
]
