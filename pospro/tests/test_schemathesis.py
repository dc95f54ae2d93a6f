"""Schemathesis against the served OpenAPI schema, through the WSGI app, as an admin.

Every operation of /api/v1/schema gets schemathesis's phases: the schema's examples, coverage
(each documented bound and one past it, missing and wrong-typed fields) and fuzzing, valid and
invalid (NUL bytes, odd unicode, huge numbers); the operations on one object run once on random
ids and once on seeded objects. Every answer must be a non-5xx that the schema documents (status,
content type, body, headers).

Bounded: MAX_EXAMPLES fuzzed requests an operation, no shrinking; CI's step gives it 10 minutes
at most (`timeout 600`, .ci/run). Deselected from the main run (`-m 'not schemathesis'` in
pyproject's addopts): `pytest -m schemathesis` runs it. A transactional test in pytest-django's
test database (committed, then flushed), with the throttles off.
"""

import os

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from rest_framework_simplejwt.tokens import AccessToken
from schemathesis.generation.feedback import FeedbackSources

# Its pytest plugin's test builder, without the plugin's collection, which does not work with
# pytest 9.2 (it renames a node attribute the plugin sets): the same phases and checks.
from schemathesis.pytest._test_builder import build_operation_test

from catalog.tests.factories import ProductFactory
from catalog.tests.stock import give_stock
from conftest import client_for
from sales.tests.factories import CustomerFactory
from sales.tests.helpers import cash, order_body, post_order

#: Fuzzed requests an operation (the coverage phase adds its own); SCHEMATHESIS_MAX_EXAMPLES
#: changes it (CI: 50; a longer hunt: hundreds).
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "15"))

CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
]


@pytest.fixture
def seeded(transactional_db, admin_user, branch, settings) -> dict[str, dict]:
    """A little of everything, so that besides random ids (404s) the operations on one object
    also run on real ones: their path parameters, by the path's first segment."""
    settings.POSPRO_THROTTLE_RATES = {}
    # The admin works on a branch so writes that need one (stock, orders) get past validation.
    admin_user.branch = branch
    admin_user.save(update_fields=["branch"])
    product = ProductFactory(barcode="8690000000017")
    give_stock(product, branch, 500)
    ProductFactory(image_url="", category=None, barcode=None, sku=None)
    customer = CustomerFactory(email="", phone="")
    order = post_order(
        client_for(admin_user),
        order_body((product, 2), payments=cash("23.60"), customer_id=str(customer.pk)),
    )
    assert order.status_code == 201, order.content
    return {
        "branches": {"id": branch.pk},
        "categories": {"id": product.category_id},
        "customers": {"id": customer.pk},
        "orders": {"id": order.json()["id"]},
        "products": {"id": product.pk, "barcode": product.barcode},
    }


@pytest.fixture
def api_schema(seeded, admin_user):
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema?format=json", get_wsgi_application())
    schema.config.update(headers={"Authorization": f"Bearer {AccessToken.for_user(admin_user)}"})
    schema.config.checks.update(included_check_names=CHECKS)
    return schema


def _check(case):
    case.call_and_validate()


def _run(schema, operation, path_parameters=None) -> str | None:
    """Schemathesis's own phases for `operation` (explicit examples, coverage: boundary and
    invalid values, fuzzing), as its pytest plugin builds them, bounded by MAX_EXAMPLES; the
    failures' report, or None."""
    if path_parameters:
        schema.config.parameters = {f"path.{k}": str(v) for k, v in path_parameters.items()}
    else:
        schema.config.parameters = {}
    test = build_operation_test(
        config=schema.config,
        operation=operation,
        test_func=_check,
        given_kwargs={},
        feedback=FeedbackSources(),
        explicit_settings=hypothesis_settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],  # no shrinking: the report shows the request
            suppress_health_check=list(HealthCheck),
            database=None,
            derandomize=True,
        ),
    )
    try:
        test()
    except Unsatisfiable:
        return None
    except (Exception, BaseExceptionGroup) as exc:  # every failure is reported together below
        seeded = " on seeded objects" if path_parameters else ""
        return f"{operation.label}{seeded}: {exc}"
    return None


def _seeded_path_parameters(operation, seeded) -> dict | None:
    names = {parameter.name for parameter in operation.path_parameters}
    if not names:
        return None
    resource = operation.path.removeprefix("/api/v1/").split("/")[0]
    values = seeded.get(resource, {})
    return {name: values[name] for name in names} if names <= values.keys() else None


@pytest.mark.schemathesis
def test_api_answers_what_its_schema_says(api_schema, seeded):
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) > 40
    runs = [(api_schema, operation, None) for operation in operations]
    # Then the operations on one object, on real objects; deletions last, as they end them.
    on_objects = [op for op in operations if _seeded_path_parameters(op, seeded)]
    on_objects.sort(key=lambda op: op.method.upper() == "DELETE")
    runs += [(api_schema, op, _seeded_path_parameters(op, seeded)) for op in on_objects]
    failures = [failure for run in runs if (failure := _run(*run))]
    assert not failures, f"{len(failures)} failing operations:\n\n" + "\n\n".join(failures)
