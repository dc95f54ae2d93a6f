import re
from datetime import date

from rest_framework import serializers

from pospro.api.periods import BusinessDayField, check_period
from pospro.clock import EARLIEST_DAY, latest_day, resolve_period
from reporting.selectors import month_end

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
DAYS_HELP = (
    f"Business days from {EARLIEST_DAY} to the end of next year; a period spans at most "
    "POSPRO_REPORT_MAX_DAYS days (366 by default)."
)


def money_field(**kwargs):
    return serializers.DecimalField(max_digits=14, decimal_places=2, **kwargs)


def rate_field(**kwargs):
    return serializers.DecimalField(max_digits=9, decimal_places=4, **kwargs)


# --- input ------------------------------------------------------------------------------------

FORMAT_HELP = "`csv` answers `text/csv` as a download (the report's table); default JSON."
BRANCH_HELP = (
    "Admins: one branch (default: every branch). Managers always get their own branch; "
    "naming another one answers 403."
)


class CsvFormatMixin(serializers.Serializer):
    format = serializers.ChoiceField(choices=["json", "csv"], required=False, help_text=FORMAT_HELP)


class BranchMixin(serializers.Serializer):
    branch_id = serializers.UUIDField(required=False, help_text=BRANCH_HELP)


class PeriodQuerySerializer(serializers.Serializer):
    """start_date..end_date with their defaults applied, so the span is checked on the period
    actually read (`?start_date=2000-01-01` alone runs to today)."""

    start_date = BusinessDayField(
        required=False,
        help_text="First business day, inclusive. Default: end_date, or today when both are "
        "missing.",
    )
    end_date = BusinessDayField(
        required=False,
        help_text="Last business day, inclusive. Default: today (start_date's day if that is "
        f"later). {DAYS_HELP}",
    )

    def validate(self, attrs):
        start, end = resolve_period(attrs.get("start_date"), attrs.get("end_date"))
        check_period(start, end, attrs)
        return {**attrs, "start_date": start, "end_date": end}


class StatsQuerySerializer(BranchMixin, PeriodQuerySerializer):
    pass


class DailyQuerySerializer(CsvFormatMixin, BranchMixin):
    date = BusinessDayField(
        required=False,
        help_text=f"Business day; default today. From {EARLIEST_DAY} to the end of next year.",
    )


class WeeklyQuerySerializer(CsvFormatMixin, BranchMixin):
    end_date = BusinessDayField(
        required=False,
        help_text="Last of the 7 business days; default today. From "
        f"{EARLIEST_DAY} to the end of next year.",
    )


class MonthlyQuerySerializer(CsvFormatMixin, BranchMixin):
    month = serializers.CharField(
        required=False,
        help_text="`YYYY-MM`, a business-local month; default this month. From "
        f"{EARLIEST_DAY:%Y-%m} to December of next year.",
    )

    def validate_month(self, value) -> date:
        if not _MONTH.match(value):
            raise serializers.ValidationError("Must be a month as YYYY-MM.")
        first = date(int(value[:4]), int(value[5:]), 1)
        if first < EARLIEST_DAY or month_end(first) > latest_day():
            raise serializers.ValidationError(
                f"Must be between {EARLIEST_DAY:%Y-%m} and {latest_day():%Y-%m}.",
                code="out_of_range",
            )
        return first


class ProductsQuerySerializer(CsvFormatMixin, BranchMixin, PeriodQuerySerializer):
    ordering = serializers.ChoiceField(
        choices=["revenue", "quantity", "margin"],
        default="revenue",
        help_text="Best first by revenue (VAT incl.), quantity sold or gross margin.",
    )
    limit = serializers.IntegerField(
        min_value=1, max_value=1000, default=50, help_text="How many products, 1..1000."
    )


class CashiersQuerySerializer(CsvFormatMixin, BranchMixin, PeriodQuerySerializer):
    pass


class BranchesQuerySerializer(CsvFormatMixin, PeriodQuerySerializer):
    pass


# --- output -----------------------------------------------------------------------------------


class PaymentMethodTotalsSerializer(serializers.Serializer):
    """Applied amounts (cash net of change) minus refunds to the method; they add up to the
    revenue."""

    cash = money_field()
    card = money_field()
    meal_card = money_field()
    credit = money_field()


class TopProductSerializer(serializers.Serializer):
    product_id = serializers.UUIDField()
    name = serializers.CharField()
    quantity_sold = serializers.IntegerField(help_text="Net of returned units.")
    revenue = money_field(help_text="VAT included, net of refunds.")


class OrderStatsSerializer(serializers.Serializer):
    total_orders = serializers.IntegerField(help_text="Orders of the period, cancelled excluded.")
    total_revenue = money_field(help_text="Order totals minus what was refunded of them.")
    average_order_value = money_field()
    payment_methods = PaymentMethodTotalsSerializer()
    top_products = TopProductSerializer(many=True, help_text="Top 10 by revenue.")


class PeriodSerializer(serializers.Serializer):
    start_date = serializers.DateField()
    end_date = serializers.DateField()


