"""The reports through the HTTP API, on the fixed shop of conftest.py (Pacific/Auckland)."""

import pytest
from freezegun import freeze_time

from accounts.tests.test_auth_api import assert_problem
from conftest import client_for
from reporting.tests.helpers import at

pytestmark = pytest.mark.django_db

LATER = "2026-03-05 09:00"  # February is a closed month by then


def get(user, path, when=LATER, **extra):
    with freeze_time(at(when)):
        return client_for(user).get(path, **extra)


def hour_rows(body):
    return {
        row["hour"]: (row["orders"], row["revenue"])
        for row in body["hourly_sales"]
        if row["orders"]
    }


# --- daily ------------------------------------------------------------------------------------


def test_daily_counts_local_days_net_of_refunds_without_cancelled(shop):
    body = get(shop.manager, "/api/v1/reports/daily?date=2026-02-10").json()
    assert body["date"] == "2026-02-10"
    # B 11.00 (00:01) + C 93.00 - 30.00 refunded two days later + D 24.00 (23:59); E cancelled;
    # A (23:59 the day before) and F (00:00:30 the day after) are other days.
    assert body["total_orders"] == 3
    assert body["total_revenue"] == 98.0
    assert body["average_order_value"] == 32.67
    assert body["total_tax"] == 13.0  # 1.00 + (13.00 - 5.00 refunded) + 4.00
    assert body["total_discount"] == 5.0
    assert body["items_sold"] == 6  # 1 + (5 - 1 returned) + 1
    assert body["payment_methods"] == {"cash": 35.0, "card": 63.0, "meal_card": 0.0, "credit": 0.0}
    assert len(body["hourly_sales"]) == 24
    assert [row["hour"] for row in body["hourly_sales"]] == list(range(24))
    assert hour_rows(body) == {0: (1, 11.0), 13: (1, 63.0), 23: (1, 24.0)}
    assert [(p["name"], p["quantity_sold"], p["revenue"]) for p in body["top_products"]] == [
        ("Coffee", 2, 54.0),
        ("Tea", 4, 44.0),
    ]
    assert body["top_products"][0]["product_id"] == str(shop.coffee.pk)


def test_daily_defaults_to_the_local_today(shop):
    # 2026-02-10 18:00 in Auckland is 05:00 UTC the same day; 2026-02-11 00:30 is still the
    # 10th in UTC but already the 11th here.
    assert get(shop.manager, "/api/v1/reports/daily", "2026-02-10 18:00").json()["date"] == (
        "2026-02-10"
    )
    body = get(shop.manager, "/api/v1/reports/daily/", "2026-02-11 00:30").json()
    assert body["date"] == "2026-02-11"
    assert (body["total_orders"], body["total_revenue"]) == (1, 22.0)


def test_daily_of_an_empty_day_is_all_zeros(shop):
    body = get(shop.manager, "/api/v1/reports/daily?date=2026-02-20").json()
    assert body["total_orders"] == 0
    assert body["total_revenue"] == 0
    assert body["average_order_value"] == 0
    assert body["items_sold"] == 0
    assert body["payment_methods"] == {"cash": 0, "card": 0, "meal_card": 0, "credit": 0}
    assert body["hourly_sales"] == [{"hour": h, "revenue": 0.0, "orders": 0} for h in range(24)]
    assert body["top_products"] == []


def test_admin_sees_every_branch_or_the_one_named(shop, admin_user):
    everything = get(admin_user, "/api/v1/reports/daily?date=2026-02-10").json()
    assert (everything["total_orders"], everything["total_revenue"]) == (4, 109.0)
    other = get(
        admin_user, f"/api/v1/reports/daily?date=2026-02-10&branch_id={shop.other_branch.pk}"
    ).json()
    assert (other["total_orders"], other["total_revenue"]) == (1, 11.0)
    assert hour_rows(other) == {12: (1, 11.0)}


def test_manager_is_kept_to_own_branch(shop):
    own = get(shop.manager, f"/api/v1/reports/daily?date=2026-02-10&branch_id={shop.branch.pk}")
    assert own.json()["total_revenue"] == 98.0
    for report in ("daily", "weekly", "monthly", "products", "cashiers"):
        response = get(shop.manager, f"/api/v1/reports/{report}?branch_id={shop.other_branch.pk}")
        assert_problem(response, 403, "permission_denied")


@pytest.mark.parametrize(
    "report", ["daily", "weekly", "monthly", "products", "cashiers", "branches"]
)
def test_cashiers_may_not_read_reports(shop, report):
    assert_problem(get(shop.cashier, f"/api/v1/reports/{report}"), 403, "permission_denied")


def test_reports_need_authentication(api):
    assert_problem(api.get("/api/v1/reports/daily"), 401, "not_authenticated")


