from django.urls import path

from hygie.web.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("two-factor/setup/", views.setup, name="setup"),
    path("two-factor/", views.verify, name="verify"),
    # <path:...>: links of an older shape (two parts) reach the view and are refused there.
    path("enrol/<path:token>/", views.enrol, name="enrol"),
]
