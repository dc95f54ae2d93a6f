"""Reports of closed periods read the replica, against a real second database.

The replica is a copy of the test database made on the same server once the shop's sales are
written (CREATE DATABASE ... TEMPLATE), then given other figures than the primary: whichever
database answered shows in the report. Today's report always reads the primary, and so does a
closed period changed moments ago while the cache is on (a lagging replica must not be cached).
"""

from contextlib import contextmanager, nullcontext
from datetime import date, timedelta

import psycopg
import pytest
from django.db import connection, connections
from django.db.models import F
from django.test import override_settings
from django.utils import timezone
from freezegun import freeze_time
from psycopg import sql

from conftest import client_for
from pospro.clock import local
from pospro.tests.test_ops import UNREACHABLE_REDIS
from reporting.tests.helpers import refund, sell
from sales.models import SalesRollup

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])

CLOSED_DAY = date(2026, 2, 9)  # order A: 11.00


@contextmanager
def server():
    """An autocommit session on the server the test database lives on."""
    params = connection.settings_dict
    options = {"host": params["HOST"], "port": params["PORT"], "user": params["USER"]}
    options = {key: value for key, value in options.items() if value}
    with psycopg.connect(
        dbname="postgres", password=params["PASSWORD"] or None, autocommit=True, **options
    ) as admin:
        yield admin


def create_database(name: str, *, template: str) -> None:
    connections.close_all()  # a template database must have no other session
    with server() as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        admin.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(template)
            )
        )


@pytest.fixture(scope="module", autouse=True)
def replica_alias(django_db_setup, django_db_blocker):
    """The `replica` alias, for this module's tests, on a database beside the test database."""
    primary = connection.settings_dict["NAME"]
    name = f"{primary}_replica"
    with django_db_blocker.unblock():
        create_database(name, template=primary)
        connections.settings["replica"] = {**connection.settings_dict, "NAME": name}
        yield name
        connections["replica"].close()
        del connections["replica"]
        del connections.settings["replica"]
        with server() as admin:
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def now():
    """Tomorrow noon (business-local): well after the shop's names were written."""
    noon = local(timezone.now() + timedelta(days=1)).replace(hour=12, minute=0, second=0)
    with freeze_time(noon):
        yield noon


@pytest.fixture
def replica(replica_alias, shop, now, settings):
    """The shop with a sale today, copied to the replica, whose figures of the closed day and
    of today are then 100.00 higher than the primary's."""
    sell(f"{now:%Y-%m-%d %H:%M:%S}", shop.cashier, (shop.tea, 1))  # 11.00 today
    create_database(replica_alias, template=connection.settings_dict["NAME"])
    settings.DATABASE_ROUTERS = ["pospro.db_router.ReplicaRouter"]
    changed = (
        SalesRollup.objects.using("replica")
        .filter(business_date__in=[CLOSED_DAY, now.date()], branch=shop.branch)
        .update(gross=F("gross") + 100)
    )
    assert changed == 2
    return shop


def revenue(user, path: str) -> float:
    response = client_for(user).get(path)
    assert response.status_code == 200, response.content
    return response.json()["total_revenue"]


@pytest.mark.parametrize("cache", ["on", "off", "down"])
def test_a_closed_period_answers_the_replicas_figures_today_the_primarys(replica, cache, settings):
    if cache == "off":
        settings.POSPRO_CACHE_TTL = 0
    with override_settings(CACHES=UNREACHABLE_REDIS) if cache == "down" else nullcontext():
        for _ in range(2):  # computed, then (cache on) cached
            assert revenue(replica.manager, f"/api/v1/reports/daily?date={CLOSED_DAY}") == 111.0
            assert revenue(replica.manager, "/api/v1/reports/daily") == 11.0
        week = f"/api/v1/reports/weekly?end_date={CLOSED_DAY}"
        assert revenue(replica.manager, week) == 166.0  # G 55.00 + A 11.00, +100.00
        assert revenue(replica.manager, "/api/v1/reports/weekly") == 11.0


def test_a_closed_period_changed_moments_ago_reads_the_primary(replica, now):
    refund(f"{now:%Y-%m-%d %H:%M:%S}", replica.manager, replica.orders["A"], (1, 1))
    with freeze_time(now + timedelta(seconds=10)):
        assert revenue(replica.manager, f"/api/v1/reports/daily?date={CLOSED_DAY}") == 0.0
    with freeze_time(now + timedelta(seconds=60)):
        # The replica has caught up by then (here: it never will, so its figures show).
        week = f"/api/v1/reports/weekly?end_date={CLOSED_DAY}"
        assert revenue(replica.manager, week) == 166.0
