from django.urls import path

from taizhang.accounts import views

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/code/", views.login_totp_view, name="login_totp"),
    path("second-factor/", views.totp_setup_view, name="totp_setup"),
    path("logout/", views.logout_view, name="logout"),
    path("password/", views.password_change, name="password_change"),
    path("users/", views.user_list, name="user_list"),
    path("users/<int:pk>/", views.user_detail, name="user_detail"),
    path("users/new/", views.user_new, name="user_new"),
    path("users/<int:pk>/unlock/", views.user_unlock_view, name="user_unlock"),
    path("users/<int:pk>/disable/", views.user_disable_view, name="user_disable"),
    path("users/<int:pk>/enable/", views.user_enable_view, name="user_enable"),
    path(
        "users/<int:pk>/reset-password/",
        views.user_reset_password_view,
        name="user_reset_password",
    ),
    path("users/<int:pk>/tokens/", views.token_create_view, name="token_create"),
    path(
        "users/<int:pk>/tokens/revoke-all/",
        views.tokens_revoke_all_view,
        name="tokens_revoke_all",
    ),
    path(
        "users/<int:pk>/tokens/<int:token_id>/revoke/",
        views.token_revoke_view,
        name="token_revoke",
    ),
    path(
        "users/<int:pk>/grants/<int:grant_id>/revoke/", views.grant_revoke_view, name="grant_revoke"
    ),
    path(
        "users/<int:pk>/grants/<int:grant_id>/approve/",
        views.grant_approve_view,
        name="grant_approve",
    ),
]
