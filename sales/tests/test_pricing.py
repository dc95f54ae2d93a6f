"""The money arithmetic: examples from the contract, and properties over random carts."""

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from pospro.money import ZERO
from sales.pricing import LineInput, allocate, price_order

D = Decimal


def test_contract_example_two_at_999_99_with_18_percent():
    order = price_order([LineInput(D("999.99"), 2, D("0.18"))])
    assert (order.subtotal, order.tax, order.total) == (D("1999.98"), D("360.00"), D("2359.98"))


def test_inclusive_prices():
    order = price_order([LineInput(D("118.00"), 1, D("0.18"))], prices_include_vat=True)
    assert (order.subtotal, order.tax, order.total) == (D("118.00"), D("18.00"), D("118.00"))


def test_half_up_per_line():
    # 0.125 rounds up to 0.13 (ROUND_HALF_EVEN would give 0.12).
    order = price_order([LineInput(D("1.25"), 1, D("0.10"))])
    assert order.lines[0].tax == D("0.13")


def test_order_discount_pro_rata_with_remainder_on_last_line():
    order = price_order(
        [LineInput(D("10.00"), 1, D("0")), LineInput(D("10.00"), 1, D("0")),
         LineInput(D("10.00"), 1, D("0"))],
        order_discount=D("10.00"),
    )  # fmt: skip
    assert [line.order_discount_share for line in order.lines] == [D("3.33"), D("3.33"), D("3.34")]
    assert order.total == D("20.00")


def test_allocation_never_leaves_a_line_negative():
    shares = allocate(D("0.05"), [D("0.01")] * 4 + [D("0.01")])
    assert sum(shares) == D("0.05")
    assert all(ZERO <= share <= D("0.01") for share in shares)


money = st.decimals(min_value=D("0.01"), max_value=D("9999.99"), places=2)
rates = st.sampled_from(
    [D("0"), D("0.01"), D("0.08"), D("0.10"), D("0.18"), D("0.20"), D("0.0725")]
)


@st.composite
def carts(draw):
    lines = []
    for _ in range(draw(st.integers(min_value=1, max_value=8))):
        price = draw(money)
        quantity = draw(st.integers(min_value=1, max_value=50))
        gross = (price * quantity).quantize(D("0.01"))
        discount = draw(st.decimals(min_value=D("0"), max_value=gross, places=2))
        lines.append(LineInput(price, quantity, draw(rates), discount))
    base = sum((line.unit_price * line.quantity - line.discount for line in lines), ZERO)
    order_discount = draw(st.decimals(min_value=D("0"), max_value=base, places=2))
    return lines, order_discount, draw(st.booleans())


@settings(max_examples=400, deadline=None)
@given(carts())
def test_totals_reconcile_to_the_cent(cart):
    lines, order_discount, inclusive = cart
    order = price_order(lines, order_discount=order_discount, prices_include_vat=inclusive)
    assert sum(line.tax for line in order.lines) == order.tax
    assert sum(line.total for line in order.lines) == order.total
    assert sum(line.order_discount_share for line in order.lines) == order_discount
    assert order.discount == sum(line.discount for line in lines) + order_discount
    expected_total = order.subtotal - order.discount + (ZERO if inclusive else order.tax)
    assert order.total == expected_total
    for line in order.lines:
        assert line.net >= ZERO
        assert line.tax >= ZERO
        assert line.net == line.gross - line.discount
        for value in (line.gross, line.discount, line.net, line.tax, line.total):
            assert value == value.quantize(D("0.01")), "every amount is whole cents"
        if not inclusive:
            assert line.tax <= line.net


@settings(max_examples=300, deadline=None)
@given(
    st.decimals(min_value=D("0"), max_value=D("500"), places=2),
    st.lists(st.decimals(min_value=D("0"), max_value=D("100"), places=2), min_size=1, max_size=20),
)
def test_allocation_sums_exactly_and_stays_within_each_line(amount, weights):
    total = sum(weights, ZERO)
    amount = min(amount, total)
    shares = allocate(amount, weights)
    assert sum(shares, ZERO) == amount
    assert all(ZERO <= share <= weight for share, weight in zip(shares, weights, strict=True))
