"""Auth endpoints through the HTTP API: login, refresh rotation, logout, me, password, register."""

import jwt
import pytest
from django.conf import settings
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import User
from accounts.tests.factories import PASSWORD, UserFactory
from conftest import client_for

pytestmark = pytest.mark.django_db


def login(api, email, password=PASSWORD):
    return api.post("/api/v1/auth/login", {"email": email, "password": password}, format="json")


def assert_problem(response, status, code):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["title"]
    assert body["detail"]
    return body


def test_login_returns_token_pair(api, cashier):
    response = login(api, cashier.email)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    header = jwt.get_unverified_header(body["access_token"])
    assert header["alg"] == "HS256"
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 3600


def test_login_email_is_case_insensitive(api, cashier):
    assert login(api, cashier.email.upper()).status_code == 200


@pytest.mark.parametrize("case", ["unknown", "wrong_password", "inactive"])
def test_login_failures_share_one_answer(api, cashier, case):
    email, password = cashier.email, PASSWORD
    if case == "unknown":
        email = "nobody@pospro.test"
    elif case == "wrong_password":
        password = "not-the-password"
    else:
        cashier.is_active = False
        cashier.save()
    body = assert_problem(login(api, email, password), 401, "authentication_failed")
    assert body["detail"] == "Invalid email or password."


def test_login_validation_error_names_fields(api):
    response = api.post("/api/v1/auth/login", {"email": "x@y.z"}, format="json")
    body = assert_problem(response, 400, "validation_error")
    assert body["errors"][0]["field"] == "password"


def test_me_requires_token(api):
    assert_problem(api.get("/api/v1/auth/me"), 401, "not_authenticated")


def test_me_answers_the_user(api, manager, branch):
    access = login(api, manager.email).json()["access_token"]
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    body = api.get("/api/v1/auth/me").json()
    assert body["email"] == manager.email
    assert body["role"] == "manager"
    assert body["branch_id"] == str(branch.pk)
    assert "password" not in body


def test_garbage_token_is_token_not_valid(api):
    api.credentials(HTTP_AUTHORIZATION="Bearer not-a-jwt")
    assert_problem(api.get("/api/v1/auth/me"), 401, "token_not_valid")


def test_alg_none_token_is_refused(api, admin_user):
    forged = jwt.encode(
        {"user_id": str(admin_user.pk), "token_type": "access", "exp": 9999999999, "jti": "x"},
        key=None,
        algorithm="none",
    )
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {forged}")
    assert_problem(api.get("/api/v1/auth/me"), 401, "token_not_valid")


def test_token_signed_with_other_key_is_refused(api, admin_user):
    forged = jwt.encode(
        {"user_id": str(admin_user.pk), "token_type": "access", "exp": 9999999999, "jti": "x"},
        key="another-secret-key-that-is-long-enough-for-hs256",
        algorithm="HS256",
    )
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {forged}")
    assert_problem(api.get("/api/v1/auth/me"), 401, "token_not_valid")


def test_deactivated_user_is_refused_on_next_request(cashier, django_capture_on_commit_callbacks):
    from accounts.services import user_set_active

    client = client_for(cashier)
    assert client.get("/api/v1/auth/me").status_code == 200
    assert client.get("/api/v1/auth/me").status_code == 200  # now served from the cache
    with django_capture_on_commit_callbacks(execute=True):
        user_set_active(user=User.objects.get(pk=cashier.pk), is_active=False)
    assert_problem(client.get("/api/v1/auth/me"), 401, "authentication_failed")


def test_role_and_branch_changes_apply_on_next_request(
    manager, other_branch, django_capture_on_commit_callbacks
):
    client = client_for(manager)
    assert client.get("/api/v1/auth/me").json()["role"] == "manager"
    with django_capture_on_commit_callbacks(execute=True):
        manager.role, manager.branch = "cashier", other_branch
        manager.save()
    body = client.get("/api/v1/auth/me").json()
    assert (body["role"], body["branch_id"]) == ("cashier", str(other_branch.pk))


