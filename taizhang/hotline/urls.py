from django.urls import path

from taizhang.hotline import views

urlpatterns = [
    path("v1/work-orders", views.work_order_view, name="work_orders"),
    path("endpoints/", views.endpoint_list_view, name="endpoints"),
    path("endpoints/new/", views.endpoint_create_view, name="endpoint_create"),
    path("endpoints/<int:pk>/", views.endpoint_edit_view, name="endpoint_edit"),
    path("pushes/", views.push_list_view, name="pushes"),
    path("pushes/<int:pk>/retry/", views.push_retry_view, name="push_retry"),
]
