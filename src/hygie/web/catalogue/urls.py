from django.urls import path, re_path

from hygie.web.catalogue import editing_views, history_views, statistics_views, views
from hygie.web.dcat import views as dcat_views

app_name = "catalogue"
urlpatterns = [
    path("", views.dataset_list, name="datasets"),
    path("search/", views.search, name="search"),
    re_path(r"^dcat\.(?P<ext>ttl|jsonld|rdf)$", dcat_views.catalogue_export, name="dcat"),
    re_path(r"^(?P<slug>[-a-zA-Z0-9_]+)/dcat\.(?P<ext>ttl|jsonld|rdf)$", dcat_views.dataset_export,
            name="dcat_dataset"),
    path("<slug:slug>/v<int:number>/statistics/", statistics_views.statistics_fragment,
         name="statistics_fragment"),
    path("<slug:slug>/v<int:number>/statistics/status/", statistics_views.statistics_status,
         name="statistics_status"),
    path("<slug:slug>/v<int:number>/statistics/compute/", statistics_views.statistics_compute,
         name="statistics_compute"),
    # Editing (docs/catalogue.md, "Editing and publishing"); before the catch-alls below.
    path("editing/", editing_views.overview, name="editing"),
    path("new/", editing_views.create_dataset, name="create"),
    path("<slug:slug>/edit/", editing_views.edit_dataset, name="edit"),
    path("<slug:slug>/upload/", editing_views.upload, name="upload"),
    path("<slug:slug>/audit/", history_views.audit_trail, name="audit"),
    path("<slug:slug>/v<int:number>/changes/", history_views.changes, name="changes"),
    path("<slug:slug>/v<int:number>/describe/", editing_views.describe, name="describe"),
    path("<slug:slug>/v<int:number>/tables/<str:name>/describe/", editing_views.describe_table,
         name="describe_table"),
    path("<slug:slug>/v<int:number>/submit/", editing_views.submit, name="submit"),
    path("<slug:slug>/v<int:number>/publish/", editing_views.publish, name="publish"),
    path("<slug:slug>/v<int:number>/send-back/", editing_views.send_back, name="send_back"),
    path("<slug:slug>/", views.dataset, name="dataset"),
    path("<slug:slug>/v<int:number>/", views.dataset, name="version"),
    path("<slug:slug>/v<int:number>/tables/<str:name>/", views.table, name="table"),
    path("<slug:slug>/codes/<str:name>/", views.nomenclature, name="nomenclature"),
]
