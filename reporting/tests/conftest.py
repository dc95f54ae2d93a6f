"""A small shop in a zone far from UTC (Pacific/Auckland, UTC+13 in February), with orders on
both sides of local midnight, a refund made days later, a cancellation and a second branch.

Business days (local):
  2026-01-31 23:30  I  10 tea                      110.00   (January; 10:30 UTC the same day)
  2026-02-01 00:30  H   2 tea                       22.00   (February; 2026-01-31 11:30 UTC)
  2026-02-03 12:00  G   5 tea                       55.00
  2026-02-09 23:59  A   1 tea                       11.00
  2026-02-10 00:01  B   1 tea                       11.00   cash
  2026-02-10 13:30  C   2 coffee + 3 tea, card      93.00   1 coffee refunded on 02-12: -30.00
  2026-02-10 15:00  E   4 tea                       44.00   cancelled at 16:00
  2026-02-10 23:59  D   1 coffee - 5.00, 2nd cashier 24.00   cash
  2026-02-11 00:00  F   2 tea                       22.00
  2026-02-10 12:00  J   1 tea at the other branch   11.00
tea: 10.00 + 10% VAT = 11.00, cost 6.00; coffee: 25.00 + 20% VAT = 30.00, cost 15.00.
"""

from dataclasses import dataclass
from decimal import Decimal

import pytest

from accounts.tests.factories import UserFactory
from catalog.tests.factories import CategoryFactory
from catalog.tests.stock import give_stock
from reporting.tests.helpers import cancel, refund, sell
from sales.tests.helpers import stocked_product

D = Decimal


@dataclass
class Shop:
    branch: object
    other_branch: object
    cashier: object
    second: object
    manager: object
    tea: object
    coffee: object
    orders: dict


@pytest.fixture
def auckland(settings):
    settings.POSPRO_TIME_ZONE = "Pacific/Auckland"


@pytest.fixture
def shop(auckland, branch, other_branch, manager, other_cashier):
    cashier = UserFactory(role="cashier", branch=branch, name="Ali Veli", email="ali@pospro.test")
    second = UserFactory(role="cashier", branch=branch, name="Zeynep Kaya")
    drinks = CategoryFactory(name="Drinks")
    tea = stocked_product(
        branch, name="Tea", price=D("10.00"), vat_rate=D("0.10"), cost_price=D("6.00"),
        category=drinks,
    )  # fmt: skip
    give_stock(tea, other_branch, 10)
    coffee = stocked_product(
        branch, name="Coffee", price=D("25.00"), vat_rate=D("0.20"), cost_price=D("15.00"),
        category=drinks,
    )  # fmt: skip
    orders = {
        "I": sell("2026-01-31 23:30", cashier, (tea, 10)),
        "H": sell("2026-02-01 00:30", cashier, (tea, 2)),
        "G": sell("2026-02-03 12:00", cashier, (tea, 5)),
        "A": sell("2026-02-09 23:59", cashier, (tea, 1)),
        "B": sell("2026-02-10 00:01", cashier, (tea, 1)),
        "C": sell("2026-02-10 13:30", cashier, (coffee, 2), (tea, 3), method="card"),
        "E": sell("2026-02-10 15:00", cashier, (tea, 4)),
        "D": sell("2026-02-10 23:59", second, (coffee, 1, "5.00")),
        "F": sell("2026-02-11 00:00:30", cashier, (tea, 2)),
        "J": sell("2026-02-10 12:00", other_cashier, (tea, 1)),
    }
    cancel("2026-02-10 16:00", manager, orders["E"])
    refund("2026-02-12 10:00", manager, orders["C"], (1, 1))
    return Shop(branch, other_branch, cashier, second, manager, tea, coffee, orders)
