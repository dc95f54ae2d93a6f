"""The admin's Managers group: made by every migrate, joined by every manager."""

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from accounts.models import MANAGERS_GROUP, User
from backoffice.services import MANAGER_VIEWS, MANAGER_WRITES

pytestmark = pytest.mark.django_db


def test_migrate_gives_the_group_views_and_the_cash_drawer_writes_only():
    group = Group.objects.get(name=MANAGERS_GROUP)  # made by the test database's migrate
    codenames = set(group.permissions.values_list("content_type__app_label", "codename"))
    views = {(app, f"view_{model}") for app, model in MANAGER_VIEWS}
    writes = {(app, f"{action}_{model}") for app, model, action in MANAGER_WRITES}
    assert codenames == views | writes
    assert writes == {
        ("sales", "add_register"), ("sales", "change_register"),
        ("sales", "add_cashsession"), ("sales", "change_cashsession"),
    }  # fmt: skip


def test_the_demo_managers_are_in_the_group():
    call_command("seed_demo", days=1, products=5, verbosity=0)
    managers = User.objects.filter(role="manager")
    assert managers.count() == 4
    assert all(m.has_perm("sales.view_order") for m in managers)
    assert not any(m.has_perm("sales.change_order") for m in managers)
