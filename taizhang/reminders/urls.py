from django.urls import path

from taizhang.reminders import views

urlpatterns = [
    path("", views.message_list_view, name="messages"),
    path("count/", views.unread_count_view, name="count"),
    path("read-all/", views.message_read_all_view, name="read_all"),
    path("<int:pk>/open/", views.message_open_view, name="open"),
    path("<int:pk>/read/", views.message_read_view, name="read"),
    path("rules/", views.rule_list_view, name="rules"),
    path("rules/<int:pk>/", views.rule_edit_view, name="rule_edit"),
    path("endpoints/", views.endpoint_list_view, name="endpoints"),
    path("endpoints/new/", views.endpoint_create_view, name="endpoint_create"),
    path("endpoints/<int:pk>/", views.endpoint_edit_view, name="endpoint_edit"),
    path("endpoints/<int:pk>/delete/", views.endpoint_delete_view, name="endpoint_delete"),
    path("deliveries/", views.delivery_list_view, name="deliveries"),
    path("deliveries/<int:pk>/retry/", views.delivery_retry_view, name="delivery_retry"),
]
