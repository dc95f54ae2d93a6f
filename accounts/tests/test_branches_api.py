import pytest

from accounts.models import Branch
from accounts.tests.factories import BranchFactory, UserFactory
from accounts.tests.test_auth_api import assert_problem

pytestmark = pytest.mark.django_db


def test_everyone_reads_branches(cashier_api, manager_api, admin_api, branch, other_branch):
    for client in (cashier_api, manager_api, admin_api):
        response = client.get("/api/v1/branches")
        assert response.status_code == 200
        body = response.json()
        assert body["total"] == 2
        assert body["skip"] == 0
        assert body["limit"] == 20
        assert [item["code"] for item in body["items"]] == ["ANK-01", "IST-01"]
        assert set(body["items"][0]) == {
            "id", "code", "name", "address", "phone", "is_active", "created_at",
        }  # fmt: skip


def test_branch_list_runs_constant_queries(admin_api, admin_user, django_assert_num_queries):
    BranchFactory.create_batch(3)
    with django_assert_num_queries(3):  # user (then cached: accounts.authentication), count, page
        admin_api.get("/api/v1/branches")
    BranchFactory.create_batch(30)
    with django_assert_num_queries(2):
        admin_api.get("/api/v1/branches?limit=100")


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "skip=-1", "limit=abc"])
def test_pagination_bounds(admin_api, query):
    response = admin_api.get(f"/api/v1/branches?{query}")
    assert_problem(response, 400, "validation_error")


def test_pagination_skip_and_limit(admin_api):
    BranchFactory.create_batch(5)
    body = admin_api.get("/api/v1/branches?skip=2&limit=2").json()
    assert (body["total"], body["skip"], body["limit"], len(body["items"])) == (5, 2, 2, 2)


def test_admin_creates_updates_and_deletes(admin_api):
    created = admin_api.post(
        "/api/v1/branches", {"code": "IZM-01", "name": "Izmir Alsancak"}, format="json"
    )
    assert created.status_code == 201
    branch_id = created.json()["id"]
    patched = admin_api.patch(f"/api/v1/branches/{branch_id}", {"phone": "+90 232"}, format="json")
    assert patched.status_code == 200
    assert patched.json()["phone"] == "+90 232"
    assert patched.json()["name"] == "Izmir Alsancak"
    put = admin_api.put(
        f"/api/v1/branches/{branch_id}/", {"code": "IZM-01", "name": "Izmir"}, format="json"
    )
    assert put.json()["name"] == "Izmir"
    assert admin_api.delete(f"/api/v1/branches/{branch_id}").status_code == 204
    assert not Branch.objects.filter(pk=branch_id).exists()


def test_duplicate_code_is_400(admin_api, branch):
    response = admin_api.post("/api/v1/branches", {"code": "ist-01", "name": "Dup"}, format="json")
    assert assert_problem(response, 400, "validation_error")["errors"][0]["field"] == "code"


def test_branch_with_users_cannot_be_deleted(admin_api, cashier, branch):
    assert_problem(admin_api.delete(f"/api/v1/branches/{branch.pk}"), 409, "conflict")
    assert Branch.objects.filter(pk=branch.pk).exists()


@pytest.mark.parametrize("role", ["manager", "cashier"])
def test_only_admins_write_branches(role, branch):
    from conftest import client_for

    client = client_for(UserFactory(role=role, branch=branch))
    assert_problem(
        client.post("/api/v1/branches", {"code": "X", "name": "X"}, format="json"),
        403,
        "permission_denied",
    )
    assert_problem(
        client.patch(f"/api/v1/branches/{branch.pk}", {"name": "Mine"}, format="json"),
        403,
        "permission_denied",
    )
    assert_problem(client.delete(f"/api/v1/branches/{branch.pk}"), 403, "permission_denied")


def test_anonymous_cannot_read_branches(api, branch):
    assert_problem(api.get("/api/v1/branches"), 401, "not_authenticated")
