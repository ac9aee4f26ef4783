from django.urls import path

from taizhang.ingest import views

urlpatterns = [
    path("", views.hub, name="hub"),
    path("batches/<int:pk>/", views.batch, name="batch"),
    path("batches/<int:pk>/import/", views.batch_run, name="batch_import"),
    path("batches/<int:pk>/undo/", views.batch_revert, name="batch_undo"),
    path("<str:kind>/", views.start, name="start"),
    path("<str:kind>/template.xlsx", views.template, name="template"),
]
