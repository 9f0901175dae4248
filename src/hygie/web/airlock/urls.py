"""The airlock's pages, under /airlock/ (`views`)."""

from django.urls import path

from hygie.web.airlock import views

app_name = "airlock"
urlpatterns = [
    path("queue/", views.queue, name="queue"),
    path("workspace/<int:pk>/", views.workspace_requests, name="workspace"),
    path("workspace/<int:pk>/new/", views.new_request, name="new"),
    path("<int:pk>/", views.request_page, name="request"),
    path("<int:pk>/review/", views.review_request, name="review"),
    path("<int:pk>/replace/", views.replace_files, name="replace"),
    path("<int:pk>/files/<int:file>/", views.download, name="download"),
    path("<int:pk>/files/<int:file>/publish/", views.publish, name="publish"),
    path("published/<int:file>/", views.published, name="published"),
]
