from django.urls import path

from hygie.web.feasibility import views

app_name = "feasibility"
urlpatterns = [
    path("", views.cohorts, name="cohorts"),
]
