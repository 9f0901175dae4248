"""The REST API (django-ninja): the public catalogue, read-only. OpenAPI at /api/openapi.json."""

from __future__ import annotations

from ninja import NinjaAPI

api = NinjaAPI(title="Hygie", version="1", urls_namespace="api",
               description="Catalogue of the health data hub: datasets, tables, variables, codes.")
api.add_router("/catalogue/", "hygie.web.catalogue.api.router")
api.add_router("/catalogue/search", "hygie.web.search.api.router")
api.add_router("/feasibility/", "hygie.web.feasibility.api.router")
