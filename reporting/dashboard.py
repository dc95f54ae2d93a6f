"""The back-office sales dashboard at /admin/dashboard/, inside the Django admin.

Today's and this week's revenue, orders and average basket per branch, the last 30 days'
revenue, today's hours, the best sellers of the last 30 days and the products low on stock,
with a branch filter. Admins see every branch or one; managers their own only. The sales
figures come from the report selectors (cached like the reports); the stock list is live.
"""

import uuid
from datetime import timedelta

from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET

from accounts.models import Branch, Role
from pospro.clock import business_today
from reporting import charts, selectors
from reporting.cache import cached_report
from reporting.selectors import Figures

TREND_DAYS = 30


def _chosen_branch(request, branches: list[dict]):
    """The branch the page is about: managers their own (naming another is refused); admins
    the one picked in the filter, or None for every branch."""
    wanted = request.GET.get("branch") or ""
    if request.user.role == Role.MANAGER:
        if wanted and wanted != str(request.user.branch_id):
            raise PermissionDenied("Managers see their own branch only.")
        return request.user.branch_id
    try:
        wanted_id = uuid.UUID(wanted)
    except ValueError:
        return None
    return wanted_id if any(b["id"] == wanted_id for b in branches) else None


def sales_figures(*, today, branch_id) -> dict:
    """Everything the dashboard shows that comes from sales: six queries."""
    week_start = today - timedelta(days=today.weekday())
    trend_start = today - timedelta(days=TREND_DAYS - 1)
    return {
        "today": selectors.sales_by(start=today, end=today, branch_id=branch_id, by=("branch_id",)),
        "week": selectors.sales_by(
            start=week_start, end=today, branch_id=branch_id, by=("branch_id",)
        ),
        "trend": selectors.daily_series(start=trend_start, end=today, branch_id=branch_id),
        "hours": selectors.sales_by(
            start=today, end=today, branch_id=branch_id, by=("business_hour",)
        ),
        "top": selectors.top_products(start=trend_start, end=today, branch_id=branch_id),
        "week_start": week_start,
        "trend_start": trend_start,
    }


def _cells(figures: Figures) -> dict:
    return {
        "revenue": charts.money(figures.revenue),
        "orders": figures.orders,
        "basket": charts.money(figures.average_order_value),
    }


@require_GET
def dashboard_view(request):
    if request.user.role not in (Role.ADMIN, Role.MANAGER):
        raise PermissionDenied("The dashboard is for managers and admins.")
    is_admin = request.user.role == Role.ADMIN
    branches = list(
        Branch.objects.order_by("code").values("id", "code", "name", "is_active")
        if is_admin
        else Branch.objects.filter(pk=request.user.branch_id).values(
            "id", "code", "name", "is_active"
        )
    )
    branch_id = _chosen_branch(request, branches)
    today = business_today()
    week_start = today - timedelta(days=today.weekday())
    data = cached_report(
        "dashboard",
        {"branch_id": branch_id, "today": today},
        start=min(week_start, today - timedelta(days=TREND_DAYS - 1)),
        end=today,
        compute=lambda: sales_figures(today=today, branch_id=branch_id),
    )
    empty = Figures()
    shown = [
        b
        for b in branches
        if (branch_id is None or b["id"] == branch_id)
        and (b["is_active"] or b["id"] in data["week"])
    ]
    rows = [
        {
            "code": b["code"],
            "name": b["name"],
            "today": _cells(data["today"].get(b["id"], (empty,))[0]),
            "week": _cells(data["week"].get(b["id"], (empty,))[0]),
        }
        for b in shown
    ]
    today_total = selectors.total(f for f, _ in data["today"].values())
    week_total = selectors.total(f for f, _ in data["week"].values())
    hours = {hour: figures for hour, (figures, _) in data["hours"].items()}
    scope = next((f"{b['code']} {b['name']}" for b in shown if b["id"] == branch_id), None)
    context = {
        **admin.site.each_context(request),
        "title": "Sales dashboard",
        "scope": scope or "All branches",
        "today": today,
        "zone": settings.POSPRO_TIME_ZONE,
        "week_start": data["week_start"],
        "trend_start": data["trend_start"],
        "is_admin": is_admin,
        "branches": branches,
        "branch_id": branch_id,
        "rows": rows,
        "show_total": len(rows) > 1,
        "today_total": _cells(today_total),
        "week_total": _cells(week_total),
        "trend_total": charts.money(sum((d["revenue"] for d in data["trend"]), Figures().revenue)),
        "trend_chart": charts.line_chart(
            [
                (f"{d['date']:%d %b}", f"{d['date']:%a %d %b %Y}", d["revenue"])
                for d in data["trend"]
            ],
            label=f"Revenue per day, last {TREND_DAYS} days",
        ),
        "hours_chart": charts.column_chart(
            [
                (f"{h:02d}", f"{h:02d}:00-{h:02d}:59", hours.get(h, empty).revenue)
                for h in range(24)
            ],
            label="Revenue per hour today",
            width=560,
        ),
        "top_chart": charts.bar_chart(
            [(p["name"], p["revenue"]) for p in data["top"]],
            label=f"Best sellers by revenue, last {TREND_DAYS} days",
        ),
        "top": [{**p, "revenue_text": charts.money(p["revenue"])} for p in data["top"]],
        "low_stock": selectors.low_stock(branch_id=branch_id),
    }
    return TemplateResponse(request, "reporting/dashboard.html", context)


dashboard = admin.site.admin_view(dashboard_view)