def test_branches_report_is_for_admins_only(shop):
    assert_problem(get(shop.manager, "/api/v1/reports/branches"), 403, "permission_denied")


def test_unknown_branch_for_admin_is_404(shop, admin_user):
    response = get(
        admin_user, "/api/v1/reports/daily?branch_id=6b1f2f52-2c1a-4f7e-9b57-0d1f0b0e0e0e"
    )
    assert_problem(response, 404, "not_found")


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/v1/reports/daily?date=2026-02-30", "date"),
        ("/api/v1/reports/weekly?end_date=yesterday", "end_date"),
        ("/api/v1/reports/monthly?month=2026-13", "month"),
        ("/api/v1/reports/monthly?month=2026-2", "month"),
        ("/api/v1/reports/products?start_date=2026-02-10&end_date=2026-02-01", "end_date"),
        ("/api/v1/reports/products?ordering=price", "ordering"),
        ("/api/v1/reports/products?limit=0", "limit"),
        ("/api/v1/reports/cashiers?start_date=2020-01-01&end_date=2026-02-01", "end_date"),
        ("/api/v1/reports/daily?branch_id=nope", "branch_id"),
        ("/api/v1/reports/daily?format=xml", "format"),
    ],
)
def test_invalid_parameters_are_400(shop, admin_user, path, field):
    body = assert_problem(get(admin_user, path), 400, "validation_error")
    assert body["errors"][0]["field"] == field


# --- weekly and monthly -----------------------------------------------------------------------


def test_weekly_fills_seven_days_and_compares_with_the_week_before(shop):
    body = get(shop.manager, "/api/v1/reports/weekly?end_date=2026-02-10").json()
    assert body["period"] == {"start_date": "2026-02-04", "end_date": "2026-02-10"}
    assert [(d["date"], d["orders"], d["revenue"]) for d in body["daily_sales"]] == [
        ("2026-02-04", 0, 0.0),
        ("2026-02-05", 0, 0.0),
        ("2026-02-06", 0, 0.0),
        ("2026-02-07", 0, 0.0),
        ("2026-02-08", 0, 0.0),
        ("2026-02-09", 1, 11.0),
        ("2026-02-10", 3, 98.0),
    ]
    assert (body["total_orders"], body["total_revenue"]) == (4, 109.0)
    assert body["average_daily"] == 15.57
    # The 7 days before (01-28..02-03): I 110.00 + H 22.00 + G 55.00 = 187.00.
    assert body["growth_rate"] == "-41.7%"


def test_weekly_growth_is_null_without_previous_revenue(shop):
    body = get(shop.manager, "/api/v1/reports/weekly?end_date=2026-01-31").json()
    assert body["total_revenue"] == 110.0
    assert body["growth_rate"] is None
    empty = get(shop.manager, "/api/v1/reports/weekly?end_date=2025-06-30").json()
    assert (empty["total_revenue"], empty["average_daily"], empty["growth_rate"]) == (0, 0, None)
    assert len(empty["daily_sales"]) == 7


def test_weekly_defaults_to_the_seven_days_ending_today(shop):
    body = get(shop.manager, "/api/v1/reports/weekly", "2026-02-11 09:00").json()
    assert body["period"] == {"start_date": "2026-02-05", "end_date": "2026-02-11"}
    assert body["total_revenue"] == 131.0  # A 11 + 98 + F 22
    assert body["growth_rate"] == "-29.9%"  # against 01-29..02-04: I 110 + H 22 + G 55


def test_monthly_every_day_with_growth_against_the_previous_month(shop):
    body = get(shop.manager, "/api/v1/reports/monthly?month=2026-02").json()
    assert body["month"] == "2026-02"
    assert len(body["daily_sales"]) == 28
    assert body["daily_sales"][0] == {"date": "2026-02-01", "revenue": 22.0, "orders": 1}
    assert body["daily_sales"][-1] == {"date": "2026-02-28", "revenue": 0.0, "orders": 0}
    # H at 00:30 on the 1st local time (still January 31st in UTC) belongs to February.
    assert (body["total_orders"], body["total_revenue"]) == (7, 208.0)
    assert body["average_order_value"] == 29.71
    assert body["growth_rate"] == "+89.1%"  # against January's 110.00 (I at 23:30 on the 31st)
    january = get(shop.manager, "/api/v1/reports/monthly?month=2026-01").json()
    assert len(january["daily_sales"]) == 31
    assert (january["total_orders"], january["total_revenue"]) == (1, 110.0)
    assert january["growth_rate"] is None


