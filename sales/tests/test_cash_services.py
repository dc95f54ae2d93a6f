"""The cash services called directly (the admin, the seeder and the commands use them)."""

import json
from decimal import Decimal

import pytest

from pospro.exceptions import Forbidden, ValidationFailed
from sales import cash
from sales.exceptions import InsufficientCash, SessionAlreadyOpen, SessionClosed
from sales.models import CashSession
from sales.tests.factories import RegisterFactory

pytestmark = pytest.mark.django_db


def test_open_move_report_close(branch, cashier, manager):
    register = cash.register_create(actor=manager, code="K1", name="Front")
    assert register.branch_id == branch.pk
    session = cash.cash_session_open(
        actor=cashier, register_id=register.pk, opening_float=Decimal("100.00")
    )
    with pytest.raises(SessionAlreadyOpen):
        cash.cash_session_open(actor=cashier, register_id=register.pk, opening_float=Decimal(0))
    cash.cash_movement_create(
        actor=cashier, session_id=session.pk, type="paid_in", amount=Decimal("20.00"), reason="x"
    )
    with pytest.raises(InsufficientCash):
        cash.cash_movement_create(
            actor=cashier,
            session_id=session.pk,
            type="paid_out",
            amount=Decimal("120.01"),
            reason="y",
        )
    x = cash.session_report(session)
    assert x["expected_cash"] == Decimal("120.00")
    assert x["z_number"] is None
    assert x["over_short"] is None
    z = cash.cash_session_close(
        actor=cashier, session_id=session.pk, counted_cash=Decimal("119.50")
    )
    assert z["z_number"] == 1
    assert z["over_short"] == -0.5
    stored = CashSession.objects.get(pk=session.pk)
    assert json.loads(stored.z_report) == z
    assert stored.over_short == Decimal("-0.50")
    with pytest.raises(SessionClosed):
        cash.cash_session_close(actor=manager, session_id=session.pk, counted_cash=Decimal(0))


def test_register_rules(branch, cashier, manager, other_branch):
    with pytest.raises(Forbidden):
        cash.register_create(actor=cashier, code="K1")
    with pytest.raises(Forbidden):
        cash.register_create(actor=manager, code="K1", branch_id=other_branch.pk)
    cash.register_create(actor=manager, code="K1")
    with pytest.raises(ValidationFailed):
        cash.register_create(actor=manager, code="K1")
    other = RegisterFactory(branch=other_branch, code="K1")
    with pytest.raises(ValidationFailed):  # outside the cashier's scope: unknown to them
        cash.cash_session_open(actor=cashier, register_id=other.pk, opening_float=Decimal(0))
