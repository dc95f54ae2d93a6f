"""Reports and `/orders/stats`: validate the query, scope the branch, read the cached selector."""

from collections.abc import Callable
from datetime import date, timedelta

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.serializers import Serializer
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from accounts.permissions import IsAdmin, IsManagerOrAdmin
from accounts.scoping import branch_filter
from pospro.api.schema import ProblemSerializer
from pospro.clock import business_today
from reporting import selectors
from reporting.api import serializers as s
from reporting.api.csv import CSVRenderer, CsvTable, ReportNegotiation
from reporting.cache import cached_report

PROBLEMS = {
    (400, "application/problem+json"): OpenApiResponse(
        ProblemSerializer,
        description="Invalid parameter (`validation_error`), including a day before "
        "2000-01-01 or after the end of next year, or a period longer than "
        "POSPRO_REPORT_MAX_DAYS days (366 by default); `errors` names the field.",
    ),
    (404, "application/problem+json"): OpenApiResponse(
        ProblemSerializer, description="Admins: `branch_id` names no branch (`not_found`)."
    ),
    (503, "application/problem+json"): OpenApiResponse(
        ProblemSerializer,
        description="The database query ran longer than POSPRO_DB_STATEMENT_TIMEOUT_MS and was "
        "cancelled (`statement_timeout`); try again later or a shorter period.",
    ),
}
CSV_RESPONSE = OpenApiResponse(
    OpenApiTypes.STR,
    description="With `?format=csv`: the report's table, a header line then one line per "
    "row (UTF-8, CRLF), as an attachment (`Content-Disposition` names the file).",
)
ROLES = (
    "Managers and admins; cashiers get 403. Managers always see their own branch. "
    "Revenue counts each order on its business day for its total minus what was refunded of "
    "it; cancelled orders count for nothing. Days are business-local (POSPRO_TIME_ZONE)."
)


def _report_schema(query, output, *, summary: str, description: str = "", roles: str = ROLES):
    return extend_schema(
        parameters=[query],
        summary=summary,
        description=" ".join(filter(None, [description, roles])),
        tags=["reports"],
        responses={(200, "application/json"): output, (200, "text/csv"): CSV_RESPONSE, **PROBLEMS},
    )


class ReportView(APIView):
    """GET a report: validate the query, scope the branch, read the cached selector; JSON by
    default, `?format=csv` for its table as a download."""

    permission_classes = [IsManagerOrAdmin]
    renderer_classes = [JSONRenderer, CSVRenderer]
    content_negotiation_class = ReportNegotiation
    name: str
    query_serializer: type[Serializer]
    output_serializer: type[Serializer]
    selector: Callable[..., dict]

    def arguments(self, data: dict, branch_id) -> tuple[dict, date, date]:
        """(selector arguments, first and last business day read); a period by default, its
        defaults already applied and its bounds checked by PeriodQuerySerializer."""
        start, end = data["start_date"], data["end_date"]
        return {"start": start, "end": end, "branch_id": branch_id}, start, end

    def table(self, body: dict) -> CsvTable:
        raise NotImplementedError

    def get(self, request):
        query = self.query_serializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        branch_id = branch_filter(request.user, query.validated_data.get("branch_id"))
        arguments, first, last = self.arguments(query.validated_data, branch_id)
        report = cached_report(
            self.name,
            arguments,
            start=first,
            end=last,
            branch_id=branch_id,
            compute=lambda: self.selector(**arguments),
        )
        body = self.output_serializer(report).data
        if request.accepted_renderer.format == CSVRenderer.format:
            table = self.table(body)
            disposition = f'attachment; filename="{table.filename}"'
            return Response(table, headers={"Content-Disposition": disposition})
        return Response(body)


@_report_schema(
    s.DailyQuerySerializer,
    s.DailyReportSerializer,
    summary="Daily report: totals, taxes, payment methods, 24 hours, top products",
)
class DailyReportView(ReportView):
    name = "daily"
    query_serializer = s.DailyQuerySerializer
    output_serializer = s.DailyReportSerializer
    selector = staticmethod(selectors.daily_report)

    def arguments(self, data, branch_id):
        day = data.get("date") or business_today()
        return {"day": day, "branch_id": branch_id}, day, day

    def table(self, body):
        return CsvTable(
            ["date", "hour", "orders", "revenue"],
            [[body["date"], h["hour"], h["orders"], h["revenue"]] for h in body["hourly_sales"]],
            f"pospro-daily-{body['date']}.csv",
        )


def _day_series_table(body: dict, filename: str) -> CsvTable:
    return CsvTable(
        ["date", "orders", "revenue"],
        [[d["date"], d["orders"], d["revenue"]] for d in body["daily_sales"]],
        filename,
    )


class ItemsReportView(ReportView):
    """A period report whose CSV is its `items`, one column per name in `columns`."""

    columns: list[str]

    def table(self, body):
        period = body["period"]
        return CsvTable(
            self.columns,
            [[row[c] for c in self.columns] for row in body["items"]],
            f"pospro-{self.name}-{period['start_date']}_{period['end_date']}.csv",
        )


