"""import_products and check_stock."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from catalog.models import Category, Product, StockLevel, StockMovement
from catalog.tests.factories import CategoryFactory, ProductFactory
from catalog.tests.stock import give_stock

pytestmark = pytest.mark.django_db

HEADER = (
    "name,barcode,sku,category,price,cost_price,vat_rate,critical_stock_level,image_url,is_active\n"
)


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def csv_file(tmp_path):
    def write(text: str):
        path = tmp_path / "products.csv"
        path.write_text(text, encoding="utf-8")
        return str(path)

    return write


def test_import_creates_and_updates_by_barcode(csv_file):
    existing = ProductFactory(name="Old name", barcode="8690001", price=Decimal("1.00"))
    sku_before = existing.sku
    by_sku = ProductFactory(name="No barcode", barcode=None, sku="LOOSE-1")
    CategoryFactory(name="Coffee")
    path = csv_file(
        HEADER
        + "Turkish Coffee,8690001,,coffee,89.90,55.25,0.18,10,,true\n"
        + '"Tea, black",8690002,TEA-1,Tea,12.5,,0.08,,https://cdn.example.com/t.png,\n'
        + "Bread,,LOOSE-1,,3.00,,,,,no\n"
    )
    out, err = run("import_products", path)
    assert "Imported 3 row(s): 1 created, 2 updated." in out
    assert "importing" in err, "a progress bar on stderr"
    existing.refresh_from_db()
    assert (existing.name, existing.price, existing.cost_price) == (
        "Turkish Coffee", Decimal("89.90"), Decimal("55.25"),
    )  # fmt: skip
    assert existing.category.name == "Coffee"
    assert existing.sku == sku_before, "an empty cell leaves the field as it was"
    tea = Product.objects.get(barcode="8690002")
    assert (tea.name, tea.sku, tea.vat_rate, tea.category.name) == (
        "Tea, black", "TEA-1", Decimal("0.0800"), "Tea",
    )  # fmt: skip
    assert (tea.cost_price, tea.critical_stock_level, tea.is_active) == (Decimal("0"), 0, True)
    by_sku.refresh_from_db()
    assert (by_sku.name, by_sku.is_active) == ("Bread", False)
    assert Category.objects.filter(name__iexact="coffee").count() == 1, "matched, not added"
    assert not StockMovement.objects.exists()


def test_bad_rows_are_all_reported_and_nothing_is_written(csv_file):
    ProductFactory(barcode="TAKEN", sku="TAKEN-SKU")
    path = csv_file(
        HEADER
        + "Good,111,,,1.00,,,,,\n"
        + "Negative,222,,,-1,,,,,\n"
        + ",333,,,1.00,,1.5,,,\n"
        + "Twin,111,,,1.00,,,,,\n"
        + "Thief,444,TAKEN-SKU,,1.00,,,,,\n"
        + "Bad flag,555,,,1.00,,,,,maybe\n"
    )
    err = StringIO()
    with pytest.raises(CommandError, match="6 problem.*nothing was imported"):
        call_command("import_products", path, stdout=StringIO(), stderr=err)
    report = err.getvalue()
    assert "row 3: price:" in report
    assert "row 4: name:" in report
    assert "row 4: vat_rate:" in report
    assert "row 5: barcode: '111' is also on row 2." in report
    assert "row 6: sku: 'TAKEN-SKU' belongs to another product" in report
    assert "row 7: is_active:" in report
    assert "row 2" not in report.replace("on row 2", "")
    assert Product.objects.count() == 1


def test_bad_header_is_refused(csv_file):
    with pytest.raises(CommandError, match="missing price; unknown prcie"):
        run("import_products", csv_file("name,prcie\nTea,1\n"))
    with pytest.raises(CommandError, match="cannot read"):
        run("import_products", "/nonexistent/products.csv")
    assert not Product.objects.exists()


def test_check_stock_passes_when_levels_match_the_ledger(branch, other_branch):
    product = ProductFactory()
    give_stock(product, branch, 5)
    give_stock(product, other_branch, 2)
    out, _ = run("check_stock")
    assert "Every stock level matches its ledger." in out


def test_check_stock_reports_every_mismatch_and_fails(
    branch, other_branch, django_assert_num_queries
):
    drifted = ProductFactory(name="Drifted")
    orphan = ProductFactory(name="Orphan")
    fine = ProductFactory(name="Fine")
    give_stock(drifted, branch, 5)
    give_stock(orphan, other_branch, 3)
    give_stock(fine, branch, 1)
    StockLevel.objects.filter(product=drifted).update(quantity=4)  # a write behind the ledger
    StockLevel.objects.filter(product=orphan).delete()  # movements with no level row
    out = StringIO()
    with django_assert_num_queries(1), pytest.raises(CommandError, match="2 stock level"):
        call_command("check_stock", stdout=out)
    report = out.getvalue()
    assert f"Drifted ({drifted.pk}) at IST-01: level 4, ledger sums to 5" in report
    assert f"Orphan ({orphan.pk}) at ANK-01: no stock level row, ledger sums to 3" in report
    assert "Fine" not in report
