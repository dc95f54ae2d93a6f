"""OpenAPI: every operation documents its problem+json error answers next to its success."""

from django.core.validators import EmailValidator, URLValidator
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import force_instance
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


class _UnlessBlank:
    """Runs `validator` on a non-empty value only. Not an EmailValidator or URLValidator itself,
    so the schema does not get their `format`, which "" would break."""

    def __init__(self, validator):
        self.validator = validator

    def __call__(self, value):
        if value:
            self.validator(value)


@extend_schema_field({"type": "string", "anyOf": [{"format": "email"}, {"maxLength": 0}]})
class BlankableEmailField(serializers.CharField):
    """An email address, or "" for none."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators.append(_UnlessBlank(EmailValidator("Enter a valid email address.")))


@extend_schema_field({"type": "string", "anyOf": [{"format": "uri"}, {"maxLength": 0}]})
class BlankableURLField(serializers.CharField):
    """A URL, or "" for none."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators.append(_UnlessBlank(URLValidator(message="Enter a valid URL.")))


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
    "400": (
        "Validation error (`validation_error`, with `errors` naming each field; `parse_error`: "
        "a body that is not JSON, or nested deeper than 32 levels)."
    ),
    "401": "Missing, invalid or expired token (`not_authenticated`, `token_not_valid`).",
    "403": "The caller's role may not do this (`permission_denied`).",
    "404": (
        "Unknown, or outside the caller's branch scope (`not_found`): the object in the path, "
        "or one the request names by id (a `branch_id`, ...)."
    ),
    "409": "Conflict with the current state (`conflict`, `insufficient_stock`, ...).",
    "429": "Throttled (`throttled`); see the `Retry-After` header.",
}


def _names_objects(serializer) -> bool:
    """Whether a request body refers to other objects by id (which may not exist: 404)."""
    serializer = force_instance(serializer)
    if isinstance(serializer, serializers.ListSerializer):
        serializer = serializer.child
    if not isinstance(serializer, serializers.Serializer):
        return False
    return any(
        isinstance(field, serializers.UUIDField | serializers.PrimaryKeyRelatedField)
        or _names_objects(field)
        for field in serializer.fields.values()
        if not field.read_only
    )


class ProblemAutoSchema(AutoSchema):
    """Documents, on every operation, the problem+json answers it can give besides its own:
    400 wherever it reads input (a body or query parameters), 401/403 where it needs a token,
    404 where it names an object (in the path, by a uuid query parameter or in its body), 409
    on deletions (the object is still referenced), 429 everywhere. A view documents its other
    answers (409 `insufficient_stock`, 422, ...) with extend_schema."""

    def _error_statuses(self) -> list[str]:
        query = [p for p in self._get_parameters() if p.get("in") == "query"]
        statuses = []
        if self.method in ("POST", "PUT", "PATCH") or self._is_list_view() or query:
            statuses.append("400")
        if self.get_auth():
            statuses += ["401", "403"]
        if (
            "{" in self.path
            or any(p.get("schema", {}).get("format") == "uuid" for p in query)
            or (
                self.method in ("POST", "PUT", "PATCH")
                and _names_objects(self.get_request_serializer())
            )
        ):
            statuses.append("404")
        if self.method == "DELETE":  # a row other records still reference (ProtectedError)
            statuses.append("409")
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
