from decimal import Decimal

import factory

from catalog.models import Category, Product


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Category {n}")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    name = factory.Sequence(lambda n: f"Product {n:04d}")
    barcode = factory.Sequence(lambda n: f"869{n:010d}")
    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    category = factory.SubFactory(CategoryFactory)
    price = Decimal("10.00")
    cost_price = Decimal("6.00")
    vat_rate = Decimal("0.1800")
    critical_stock_level = 5