def test_running_month_compares_like_with_like(shop):
    # On 2026-02-03 February has 22 + 55 = 77.00 so far; January's first three days had nothing.
    body = get(shop.manager, "/api/v1/reports/monthly", "2026-02-03 20:00").json()
    assert body["month"] == "2026-02"
    assert body["growth_rate"] is None
    # On 2026-03-02, March has nothing yet against February's first two days (22.00).
    march = get(shop.manager, "/api/v1/reports/monthly", "2026-03-02 20:00").json()
    assert (march["month"], march["total_revenue"], march["growth_rate"]) == (
        "2026-03",
        0,
        "-100.0%",
    )


# --- products, cashiers, branches -------------------------------------------------------------


def test_products_report_with_cost_margin_and_orderings(shop):
    body = get(
        shop.manager, "/api/v1/reports/products?start_date=2026-02-01&end_date=2026-02-28"
    ).json()
    assert body["period"] == {"start_date": "2026-02-01", "end_date": "2026-02-28"}
    tea, coffee = body["items"]
    assert tea == {
        "product_id": str(shop.tea.pk),
        "name": "Tea",
        "category": "Drinks",
        "quantity_sold": 14,
        "revenue": 154.0,
        "net_revenue": 140.0,
        "cost": 84.0,
        "gross_margin": 56.0,
        "margin_rate": 0.4,
    }
    # Coffee: C 2 x 30.00 with one returned (-30.00 incl. 5.00 VAT), D 1 x 24.00 (4.00 VAT).
    assert coffee == {
        "product_id": str(shop.coffee.pk),
        "name": "Coffee",
        "category": "Drinks",
        "quantity_sold": 2,
        "revenue": 54.0,
        "net_revenue": 45.0,
        "cost": 30.0,
        "gross_margin": 15.0,
        "margin_rate": 0.3333,
    }
    by_quantity = get(
        shop.manager, "/api/v1/reports/products?start_date=2026-02-10&ordering=quantity&limit=1"
    ).json()
    assert by_quantity["period"] == {"start_date": "2026-02-10", "end_date": "2026-03-05"}
    assert [(p["name"], p["quantity_sold"]) for p in by_quantity["items"]] == [("Tea", 6)]


def test_products_ordering_by_margin(shop, admin_user):
    from reporting.tests.helpers import sell
    from sales.tests.helpers import stocked_product

    caviar = stocked_product(shop.branch, name="Caviar", price="100.00", cost_price="99.00",
                             vat_rate="0")  # fmt: skip
    sell("2026-02-15 10:00", shop.cashier, (caviar, 2))
    path = "/api/v1/reports/products?start_date=2026-02-01&end_date=2026-02-28"
    by_revenue = get(admin_user, path).json()["items"]
    assert [p["name"] for p in by_revenue] == ["Caviar", "Tea", "Coffee"]
    by_margin = get(admin_user, path + "&ordering=margin").json()["items"]
    assert [(p["name"], p["gross_margin"]) for p in by_margin] == [
        ("Tea", 60.0),  # J at the other branch adds a 15th tea: 15 x (10.00 - 6.00)
        ("Coffee", 15.0),
        ("Caviar", 2.0),
    ]


def test_cashiers_report(shop):
    body = get(shop.manager, "/api/v1/reports/cashiers?start_date=2026-02-10&end_date=2026-02-10")
    assert body.json()["items"] == [
        {
            "cashier_id": str(shop.cashier.pk),
            "name": "Ali Veli",
            "orders": 2,
            "revenue": 74.0,
            "average_order_value": 37.0,
            "items_sold": 5,
            "refunds": 30.0,
        },
        {
            "cashier_id": str(shop.second.pk),
            "name": "Zeynep Kaya",
            "orders": 1,
            "revenue": 24.0,
            "average_order_value": 24.0,
            "items_sold": 1,
            "refunds": 0.0,
        },
    ]


def test_branches_report_shares(shop, admin_user):
    body = get(admin_user, "/api/v1/reports/branches?start_date=2026-02-10&end_date=2026-02-10")
    items = body.json()["items"]
    assert [(b["code"], b["orders"], b["revenue"], b["share_of_revenue"]) for b in items] == [
        ("ANK-01", 1, 11.0, 0.1009),
        ("IST-01", 3, 98.0, 0.8991),
    ]
    assert items[1] == {
        "branch_id": str(shop.branch.pk),
        "code": "IST-01",
        "name": "Istanbul Kadikoy",
        "orders": 3,
        "revenue": 98.0,
        "average_order_value": 32.67,
        "share_of_revenue": 0.8991,
    }
    empty = get(admin_user, "/api/v1/reports/branches?start_date=2025-01-01&end_date=2025-01-31")
    assert [(b["code"], b["revenue"], b["share_of_revenue"]) for b in empty.json()["items"]] == [
        ("ANK-01", 0.0, 0.0),
        ("IST-01", 0.0, 0.0),
    ]


