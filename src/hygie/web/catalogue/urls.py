from django.urls import path

from hygie.web.catalogue import views

app_name = "catalogue"
urlpatterns = [
    path("", views.dataset_list, name="datasets"),
    path("search/", views.search, name="search"),
    path("<slug:slug>/", views.dataset, name="dataset"),
    path("<slug:slug>/v<int:number>/", views.dataset, name="version"),
    path("<slug:slug>/v<int:number>/tables/<str:name>/", views.table, name="table"),
    path("<slug:slug>/codes/<str:name>/", views.nomenclature, name="nomenclature"),
]
