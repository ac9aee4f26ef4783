from django.urls import path

from taizhang.organizations import views

urlpatterns = [
    path("", views.tree, name="tree"),
    path("pick/", views.pick, name="pick"),
    path("pick/tree/", views.pick_tree, name="pick_tree"),
    path("export/", views.organization_export, name="export"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/children/", views.children, name="children"),
    path("<int:pk>/rename/", views.rename, name="rename"),
    path("<int:pk>/move/", views.move, name="move"),
    path("<int:pk>/create-child/", views.create_child, name="create_child"),
    path("<int:pk>/close/", views.close, name="close"),
    path("<int:pk>/merge/", views.merge, name="merge"),
    path("<int:pk>/reorder/", views.reorder, name="reorder"),
    path("groupings/", views.groupings, name="groupings"),
    path("groupings/<int:pk>/", views.grouping, name="grouping"),
    path("groupings/<int:pk>/members/", views.member_add, name="member_add"),
    path("groupings/<int:pk>/members/<int:member_pk>/end/", views.member_end, name="member_end"),
]