# --- CSV --------------------------------------------------------------------------------------


def csv_lines(response):
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return response.content.decode("utf-8").split("\r\n")


def test_daily_csv_line_by_line(shop):
    response = get(shop.manager, "/api/v1/reports/daily?date=2026-02-10&format=csv")
    assert response["Content-Disposition"] == 'attachment; filename="pospro-daily-2026-02-10.csv"'
    lines = csv_lines(response)
    assert lines[0] == "date,hour,orders,revenue"
    assert lines[1] == "2026-02-10,0,1,11.00"
    assert lines[2] == "2026-02-10,1,0,0.00"
    assert lines[14] == "2026-02-10,13,1,63.00"
    assert lines[24] == "2026-02-10,23,1,24.00"
    assert lines[25:] == [""]


def test_weekly_and_monthly_csv(shop):
    weekly = get(shop.manager, "/api/v1/reports/weekly?end_date=2026-02-10&format=csv")
    assert weekly["Content-Disposition"] == (
        'attachment; filename="pospro-weekly-2026-02-04_2026-02-10.csv"'
    )
    assert csv_lines(weekly) == [
        "date,orders,revenue",
        "2026-02-04,0,0.00",
        "2026-02-05,0,0.00",
        "2026-02-06,0,0.00",
        "2026-02-07,0,0.00",
        "2026-02-08,0,0.00",
        "2026-02-09,1,11.00",
        "2026-02-10,3,98.00",
        "",
    ]
    monthly = get(shop.manager, "/api/v1/reports/monthly?month=2026-02&format=csv")
    assert monthly["Content-Disposition"] == 'attachment; filename="pospro-monthly-2026-02.csv"'
    lines = csv_lines(monthly)
    assert len(lines) == 1 + 28 + 1
    assert lines[1] == "2026-02-01,1,22.00"
    assert lines[3] == "2026-02-03,1,55.00"
    assert lines[28] == "2026-02-28,0,0.00"


def test_products_cashiers_branches_csv(shop, admin_user):
    products = get(
        shop.manager,
        "/api/v1/reports/products?start_date=2026-02-01&end_date=2026-02-28&format=csv",
    )
    assert products["Content-Disposition"] == (
        'attachment; filename="pospro-products-2026-02-01_2026-02-28.csv"'
    )
    assert csv_lines(products) == [
        "product_id,name,category,quantity_sold,revenue,net_revenue,cost,gross_margin,margin_rate",
        f"{shop.tea.pk},Tea,Drinks,14,154.00,140.00,84.00,56.00,0.4000",
        f"{shop.coffee.pk},Coffee,Drinks,2,54.00,45.00,30.00,15.00,0.3333",
        "",
    ]
    cashiers = get(
        shop.manager,
        "/api/v1/reports/cashiers?start_date=2026-02-10&end_date=2026-02-10&format=csv",
    )
    assert csv_lines(cashiers) == [
        "cashier_id,name,orders,revenue,average_order_value,items_sold,refunds",
        f"{shop.cashier.pk},Ali Veli,2,74.00,37.00,5,30.00",
        f"{shop.second.pk},Zeynep Kaya,1,24.00,24.00,1,0.00",
        "",
    ]
    branches = get(
        admin_user, "/api/v1/reports/branches?start_date=2026-02-10&end_date=2026-02-10&format=csv"
    )
    assert csv_lines(branches) == [
        "branch_id,code,name,orders,revenue,average_order_value,share_of_revenue",
        f"{shop.other_branch.pk},ANK-01,Ankara Cankaya,1,11.00,11.00,0.1009",
        f"{shop.branch.pk},IST-01,Istanbul Kadikoy,3,98.00,32.67,0.8991",
        "",
    ]


def test_csv_neutralises_spreadsheet_formulas_and_quotes(shop, admin_user):
    from reporting.tests.helpers import sell
    from sales.tests.helpers import stocked_product

    evil = stocked_product(
        shop.branch, name='=HYPERLINK("x"), "quoted"', price="1.00", vat_rate="0"
    )
    sell("2026-02-20 10:00", shop.cashier, (evil, 1))
    response = get(shop.manager, "/api/v1/reports/products?start_date=2026-02-20&format=csv")
    line = csv_lines(response)[1]
    assert line.startswith(f'{evil.pk},"\'=HYPERLINK(""x""), ""quoted""",')


def test_csv_errors_stay_problem_json(shop):
    response = get(shop.cashier, "/api/v1/reports/daily?format=csv")
    assert_problem(response, 403, "permission_denied")
    bad = get(shop.manager, "/api/v1/reports/daily?date=nope&format=csv")
    assert_problem(bad, 400, "validation_error")
