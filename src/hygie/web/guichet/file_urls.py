"""The applicant's side of the guichet and the file page (`file_views`), under /guichet/."""

from django.urls import path

from hygie.web.guichet import file_views as views

urlpatterns = [
    path("", views.files, name="files"),
    path("new/", views.new, name="new"),
    path("<int:pk>/", views.file, name="file"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/team/", views.team_add, name="team_add"),
    path("<int:pk>/team/<int:member>/remove/", views.team_remove, name="team_remove"),
    path("<int:pk>/attachments/", views.attach, name="attach"),
    path("<int:pk>/attachments/<int:attachment>/", views.download, name="download"),
    path("<int:pk>/attachments/<int:attachment>/remove/", views.detach, name="detach"),
    path("<int:pk>/messages/", views.message, name="message"),
    path("<int:pk>/notes/", views.note, name="note"),
]
