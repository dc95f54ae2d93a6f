"""`?skip=&limit=` pagination answering `{total, skip, limit, items}`."""

from rest_framework import serializers
from rest_framework.pagination import BasePagination
from rest_framework.response import Response

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
#: The largest `skip`: no list holds more rows than a 32-bit count, and past PostgreSQL's
#: 64-bit OFFSET a skip would be a 500 instead of a 400.
MAX_SKIP = 2**31 - 1


class PageParamsSerializer(serializers.Serializer):
    skip = serializers.IntegerField(min_value=0, max_value=MAX_SKIP, default=0)
    limit = serializers.IntegerField(min_value=1, max_value=MAX_LIMIT, default=DEFAULT_LIMIT)


def page_params(query_params) -> tuple[int, int]:
    """Validated (skip, limit); out of range -> 400 validation_error."""
    params = PageParamsSerializer(
        data={k: query_params[k] for k in ("skip", "limit") if k in query_params}
    )
    params.is_valid(raise_exception=True)
    return params.validated_data["skip"], params.validated_data["limit"]


class SkipLimitPagination(BasePagination):
    def paginate_queryset(self, queryset, request, view=None):
        self.skip, self.limit = page_params(request.query_params)
        self.total = queryset.count()
        return list(queryset[self.skip : self.skip + self.limit])

    def get_paginated_response(self, data):
        return Response(
            {"total": self.total, "skip": self.skip, "limit": self.limit, "items": data}
        )

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["total", "skip", "limit", "items"],
            "properties": {
                "total": {"type": "integer", "example": 123},
                "skip": {"type": "integer", "example": 0},
                "limit": {"type": "integer", "example": DEFAULT_LIMIT},
                "items": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": "skip",
                "required": False,
                "in": "query",
                "description": f"Number of items to skip, 0..{MAX_SKIP}.",
                "schema": {"type": "integer", "minimum": 0, "maximum": MAX_SKIP, "default": 0},
            },
            {
                "name": "limit",
                "required": False,
                "in": "query",
                "description": f"Page size, 1..{MAX_LIMIT}.",
                "schema": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": MAX_LIMIT,
                    "default": DEFAULT_LIMIT,
                },
            },
        ]
