# The day leaders are gone: reports rank a day's products from the product rollup. An order's
# number is set by the last statements of its sale, so the row is inserted without one first.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("sales", "0006_product_day_leader"),
    ]

    operations = [
        migrations.DeleteModel(name="ProductDayLeader"),
        migrations.DeleteModel(name="ProductDayThreshold"),
        migrations.AlterField(
            model_name="order",
            name="order_number",
            field=models.CharField(max_length=32, null=True, unique=True),
        ),
    ]
