"""The REST API (django-ninja): the public catalogue, read-only. OpenAPI at /api/openapi.json."""

from __future__ import annotations

from typing import Any

from ninja import NinjaAPI

# Answered before any operation runs (hygie.web.guards): part of every operation's contract.
REFUSED = {"400": {"description": "Refused before reaching the operation: the request holds a "
                                  "NUL character (U+0000), which no field accepts."}}


class HygieAPI(NinjaAPI):
    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(*args, **kwargs)
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                for code, body in REFUSED.items():
                    responses.setdefault(code, body)
        return schema


api = HygieAPI(title="Hygie", version="1", urls_namespace="api",
               description="Catalogue of the health data hub: datasets, tables, variables, codes.")
api.add_router("/catalogue/", "hygie.web.catalogue.api.router")
api.add_router("/catalogue/search", "hygie.web.search.api.router")
api.add_router("/feasibility/", "hygie.web.feasibility.api.router")
api.add_router("/guichet/", "hygie.web.guichet.api.router")
api.add_router("/register/", "hygie.web.register.api.router")
