"""OpenAPI: every operation documents its problem+json error answers next to its success."""

from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers


class ProblemFieldErrorSerializer(serializers.Serializer):
    field = serializers.CharField(allow_null=True, help_text="Path such as `items[0].quantity`.")
    code = serializers.CharField()
    message = serializers.CharField()


class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details (`application/problem+json`)."""

    type = serializers.CharField(default="about:blank")
    status = serializers.IntegerField()
    title = serializers.CharField()
    code = serializers.CharField(
        help_text=(
            "validation_error, parse_error, not_authenticated, token_not_valid, "
            "authentication_failed, permission_denied, not_found, method_not_allowed, conflict, "
            "insufficient_stock, idempotency_in_progress, idempotency_key_mismatch, throttled, "
            "payload_too_large, server_error"
        )
    )
    detail = serializers.CharField()
    errors = ProblemFieldErrorSerializer(many=True, required=False)

    class Meta:
        ref_name = "Problem"


_DESCRIPTIONS = {
    "400": "Validation error (`validation_error`, `parse_error`).",
    "401": "Missing, invalid or expired token (`not_authenticated`, `token_not_valid`).",
    "403": "The caller's role may not do this (`permission_denied`).",
    "404": "Unknown, or outside the caller's branch scope (`not_found`).",
    "409": "Conflict with the current state (`conflict`, `insufficient_stock`, ...).",
    "429": "Throttled (`throttled`); see the `Retry-After` header.",
}


class ProblemAutoSchema(AutoSchema):
    #: Extra error statuses an operation documents, set per view when it has more (409, 422).
    def _error_statuses(self) -> list[str]:
        statuses = (
            ["400"] if self.method in ("POST", "PUT", "PATCH") or self._is_list_view() else []
        )
        if self.get_auth():
            statuses += ["401", "403"]
        if "{" in self.path:
            statuses.append("404")
        statuses.append("429")
        return statuses

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        component = self.resolve_serializer(ProblemSerializer, "response")
        for status in self._error_statuses():
            if status in responses:
                continue
            responses[status] = {
                "description": _DESCRIPTIONS[status],
                "content": {"application/problem+json": {"schema": component.ref}},
            }
        return responses