def test_refresh_rotates_and_old_token_is_dead(api, cashier):
    first = login(api, cashier.email).json()
    response = api.post(
        "/api/v1/auth/refresh", {"refresh_token": first["refresh_token"]}, format="json"
    )
    assert response.status_code == 200
    second = response.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["token_type"] == "bearer"
    assert second["expires_in"] == 3600
    reuse = api.post(
        "/api/v1/auth/refresh", {"refresh_token": first["refresh_token"]}, format="json"
    )
    assert_problem(reuse, 401, "token_not_valid")
    again = api.post(
        "/api/v1/auth/refresh", {"refresh_token": second["refresh_token"]}, format="json"
    )
    assert again.status_code == 200


def test_refresh_with_access_token_is_refused(api, cashier):
    pair = login(api, cashier.email).json()
    response = api.post(
        "/api/v1/auth/refresh", {"refresh_token": pair["access_token"]}, format="json"
    )
    assert_problem(response, 401, "token_not_valid")


def test_refresh_refused_for_deactivated_user(api, cashier):
    pair = login(api, cashier.email).json()
    User.objects.filter(pk=cashier.pk).update(is_active=False)
    response = api.post(
        "/api/v1/auth/refresh", {"refresh_token": pair["refresh_token"]}, format="json"
    )
    assert_problem(response, 401, "token_not_valid")


def test_logout_revokes_refresh_token(api, cashier):
    pair = login(api, cashier.email).json()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {pair['access_token']}")
    response = api.post(
        "/api/v1/auth/logout", {"refresh_token": pair["refresh_token"]}, format="json"
    )
    assert response.status_code == 204
    api.credentials()
    again = api.post(
        "/api/v1/auth/refresh", {"refresh_token": pair["refresh_token"]}, format="json"
    )
    assert_problem(again, 401, "token_not_valid")


def test_logout_of_someone_elses_token_is_refused(api, cashier, manager):
    theirs = login(api, manager.email).json()
    response = client_for(cashier).post(
        "/api/v1/auth/logout", {"refresh_token": theirs["refresh_token"]}, format="json"
    )
    assert_problem(response, 400, "validation_error")
    still = api.post(
        "/api/v1/auth/refresh", {"refresh_token": theirs["refresh_token"]}, format="json"
    )
    assert still.status_code == 200


def test_password_change_revokes_every_refresh_token(api, cashier):
    one = login(api, cashier.email).json()
    two = login(api, cashier.email).json()
    client = client_for(cashier)
    response = client.post(
        "/api/v1/auth/password",
        {"old_password": PASSWORD, "new_password": "Brand-New-Passw0rd!"},
        format="json",
    )
    assert response.status_code == 204
    for pair in (one, two):
        dead = api.post(
            "/api/v1/auth/refresh", {"refresh_token": pair["refresh_token"]}, format="json"
        )
        assert_problem(dead, 401, "token_not_valid")
    assert login(api, cashier.email, PASSWORD).status_code == 401
    assert login(api, cashier.email, "Brand-New-Passw0rd!").status_code == 200


def test_password_change_checks_old_and_strength(cashier):
    client = client_for(cashier)
    wrong = client.post(
        "/api/v1/auth/password",
        {"old_password": "nope", "new_password": "Brand-New-Passw0rd!"},
        format="json",
    )
    assert assert_problem(wrong, 400, "validation_error")["errors"][0]["field"] == "old_password"
    weak = client.post(
        "/api/v1/auth/password", {"old_password": PASSWORD, "new_password": "123"}, format="json"
    )
    assert assert_problem(weak, 400, "validation_error")["errors"][0]["field"] == "new_password"


# --- register: the roles table ----------------------------------------------------------------


def register_body(**overrides):
    body = {
        "email": "new.cashier@pospro.test",
        "password": "Quite-Strong-Pass-42",
        "name": "New Cashier",
        "role": "cashier",
    }
    body.update(overrides)
    return body


