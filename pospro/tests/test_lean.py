"""The lean request cycle of the scan and product-detail GETs (pospro.api.lean): the same
answers, refusals and limits as the DRF views it stands in front of."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from freezegun import freeze_time
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from accounts.tests.test_auth_api import assert_problem
from catalog.tests.factories import ProductFactory
from catalog.tests.stock import give_stock

pytestmark = pytest.mark.django_db

URL = "/api/v1/products"


@pytest.fixture
def tea(branch):
    product = ProductFactory(name="Tea", barcode="8690000000011", price=Decimal("12.50"))
    give_stock(product, branch, 7)
    return product


@pytest.mark.parametrize("role", ["cashier", "manager"])
def test_lean_answers_equal_the_drf_views(role, request, tea):
    client = request.getfixturevalue(f"{role}_api")
    for path in (f"{URL}/{tea.pk}", f"{URL}/barcode/{tea.barcode}"):
        lean = client.get(path)
        drf = client.get(path, {"format": "json"})  # ?format= takes the DRF view
        assert lean.status_code == drf.status_code == 200
        assert lean.json() == drf.json()
        assert lean["Content-Type"] == "application/json"
    assert ("cost_price" in client.get(f"{URL}/{tea.pk}").json()) is (role == "manager")


def test_lean_read_names_the_context_branch_stock(cashier_api, tea, other_branch):
    give_stock(tea, other_branch, 3)
    assert cashier_api.get(f"{URL}/{tea.pk}").json()["stock"] == 7
    assert cashier_api.get(f"{URL}/{tea.pk}", {"branch_id": other_branch.pk}).json()["stock"] == 3
    response = cashier_api.get(f"{URL}/{tea.pk}", {"branch_id": "nope"})
    assert_problem(response, 400, "validation_error")


def test_lean_refusals_are_problem_details(api, cashier, tea):
    response = api.get(f"{URL}/{tea.pk}")
    assert_problem(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")

    api.credentials(HTTP_AUTHORIZATION="Bearer not.a.token")
    assert_problem(api.get(f"{URL}/barcode/{tea.barcode}"), 401, "token_not_valid")

    api.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(cashier)}")
    assert_problem(api.get(f"{URL}/barcode/0000"), 404, "not_found")
    missing = "00000000-0000-0000-0000-000000000000"
    assert_problem(api.get(f"{URL}/{missing}"), 404, "not_found")


def test_deactivated_user_is_refused_at_the_next_lean_read(cashier, cashier_api, tea):
    assert cashier_api.get(f"{URL}/{tea.pk}").status_code == 200
    cashier.is_active = False
    cashier.save()
    assert_problem(cashier_api.get(f"{URL}/{tea.pk}"), 401, "authentication_failed")


def test_expired_token_is_refused_though_its_signature_was_checked_before(cashier, tea):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(cashier)}")
    assert client.get(f"{URL}/{tea.pk}").status_code == 200
    with freeze_time(timezone.now() + timedelta(hours=2)):
        assert_problem(client.get(f"{URL}/{tea.pk}"), 401, "token_not_valid")


@pytest.mark.usefixtures("one_throttle_window")
def test_lean_reads_share_the_user_throttle(cashier_api, tea, settings):
    settings.POSPRO_THROTTLE_RATES = {**settings.POSPRO_THROTTLE_RATES, "user": "3/min"}
    assert cashier_api.get(f"{URL}/{tea.pk}").status_code == 200
    assert cashier_api.get("/api/v1/auth/me").status_code == 200  # a DRF view, same counter
    assert cashier_api.get(f"{URL}/barcode/{tea.barcode}").status_code == 200
    response = cashier_api.get(f"{URL}/{tea.pk}")
    assert_problem(response, 429, "throttled")
    assert 0 < int(response["Retry-After"]) <= 60


def test_writes_on_the_same_url_go_to_the_drf_view(manager_api, cashier_api, tea):
    response = manager_api.patch(f"{URL}/{tea.pk}", {"name": "Green tea"}, format="json")
    assert response.status_code == 200
    assert cashier_api.get(f"{URL}/{tea.pk}").json()["name"] == "Green tea"
    assert_problem(
        cashier_api.patch(f"{URL}/{tea.pk}", {"name": "x"}, format="json"), 403, "permission_denied"
    )
    assert cashier_api.head(f"{URL}/{tea.pk}").status_code == 200
    response = cashier_api.get(f"{URL}/{tea.pk}", HTTP_ACCEPT="text/html")
    assert_problem(response, 406, "not_acceptable")
