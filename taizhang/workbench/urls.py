from django.urls import path

from taizhang.workbench import views

urlpatterns = [
    path("", views.todo_list, name="todos"),
]