def test_admin_registers_any_role_in_any_branch(admin_api, other_branch):
    response = admin_api.post(
        "/api/v1/auth/register",
        register_body(role="manager", branch_id=str(other_branch.pk)),
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "email", "name", "role", "branch_id", "is_active", "created_at"}
    assert body["role"] == "manager"
    assert body["branch_id"] == str(other_branch.pk)
    assert body["created_at"].endswith("Z")
    user = User.objects.get(pk=body["id"])
    assert user.check_password("Quite-Strong-Pass-42")
    assert user.password.startswith("argon2")


def test_admin_registers_admin_without_branch(admin_api):
    response = admin_api.post("/api/v1/auth/register", register_body(role="admin"), format="json")
    assert response.status_code == 201
    assert response.json()["branch_id"] is None


def test_cashier_needs_branch(admin_api):
    response = admin_api.post("/api/v1/auth/register", register_body(), format="json")
    assert assert_problem(response, 400, "validation_error")["errors"][0]["field"] == "branch_id"


def test_manager_registers_cashier_of_own_branch(manager_api, branch):
    response = manager_api.post("/api/v1/auth/register", register_body(), format="json")
    assert response.status_code == 201
    assert response.json()["branch_id"] == str(branch.pk)


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_manager_cannot_register_higher_roles(manager_api, role):
    response = manager_api.post("/api/v1/auth/register", register_body(role=role), format="json")
    assert_problem(response, 403, "permission_denied")
    assert not User.objects.filter(email="new.cashier@pospro.test").exists()


def test_manager_cannot_register_in_other_branch(manager_api, other_branch):
    response = manager_api.post(
        "/api/v1/auth/register", register_body(branch_id=str(other_branch.pk)), format="json"
    )
    assert_problem(response, 403, "permission_denied")


def test_cashier_cannot_register(cashier_api):
    response = cashier_api.post("/api/v1/auth/register", register_body(), format="json")
    assert_problem(response, 403, "permission_denied")


def test_register_rejects_duplicate_email_case_insensitively(admin_api, cashier, branch):
    response = admin_api.post(
        "/api/v1/auth/register",
        register_body(email=cashier.email.upper(), branch_id=str(branch.pk)),
        format="json",
    )
    assert assert_problem(response, 400, "validation_error")["errors"][0]["code"] == "unique"


def test_register_rejects_weak_password_and_unknown_role(admin_api, branch):
    weak = admin_api.post(
        "/api/v1/auth/register",
        register_body(password="password", branch_id=str(branch.pk)),
        format="json",
    )
    assert assert_problem(weak, 400, "validation_error")["errors"][0]["field"] == "password"
    role = admin_api.post(
        "/api/v1/auth/register",
        register_body(role="owner", branch_id=str(branch.pk)),
        format="json",
    )
    assert assert_problem(role, 400, "validation_error")["errors"][0]["field"] == "role"


def test_register_ignores_mass_assigned_privileges(admin_api, branch):
    response = admin_api.post(
        "/api/v1/auth/register",
        register_body(branch_id=str(branch.pk), is_superuser=True, is_staff=True, is_active=False),
        format="json",
    )
    assert response.status_code == 201
    user = User.objects.get(pk=response.json()["id"])
    assert (user.is_superuser, user.is_staff, user.is_active) == (False, False, True)


def test_access_token_is_pinned_hs256():
    assert settings.SIMPLE_JWT["ALGORITHM"] == "HS256"
    assert AccessToken.lifetime.total_seconds() == 3600


def test_createsuperuser_noinput_makes_an_admin(monkeypatch):
    from django.core.management import call_command

    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "Boss@PosPro.test")
    monkeypatch.setenv("DJANGO_SUPERUSER_NAME", "The Boss")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "Boss-Pass-2025!")
    call_command("createsuperuser", "--noinput", verbosity=0)
    user = User.objects.get(email="boss@pospro.test")
    assert (user.role, user.is_superuser, user.is_staff, user.name) == (
        "admin",
        True,
        True,
        "The Boss",
    )
    assert user.check_password("Boss-Pass-2025!")


def test_factory_user_logs_in(api):
    user = UserFactory()
    assert login(api, user.email).status_code == 200
