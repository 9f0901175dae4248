from django.urls import path

from hygie.web.feasibility import builder_views, views

app_name = "feasibility"
urlpatterns = [
    path("", views.cohorts, name="cohorts"),
    path("new/", builder_views.build, name="build"),
    path("new/yaml/", builder_views.write, name="write"),
    path("cohorts/<int:pk>/", views.cohort, name="cohort"),
    path("cohorts/<int:pk>/edit/", builder_views.edit, name="edit"),
    path("cohorts/<int:pk>/count/", views.count, name="count"),
    path("cohorts/<int:pk>/status/", views.status, name="status"),
    path("cohorts/<int:pk>/delete/", views.delete, name="delete"),
    path("enquiries/", views.enquiries, name="enquiries"),
    path("enquiries/new", views.new_enquiry, name="enquiry_new"),
    path("enquiries/<int:pk>/", views.enquiry, name="enquiry"),
]
