from django.urls import path

from hygie.web.objections import desk_views, views

app_name = "objections"
urlpatterns = [
    path("", views.index, name="index"),
    path("object/", views.object_, name="object"),
    path("receipt/", views.receipt, name="receipt"),
    path("follow/", views.follow, name="follow"),
    path("withdraw/", views.withdraw, name="withdraw"),
    # The data protection officer's side.
    path("desk/", desk_views.desk, name="desk"),
    path("desk/<int:pk>/", desk_views.detail, name="request"),
    path("desk/<int:pk>/accept/", desk_views.accept, name="accept"),
    path("desk/<int:pk>/reject/", desk_views.reject, name="reject"),
]
