from django.urls import path

from hygie.web.register import feeds, views

app_name = "register"
urlpatterns = [
    path("", views.register, name="list"),
    path("<int:pk>/", views.detail, name="entry"),
    path("<int:pk>/results/add/", views.add_result, name="add_result"),
    path("overdue/", views.overdue, name="overdue"),
    path("delays/", views.delays, name="delays"),
    path("register.csv", views.export, name="csv"),
    path("feed/", feeds.RegisterFeed(), name="feed"),
]
