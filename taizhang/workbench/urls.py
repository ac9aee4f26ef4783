from django.urls import path

from taizhang.workbench import views

urlpatterns = [
    path("", views.todo_list, name="todos"),
    path("count/", views.todo_count_view, name="count"),
]