@_report_schema(
    s.WeeklyQuerySerializer,
    s.WeeklyReportSerializer,
    summary="Weekly report: the 7 days ending end_date, growth against the 7 before",
)
class WeeklyReportView(ReportView):
    name = "weekly"
    query_serializer = s.WeeklyQuerySerializer
    output_serializer = s.WeeklyReportSerializer
    selector = staticmethod(selectors.weekly_report)

    def arguments(self, data, branch_id):
        end = data.get("end_date") or business_today()
        return {"end": end, "branch_id": branch_id}, end - timedelta(days=13), end

    def table(self, body):
        period = body["period"]
        filename = f"pospro-weekly-{period['start_date']}_{period['end_date']}.csv"
        return _day_series_table(body, filename)


@_report_schema(
    s.MonthlyQuerySerializer,
    s.MonthlyReportSerializer,
    summary="Monthly report: every day of the month, growth against the previous month",
)
class MonthlyReportView(ReportView):
    name = "monthly"
    query_serializer = s.MonthlyQuerySerializer
    output_serializer = s.MonthlyReportSerializer
    selector = staticmethod(selectors.monthly_report)

    def arguments(self, data, branch_id):
        today = business_today()
        first = data.get("month") or today.replace(day=1)
        arguments = {"month": first, "today": today, "branch_id": branch_id}
        return arguments, selectors.previous_month(first), selectors.month_end(first)

    def table(self, body):
        return _day_series_table(body, f"pospro-monthly-{body['month']}.csv")


@_report_schema(
    s.ProductsQuerySerializer,
    s.ProductReportSerializer,
    summary="Products report: quantities, revenue, cost and margin per product",
    description="Cost is the unit cost recorded on each order line at sale time.",
)
class ProductReportView(ItemsReportView):
    name = "products"
    query_serializer = s.ProductsQuerySerializer
    output_serializer = s.ProductReportSerializer
    selector = staticmethod(selectors.product_report)
    columns = [
        "product_id", "name", "category", "quantity_sold", "revenue", "net_revenue", "cost",
        "gross_margin", "margin_rate",
    ]  # fmt: skip

    def arguments(self, data, branch_id):
        arguments, start, end = super().arguments(data, branch_id)
        return {**arguments, "ordering": data["ordering"], "limit": data["limit"]}, start, end


@_report_schema(
    s.CashiersQuerySerializer,
    s.CashierReportSerializer,
    summary="Cashiers report: orders, revenue and refunds per cashier, best first",
    description="Cashiers with no orders in the period are not listed.",
)
class CashierReportView(ItemsReportView):
    name = "cashiers"
    query_serializer = s.CashiersQuerySerializer
    output_serializer = s.CashierReportSerializer
    selector = staticmethod(selectors.cashier_report)
    columns = [
        "cashier_id", "name", "orders", "revenue", "average_order_value", "items_sold", "refunds",
    ]  # fmt: skip


@_report_schema(
    s.BranchesQuerySerializer,
    s.BranchReportSerializer,
    summary="Branches report: orders, revenue and share of revenue per branch",
    roles="Admins only: managers and cashiers get 403. Revenue counts each order on its "
    "business day for its total minus what was refunded of it; cancelled orders count for "
    "nothing. Days are business-local (POSPRO_TIME_ZONE).",
)
class BranchReportView(ItemsReportView):
    name = "branches"
    permission_classes = [IsAdmin]
    query_serializer = s.BranchesQuerySerializer
    output_serializer = s.BranchReportSerializer
    selector = staticmethod(selectors.branch_report)
    columns = [
        "branch_id", "code", "name", "orders", "revenue", "average_order_value", "share_of_revenue",
    ]  # fmt: skip

    def arguments(self, data, branch_id):
        arguments, start, end = super().arguments(data, branch_id)
        return {"start": start, "end": end}, start, end


@extend_schema(
    parameters=[s.StatsQuerySerializer],
    responses={200: s.OrderStatsSerializer, **PROBLEMS},
    summary="Totals for a period (default today); managers see their own branch",
    description=ROLES,
    tags=["orders"],
)
class OrderStatsView(ReportView):
    """`GET /orders/stats`, served from the report selectors (same revenue rule); JSON only."""

    name = "stats"
    renderer_classes = api_settings.DEFAULT_RENDERER_CLASSES
    content_negotiation_class = api_settings.DEFAULT_CONTENT_NEGOTIATION_CLASS
    query_serializer = s.StatsQuerySerializer
    output_serializer = s.OrderStatsSerializer
    selector = staticmethod(selectors.order_stats)


@_report_schema(
    s.CashQuerySerializer,
    s.CashSummaryReportSerializer,
    summary="Cash report: closed cash sessions per register and cashier, with over/short",
    description="Counts the cash sessions closed so far whose business day of opening is in "
    "the period; open sessions are not counted. The figures are those each close stored "
    "with its Z report (expected cash, counted cash, over/short = counted - expected); the "
    "cashier is the user who opened the session. A close moves the cached report's version.",
    roles="Managers and admins; cashiers get 403. Managers always see their own branch. "
    "Days are business-local (POSPRO_TIME_ZONE).",
)
class CashReportView(ItemsReportView):
    name = "cash"
    query_serializer = s.CashQuerySerializer
    output_serializer = s.CashSummaryReportSerializer
    selector = staticmethod(selectors.cash_report)
    columns = [
        "branch_id", "branch_code", "register_id", "register_code", "cashier_id", "cashier",
        "sessions", "expected_cash", "counted_cash", "over_short",
    ]  # fmt: skip
