from django.urls import path

from taizhang.accounts import views

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("password/", views.password_change, name="password_change"),
    path("users/", views.user_list, name="user_list"),
    path("users/<int:pk>/", views.user_detail, name="user_detail"),
    path("users/<int:pk>/unlock/", views.user_unlock_view, name="user_unlock"),
    path(
        "users/<int:pk>/grants/<int:grant_id>/revoke/", views.grant_revoke_view, name="grant_revoke"
    ),
]