class HourlySalesSerializer(serializers.Serializer):
    hour = serializers.IntegerField(min_value=0, max_value=23, help_text="Business-local hour.")
    revenue = money_field()
    orders = serializers.IntegerField()


class DailyReportSerializer(serializers.Serializer):
    date = serializers.DateField()
    total_revenue = money_field(help_text="VAT included, net of refunds.")
    total_orders = serializers.IntegerField()
    average_order_value = money_field()
    total_tax = money_field(help_text="VAT of the orders minus VAT refunded.")
    total_discount = money_field(help_text="Discounts granted on the counted orders.")
    items_sold = serializers.IntegerField(help_text="Units sold minus units returned.")
    payment_methods = PaymentMethodTotalsSerializer()
    hourly_sales = HourlySalesSerializer(many=True, help_text="24 rows, hours 0..23.")
    top_products = TopProductSerializer(many=True, help_text="Top 10 by revenue.")


class DaySalesSerializer(serializers.Serializer):
    date = serializers.DateField()
    revenue = money_field()
    orders = serializers.IntegerField()


GROWTH_HELP = (
    'Revenue change against the comparison period, e.g. "+12.5%" or "-3.0%"; null when that '
    "period had no revenue."
)


class WeeklyReportSerializer(serializers.Serializer):
    period = PeriodSerializer()
    daily_sales = DaySalesSerializer(many=True, help_text="7 rows, days without sales as 0.")
    total_revenue = money_field()
    total_orders = serializers.IntegerField()
    average_daily = money_field(help_text="total_revenue / 7.")
    growth_rate = serializers.CharField(
        allow_null=True, help_text=GROWTH_HELP + " Compared with the 7 days before."
    )


class MonthlyReportSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM")
    daily_sales = DaySalesSerializer(many=True, help_text="Every day of the month.")
    total_revenue = money_field()
    total_orders = serializers.IntegerField()
    average_order_value = money_field()
    growth_rate = serializers.CharField(
        allow_null=True,
        help_text=GROWTH_HELP + " Compared with the previous month; while the month runs, its "
        "days up to today against the same days of the previous month.",
    )


class ProductReportRowSerializer(serializers.Serializer):
    product_id = serializers.UUIDField()
    name = serializers.CharField()
    category = serializers.CharField(allow_null=True)
    quantity_sold = serializers.IntegerField(help_text="Net of returned units.")
    revenue = money_field(help_text="VAT included, net of refunds.")
    net_revenue = money_field(help_text="VAT excluded, net of refunds.")
    cost = money_field(help_text="Units kept x the unit cost recorded on the line at sale time.")
    gross_margin = money_field(help_text="net_revenue - cost.")
    margin_rate = rate_field(
        allow_null=True, help_text="gross_margin / net_revenue, a fraction; null when 0."
    )


class ProductReportSerializer(serializers.Serializer):
    period = PeriodSerializer()
    items = ProductReportRowSerializer(many=True)


class CashierReportRowSerializer(serializers.Serializer):
    cashier_id = serializers.UUIDField()
    name = serializers.CharField()
    orders = serializers.IntegerField()
    revenue = money_field(help_text="VAT included, net of refunds.")
    average_order_value = money_field()
    items_sold = serializers.IntegerField(help_text="Units sold minus units returned.")
    refunds = money_field(
        help_text="Amount refunded of this cashier's orders of the period (already subtracted "
        "from revenue)."
    )


class CashierReportSerializer(serializers.Serializer):
    period = PeriodSerializer()
    items = CashierReportRowSerializer(many=True)


class BranchReportRowSerializer(serializers.Serializer):
    branch_id = serializers.UUIDField()
    code = serializers.CharField()
    name = serializers.CharField()
    orders = serializers.IntegerField()
    revenue = money_field(help_text="VAT included, net of refunds.")
    average_order_value = money_field()
    share_of_revenue = rate_field(help_text="This branch's part of all revenue, a fraction 0..1.")


class BranchReportSerializer(serializers.Serializer):
    period = PeriodSerializer()
    items = BranchReportRowSerializer(many=True, help_text="Every active branch, by code.")


class CashQuerySerializer(CsvFormatMixin, BranchMixin, PeriodQuerySerializer):
    pass


class CashTotalsSerializer(serializers.Serializer):
    sessions = serializers.IntegerField(help_text="Closed cash sessions.")
    expected_cash = money_field(help_text="Cash the drawers should have held at their close.")
    counted_cash = money_field(help_text="Cash counted at the close.")
    over_short = money_field(help_text="counted_cash - expected_cash; negative: short.")


class CashReportRowSerializer(CashTotalsSerializer):
    register_id = serializers.UUIDField()
    register_code = serializers.CharField()
    branch_id = serializers.UUIDField()
    branch_code = serializers.CharField()
    cashier_id = serializers.UUIDField(help_text="The user who opened the sessions.")
    cashier = serializers.CharField(help_text="The cashier's name (their email if none).")
    cashier_email = serializers.EmailField()


class CashSummaryReportSerializer(serializers.Serializer):
    period = PeriodSerializer()
    items = CashReportRowSerializer(
        many=True, help_text="One row per register and cashier, by branch, register and name."
    )
    totals = CashTotalsSerializer(help_text="The rows added up.")
