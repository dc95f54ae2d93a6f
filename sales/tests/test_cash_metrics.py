"""The cash gauges on /metrics: over/short of closed sessions and open sessions, per branch,
read from the database at scrape time."""

import re
from decimal import Decimal

import pytest

from sales import cash
from sales.tests.factories import RegisterFactory

pytestmark = pytest.mark.django_db


def sample(text: str, name: str, **labels) -> float | None:
    label_re = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    match = re.search(rf"^{name}\{{{label_re}\}} (\S+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else None


def test_over_short_and_open_sessions_per_branch(api, branch, other_branch, cashier, other_cashier):
    text = api.get("/metrics").content.decode()
    assert "# TYPE pospro_cash_over_short_total gauge" in text
    assert "# TYPE pospro_cash_sessions_open gauge" in text
    assert sample(text, "pospro_cash_sessions_open", branch=branch.code) is None

    k1 = RegisterFactory(branch=branch, code="K1")
    k2 = RegisterFactory(branch=branch, code="K2")
    k3 = RegisterFactory(branch=other_branch, code="K1")
    first = cash.cash_session_open(actor=cashier, register_id=k1.pk, opening_float=Decimal("100"))
    cash.cash_session_close(actor=cashier, session_id=first.pk, counted_cash=Decimal("97.50"))
    second = cash.cash_session_open(actor=cashier, register_id=k1.pk, opening_float=Decimal("50"))
    cash.cash_session_close(actor=cashier, session_id=second.pk, counted_cash=Decimal("51.25"))
    cash.cash_session_open(actor=cashier, register_id=k1.pk, opening_float=Decimal("0"))
    cash.cash_session_open(actor=cashier, register_id=k2.pk, opening_float=Decimal("0"))
    other = cash.cash_session_open(
        actor=other_cashier, register_id=k3.pk, opening_float=Decimal("20")
    )
    cash.cash_session_close(actor=other_cashier, session_id=other.pk, counted_cash=Decimal("25"))

    text = api.get("/metrics").content.decode()
    assert sample(text, "pospro_cash_over_short_total", branch=branch.code) == -1.25
    assert sample(text, "pospro_cash_over_short_total", branch=other_branch.code) == 5.0
    assert sample(text, "pospro_cash_sessions_open", branch=branch.code) == 2
    assert sample(text, "pospro_cash_sessions_open", branch=other_branch.code) is None
