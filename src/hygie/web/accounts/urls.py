from django.urls import path

from hygie.web.accounts import password_reset, signup_views, views

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("two-factor/setup/", views.setup, name="setup"),
    path("two-factor/", views.verify, name="verify"),
    # <path:...>: links of an older shape (two parts) reach the view and are refused there.
    path("enrol/<path:token>/", views.enrol, name="enrol"),
    path("signup/", signup_views.signup_form, name="signup"),
    path("signup/sent/", signup_views.sent, name="signup_sent"),
    path("signup/resend/", signup_views.resend, name="signup_resend"),
    path("signup/verify/<uidb64>/<token>/", signup_views.verify, name="signup_verify"),
    path("password-reset/", password_reset.PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent/", password_reset.PasswordResetDoneView.as_view(),
         name="password_reset_done"),
    path("password-reset/<uidb64>/<token>/", password_reset.PasswordResetConfirmView.as_view(),
         name="password_reset_confirm"),
    path("password-reset/done/", password_reset.PasswordResetCompleteView.as_view(),
         name="password_reset_complete"),
]
