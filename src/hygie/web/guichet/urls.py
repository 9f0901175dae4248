from django.urls import include, path

app_name = "guichet"
# One module of views per side of the desk; their names share the "guichet:" namespace.
urlpatterns = [
    path("", include("hygie.web.guichet.file_urls")),  # the applicant's side and the file page
    path("desk/", include("hygie.web.guichet.desk_urls")),  # the staff's side: steps, sessions
]
