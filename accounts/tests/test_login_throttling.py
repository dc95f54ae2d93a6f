"""Login throttling that cannot be bypassed: one key per email whatever its spelling, the real
client address behind the configured proxies only, and a limit while Redis is down."""

import pytest
from django_redis.cache import RedisCache

from accounts.models import normalize_email
from accounts.tests.factories import PASSWORD, UserFactory
from accounts.tests.test_auth_api import assert_problem, login
from pospro.api.throttling import FixedWindowRateThrottle

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("one_throttle_window")]

#: Spellings that NFKC and case folding map to the ASCII address: one account, one count.
LOOK_ALIKES = [
    "caſhier@poſpro.local",  # long s
    "CASHIER@POSPRO.LOCAL",
    "ｃａｓｈｉｅｒ@pospro.local",  # full-width letters
    " Cashier@PosPro.Local ",
    "CAſHIER@pospro.local",
]
#: Spellings still not ASCII after that (PostgreSQL's case-insensitive match met `cashier` with
#: some): never an account, whatever the password.
NOT_ASCII = ["cashıer@pospro.local", "caſhıer@poſpro.local", "cashİer@pospro.local"]


@pytest.fixture
def login_limit(settings):
    settings.POSPRO_THROTTLE_RATES = {**settings.POSPRO_THROTTLE_RATES, "login": "3/min"}


@pytest.fixture
def till_user(branch):
    return UserFactory(email="cashier@pospro.local", role="cashier", branch=branch)


def test_look_alike_spellings_share_one_throttle_key(api, till_user, login_limit):
    statuses = [
        login(api, spelling, "wrong").status_code
        for index, spelling in enumerate(LOOK_ALIKES)
        for _ in [api.credentials(REMOTE_ADDR=f"10.1.0.{index}")]
    ]
    assert statuses == [401, 401, 401, 429, 429]


def test_a_non_ascii_spelling_never_logs_into_the_ascii_account(api, till_user):
    for spelling in NOT_ASCII:
        assert_problem(login(api, spelling), 401, "authentication_failed")
    assert login(api, "caſhier@poſpro.local").status_code == 200  # maps to the one spelling


def test_registration_stores_the_one_spelling_and_refuses_non_ascii(admin_api, branch):
    body = {"password": "Str0ng-Passw0rd!", "name": "N", "role": "cashier",
            "branch_id": str(branch.pk)}  # fmt: skip
    created = admin_api.post(
        "/api/v1/auth/register", {**body, "email": "New.Cashier@PosPro.local"}, format="json"
    )
    assert created.json()["email"] == "new.cashier@pospro.local"
    again = admin_api.post(
        "/api/v1/auth/register", {**body, "email": "new.caſhier@pospro.local"}, format="json"
    )
    assert_problem(again, 400, "validation_error")
    odd = admin_api.post(
        "/api/v1/auth/register", {**body, "email": "kasiyer.ı@pospro.local"}, format="json"
    )
    assert_problem(odd, 400, "validation_error")


def test_normalize_email_is_nfkc_casefold():
    assert normalize_email(" Caſhier@ＰosPro.Local ") == "cashier@pospro.local"


def test_x_forwarded_for_is_ignored_from_a_direct_client(api, login_limit):
    for index in range(3):
        body = {"email": f"u{index}@x.test", "password": "x"}
        api.post("/api/v1/auth/login", body, format="json", HTTP_X_FORWARDED_FOR=f"1.2.3.{index}")
    response = api.post(
        "/api/v1/auth/login",
        {"email": "u9@x.test", "password": "x"},
        format="json",
        HTTP_X_FORWARDED_FOR="9.9.9.9",
    )
    assert_problem(response, 429, "throttled")


def test_behind_one_trusted_proxy_the_client_is_the_last_forwarded_address(
    api, login_limit, settings
):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    for index in range(3):
        body = {"email": f"v{index}@x.test", "password": "x"}
        api.post("/api/v1/auth/login", body, format="json", HTTP_X_FORWARDED_FOR="5.5.5.5")
    other = api.post(
        "/api/v1/auth/login",
        {"email": "v9@x.test", "password": "x"},
        format="json",
        HTTP_X_FORWARDED_FOR="6.6.6.6",
    )
    assert other.status_code == 401  # another client: its own count


def test_logins_stay_throttled_while_redis_is_down(api, monkeypatch, login_limit, till_user):
    unreachable = RedisCache(
        "redis://127.0.0.1:1/0",
        {"OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 0.05}},
    )
    monkeypatch.setattr(FixedWindowRateThrottle, "cache", unreachable)
    statuses = [login(api, till_user.email, "wrong").status_code for _ in range(5)]
    assert statuses == [401, 401, 401, 429, 429]
    assert PASSWORD  # the right password is refused too once throttled
    assert_problem(login(api, till_user.email), 429, "throttled")
