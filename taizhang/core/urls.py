from django.urls import path

from taizhang.core import health, views

urlpatterns = [
    path("", views.home, name="home"),
    path("audit/", views.audit_list, name="audit_list"),
    path("audit/review/", views.audit_review, name="audit_review"),
    path("audit/export/", views.audit_export, name="audit_export"),
    path("audit/verify/", views.audit_verify_start, name="audit_verify"),
    path("calendar/", views.calendar_view, name="calendar"),
    path("calendar/<int:pk>/delete/", views.calendar_override_delete, name="calendar_delete"),
    path("setlang/", views.set_language, name="set_language"),
    path("tasks/<int:pk>/", views.job_detail, name="job"),
    path("tasks/<int:pk>/download/", views.job_download, name="job_download"),
    path("healthz", health.healthz, name="healthz"),
]
