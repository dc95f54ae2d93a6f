from decimal import Decimal

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.utils import json

#: Deepest nesting of arrays and objects a request body may have. The deepest the API reads is
#: an order (body -> items -> item), so 32 leaves room and keeps every later recursive walk of
#: the body (validation, error paths, the idempotency fingerprint) far from Python's limit.
MAX_JSON_DEPTH = 32


def _reject_constant(name: str):
    raise ValueError(f"{name} is not a valid JSON number")


def _depth_exceeds(value, limit: int) -> bool:
    """Whether `value` nests arrays/objects deeper than `limit`; iterative, so any depth is safe."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node
        for child in children:
            if isinstance(child, dict | list):
                if depth + 1 > limit:
                    return True
                stack.append((child, depth + 1))
    return False


class DecimalJSONParser(JSONParser):
    """JSON numbers with a fraction become Decimal, never float: 999.99 stays 999.99 exactly.

    A body nested deeper than MAX_JSON_DEPTH is a 400 `parse_error`, as is one so deep that the
    decoder itself gives up (RecursionError): never a 500.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = stream.read().decode(encoding) if stream is not None else ""
            if not text:
                return {}
            data = json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)
        except RecursionError as exc:
            raise ParseError(
                f"JSON parse error - nested deeper than {MAX_JSON_DEPTH} levels"
            ) from exc
        except (ValueError, UnicodeDecodeError) as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
        if isinstance(data, dict | list) and _depth_exceeds(data, MAX_JSON_DEPTH):
            raise ParseError(f"JSON parse error - nested deeper than {MAX_JSON_DEPTH} levels")
        return data
