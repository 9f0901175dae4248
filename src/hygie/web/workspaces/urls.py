"""The workspaces' pages, under /workspaces/ (`views`)."""

from django.urls import path

from hygie.web.workspaces import views

app_name = "workspaces"
urlpatterns = [
    path("", views.workspaces, name="list"),
    path("<int:pk>/", views.workspace, name="workspace"),
    path("<int:pk>/status/", views.status, name="status"),
    path("<int:pk>/refresh/", views.refresh, name="refresh"),
    path("<int:pk>/tables/<str:name>/", views.table, name="table"),
    path("<int:pk>/files/", views.files_page, name="files"),
    path("<int:pk>/files/add/", views.upload, name="upload"),
    path("<int:pk>/jobs/", views.start_run, name="start_run"),
    path("<int:pk>/jobs/<int:run>/", views.run_page, name="run"),
    path("<int:pk>/jobs/<int:run>/status/", views.run_status, name="run_status"),
    path("<int:pk>/second-factor/", views.second_factor, name="second_factor"),
]
