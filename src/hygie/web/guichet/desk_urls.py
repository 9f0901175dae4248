"""The staff's side of the guichet, under /guichet/desk/: the steps' forms, the dashboard, and the
CESREES's sessions. Names are prefixed (desk, step, session, agenda) beside the file side's."""

from django.urls import path

from hygie.web.guichet import desk_views, sessions

urlpatterns = [
    path("", desk_views.desk, name="desk"),
    path("<int:pk>/step/<slug:kind>/", desk_views.step, name="step"),
    path("sessions/", sessions.sessions, name="sessions"),
    path("sessions/new/", sessions.session_new, name="session_new"),
    path("sessions/<int:pk>/", sessions.session, name="session"),
    path("sessions/<int:pk>/members/", sessions.session_members, name="session_members"),
    path("sessions/<int:pk>/agenda/", sessions.session_schedule, name="session_schedule"),
    path("agenda/<int:pk>/rapporteur/", sessions.agenda_rapporteur, name="agenda_rapporteur"),
    path("agenda/<int:pk>/interest/", sessions.agenda_interest, name="agenda_interest"),
]
