"""Closed and open cash sessions at known business-local times (Europe/Istanbul), through the
cash services: shared by the cash report, the Cash dashboard and the admin tests.

  IST-01 K1  Ali Veli     2026-02-10 08:00-16:00  float 100, 10.00 cash sale  counted 108.00  -2.00
  IST-01 K1  Zeynep Kaya  2026-02-10 16:05-23:00  float 100                   counted 100.50  +0.50
  IST-01 K2  Ali Veli     2026-02-11 09:00-18:00  float  50                   counted  50.00   0.00
  IST-01 K1  Ali Veli     2026-02-12 08:00-12:00  float 100                   counted  99.00  -1.00
  IST-01 K2  Zeynep Kaya  2026-02-12 09:00        float  80, 10.00 cash sale  open
  ANK-01 K1  other        2026-02-10 10:00-20:00  float  20                   counted  25.00  +5.00
"""

from dataclasses import dataclass
from decimal import Decimal

from freezegun import freeze_time

from accounts.tests.factories import UserFactory
from reporting.tests.helpers import at
from sales import cash, services
from sales.tests.factories import RegisterFactory
from sales.tests.helpers import stocked_product

D = Decimal


@dataclass
class CashShop:
    branch: object
    other_branch: object
    ali: object
    zeynep: object
    other: object
    manager: object
    k1: object
    k2: object
    other_k1: object
    sessions: dict


def session(actor, register, opened: str, opening_float: str, closed=None, counted=None):
    opened_session = cash.cash_session_open(
        actor=actor, register_id=register.pk, opening_float=D(opening_float), at=at(opened)
    )
    if closed:
        cash.cash_session_close(
            actor=actor, session_id=opened_session.pk, counted_cash=D(counted), at=at(closed)
        )
        opened_session.refresh_from_db()
    return opened_session


def cash_sale(when: str, actor, register, product):
    with freeze_time(at(when)):
        return services.order_create(
            actor=actor,
            register_id=register.pk,
            items=[services.ItemRequest(product_id=product.pk, quantity=1)],
            payments=[services.PaymentRequest(method="cash", amount=D("20.00"))],
        )


def build_cash_shop(branch, other_branch, manager, other_cashier) -> CashShop:
    ali = UserFactory(role="cashier", branch=branch, name="Ali Veli", email="ali@pospro.test")
    zeynep = UserFactory(role="cashier", branch=branch, name="Zeynep Kaya")
    tea = stocked_product(branch, name="Tea", price=D("10.00"), vat_rate=D("0"))
    k1 = RegisterFactory(branch=branch, code="K1", name="Front")
    k2 = RegisterFactory(branch=branch, code="K2", name="Back")
    other_k1 = RegisterFactory(branch=other_branch, code="K1")
    s = {}
    first = cash.cash_session_open(
        actor=ali, register_id=k1.pk, opening_float=D("100"), at=at("2026-02-10 08:00")
    )
    cash_sale("2026-02-10 09:30", ali, k1, tea)
    cash.cash_session_close(
        actor=ali, session_id=first.pk, counted_cash=D("108.00"), at=at("2026-02-10 16:00")
    )
    first.refresh_from_db()
    s["ali_k1_10"] = first
    s["zeynep_k1_10"] = session(zeynep, k1, "2026-02-10 16:05", "100", "2026-02-10 23:00", "100.50")
    s["ali_k2_11"] = session(ali, k2, "2026-02-11 09:00", "50", "2026-02-11 18:00", "50.00")
    s["ali_k1_12"] = session(ali, k1, "2026-02-12 08:00", "100", "2026-02-12 12:00", "99.00")
    s["zeynep_k2_open"] = session(zeynep, k2, "2026-02-12 09:00", "80")
    cash_sale("2026-02-12 10:00", zeynep, k2, tea)
    s["other_k1_10"] = session(
        other_cashier, other_k1, "2026-02-10 10:00", "20", "2026-02-10 20:00", "25.00"
    )
    return CashShop(branch, other_branch, ali, zeynep, other_cashier, manager, k1, k2, other_k1, s)
