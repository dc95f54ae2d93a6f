"""The back-office sales dashboard at /admin/dashboard/, inside the Django admin.

Today's and this week's revenue, orders and average basket per branch, the last 30 days'
revenue, today's hours, the best sellers of the last 30 days and the products low on stock,
with a branch filter. Admins see every branch or one; managers their own only. The sales
figures come from the report selectors (cached like the reports); the stock list is live.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import F, Q
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.models import Branch, Role
from accounts.scoping import branch_filter
from catalog.selectors import low_stock_levels
from pospro.clock import business_today
from pospro.exceptions import Forbidden, NotFound, ValidationFailed
from pospro.money import ZERO
from reporting import charts, selectors
from reporting.cache import cached_report
from reporting.selectors import Figures
from sales import cash
from sales.models import CashSession, CashSessionStatus

TREND_DAYS = 30
LOW_STOCK_ROWS = 15


def _chosen_branch(request):
    """The branch the page is about (None: every branch), by the API's scoping rule. A filter
    naming no branch shows the user's default scope."""
    try:
        return branch_filter(request.user, request.GET.get("branch"))
    except Forbidden as exc:
        raise PermissionDenied(exc.detail) from exc
    except (ValidationFailed, NotFound):
        return branch_filter(request.user, None)


def sales_figures(*, today, branch_id) -> dict:
    """Everything the dashboard shows that comes from sales: six queries."""
    week_start = today - timedelta(days=today.weekday())
    trend_start = today - timedelta(days=TREND_DAYS - 1)
    scope = {"end": today, "branch_id": branch_id}
    return {
        "today": selectors.sales_by(start=today, by="branch_id", **scope),
        "week": selectors.sales_by(start=week_start, by="branch_id", **scope),
        "trend": selectors.daily_series(start=trend_start, **scope),
        "hours": selectors.sales_by(start=today, by="business_hour", **scope),
        "top": selectors.top_products(start=trend_start, **scope),
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
    branch_id = _chosen_branch(request)
    today = business_today()
    week_start = today - timedelta(days=today.weekday())
    data = cached_report(
        "dashboard",
        {"branch_id": branch_id, "today": today},
        start=min(week_start, today - timedelta(days=TREND_DAYS - 1)),
        end=today,
        branch_id=branch_id,
        compute=lambda: sales_figures(today=today, branch_id=branch_id),
    )
    branches = list(Branch.objects.order_by("code"))
    shown = [
        b
        for b in branches
        if (branch_id is None or b.pk == branch_id) and (b.is_active or b.pk in data["week"])
    ]
    rows = [
        {
            "code": b.code,
            "name": b.name,
            "today": _cells(data["today"].get(b.pk, Figures())),
            "week": _cells(data["week"].get(b.pk, Figures())),
        }
        for b in shown
    ]
    hours = data["hours"]
    scope = next((f"{b.code} {b.name}" for b in shown if b.pk == branch_id), None)
    context = {
        **admin.site.each_context(request),
        "title": "Sales dashboard",
        "scope": scope or "All branches",
        "today": today,
        "zone": settings.POSPRO_TIME_ZONE,
        "week_start": data["week_start"],
        "trend_start": data["trend_start"],
        "is_admin": request.user.role == Role.ADMIN,
        "branches": branches,
        "branch_id": branch_id,
        "rows": rows,
        "show_total": len(rows) > 1,
        "today_total": _cells(selectors.total(data["today"].values())),
        "week_total": _cells(selectors.total(data["week"].values())),
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
                (f"{h:02d}", f"{h:02d}:00-{h:02d}:59", hours.get(h, Figures()).revenue)
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
        "low_stock": low_stock_levels(branch_id=branch_id).annotate(branch_code=F("branch__code"))[
            :LOW_STOCK_ROWS
        ],
    }
    return TemplateResponse(request, "reporting/dashboard.html", context)


dashboard = admin.site.admin_view(dashboard_view)


# --- The Cash page ------------------------------------------------------------------------------


def todays_sessions(*, today, branch_id) -> list[CashSession]:
    """Sessions opened today, and any still open from before (a drawer never counted), by
    branch, register and opening: one query."""
    sessions = CashSession.objects.filter(
        Q(business_date=today) | Q(status=CashSessionStatus.OPEN)
    ).select_related("register", "branch", "opened_by")
    if branch_id:
        sessions = sessions.filter(branch_id=branch_id)
    return list(sessions.order_by("branch__code", "register__code", "opened_at"))


def _session_row(session: CashSession) -> dict:
    """An open session's expected cash is its X report's, live (sales.cash.session_report, six
    queries); a closed one's figures are those its close stored."""
    is_open = session.status == CashSessionStatus.OPEN
    expected = cash.session_report(session)["expected_cash"] if is_open else session.expected_cash
    return {
        "id": session.pk,
        "branch": session.branch.code,
        "register": session.register.code,
        "register_name": session.register.name,
        "cashier": session.opened_by.name,
        "opened": f"{timezone.localtime(session.opened_at):%H:%M}"
        if session.business_date == business_today()
        else f"{timezone.localtime(session.opened_at):%d %b %H:%M}",
        "closed": f"{timezone.localtime(session.closed_at):%H:%M}" if session.closed_at else "",
        "open": is_open,
        "z_number": session.z_number,
        "opening_float": charts.money(session.opening_float),
        "expected": charts.money(expected),
        "counted": "" if is_open else charts.money(session.counted_cash),
        "over_short": "" if is_open else charts.money(session.over_short),
        "short": not is_open and session.over_short < 0,
    }


@require_GET
def cash_dashboard_view(request):
    """Today's drawers per register (live expected cash for the open ones, expected against
    counted for the closed ones) and over/short per cashier over the last 30 days."""
    if request.user.role not in (Role.ADMIN, Role.MANAGER):
        raise PermissionDenied("The dashboard is for managers and admins.")
    branch_id = _chosen_branch(request)
    today = business_today()
    start = today - timedelta(days=TREND_DAYS - 1)
    sessions = [_session_row(s) for s in todays_sessions(today=today, branch_id=branch_id)]
    cashiers = cached_report(
        "cash-cashiers",
        {"branch_id": branch_id, "today": today},
        start=start,
        end=today,
        branch_id=branch_id,
        compute=lambda: selectors.cash_by_cashier(start=start, end=today, branch_id=branch_id),
    )
    branches = list(Branch.objects.order_by("code"))
    scope = next((f"{b.code} {b.name}" for b in branches if b.pk == branch_id), None)
    over_short = sum((row["over_short"] for row in cashiers), ZERO)
    context = {
        **admin.site.each_context(request),
        "title": "Cash dashboard",
        "scope": scope or "All branches",
        "today": today,
        "zone": settings.POSPRO_TIME_ZONE,
        "trend_start": start,
        "is_admin": request.user.role == Role.ADMIN,
        "branches": branches,
        "branch_id": branch_id,
        "sessions": sessions,
        "open_count": sum(1 for s in sessions if s["open"]),
        "closed_count": sum(1 for s in sessions if not s["open"]),
        "cashiers": [
            {
                "name": row["opened_by__name"] or row["opened_by__email"],
                "sessions": row["sessions"],
                "expected": charts.money(row["expected_cash"]),
                "counted": charts.money(row["counted_cash"]),
                "over_short": charts.money(row["over_short"]),
                "short": row["over_short"] < 0,
            }
            for row in cashiers
        ],
        "over_short_total": charts.money(over_short),
        "over_short_negative": over_short < 0,
        "cashier_chart": charts.signed_bar_chart(
            [
                (row["opened_by__name"] or row["opened_by__email"], row["over_short"])
                for row in cashiers
            ],
            label=f"Over/short per cashier, last {TREND_DAYS} days",
        ),  # fmt: skip
    }
    return TemplateResponse(request, "reporting/cash_dashboard.html", context)


cash_dashboard = admin.site.admin_view(cash_dashboard_view)
