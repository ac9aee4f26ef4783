from django.urls import path

from taizhang.core import views

urlpatterns = [
    path("", views.home, name="home"),
    path("audit/", views.audit_list, name="audit_list"),
    path("setlang/", views.set_language, name="set_language"),
]
