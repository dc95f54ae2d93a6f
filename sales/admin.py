"""Back-office views of sales: orders are read-only (corrections are refunds or cancellations);
customers are editable except their account balance, which only sales change.

Orders (with their lines, payments and refunds), registers and cash sessions are scoped to the
user's branch like the API's; customers are the whole chain's, as in the API. Registers and
cash sessions are written through sales.cash (one path with the API): opening a session is the
admin's "add", closing it a "Close" page; a closed session never changes again and prints its
stored Z report.
"""

import json
from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import format_html, format_html_join

from accounts.admin import BranchScopedAdmin, ScopedRelatedFilter, local_time
from accounts.scoping import branches_for, for_user
from catalog.admin import vat_percent
from pospro.exceptions import DomainError
from pospro.limits import MAX_AMOUNT
from sales import cash, selectors, services
from sales.models import (
    CashMovement,
    CashSession,
    CashSessionStatus,
    Customer,
    Order,
    OrderItem,
    Payment,
    PaymentMethod,
    Refund,
    Register,
)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class OrderItemInline(ReadOnlyInline):
    model = OrderItem
    fields = [
        "line_no", "name", "barcode", "quantity", "unit_price", "discount_amount",
        "vat", "tax_amount", "line_total",
    ]  # fmt: skip
    readonly_fields = fields

    @admin.display(description="VAT")
    def vat(self, obj) -> str:
        return vat_percent(obj.vat_rate)


class PaymentInline(ReadOnlyInline):
    model = Payment
    fields = ["method", "amount", "applied_amount", "reference"]
    readonly_fields = fields


class RefundInline(ReadOnlyInline):
    model = Refund
    fields = ["created", "amount", "tax_amount", "method", "reason", "user"]
    readonly_fields = fields

    @admin.display(description="created at")
    def created(self, obj) -> str:
        return local_time(obj.created_at)


@admin.register(Order)
class OrderAdmin(BranchScopedAdmin):
    """A manager lists and opens their own branch's orders only; another branch's is a 404."""

    list_display = [
        "order_number", "created", "branch", "cashier", "customer", "status", "total_amount",
    ]  # fmt: skip
    list_filter = [
        ("branch", ScopedRelatedFilter),
        "status",
        ("cashier", ScopedRelatedFilter),
        ("business_date", admin.DateFieldListFilter),
    ]
    search_fields = ["order_number", "customer__name"]
    list_select_related = ["branch", "cashier", "customer"]
    date_hierarchy = "business_date"
    inlines = [OrderItemInline, PaymentInline, RefundInline]
    readonly_fields = [
        "id", "order_number", "branch", "cashier", "customer", "status", "subtotal",
        "discount_amount", "tax_amount", "total_amount", "paid_amount", "change_due",
        "prices_include_vat", "notes", "business_date", "business_hour", "created_at",
        "cancelled_at", "cancel_reason",
    ]  # fmt: skip
    fields = readonly_fields

    @admin.display(description="created at", ordering="created_at")
    def created(self, obj) -> str:
        return local_time(obj.created_at)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "phone", "balance", "is_active", "created"]
    list_filter = ["is_active"]
    search_fields = ["name", "email", "phone", "tax_number"]
    fields = [
        "name", "email", "phone", "tax_number", "notes", "credit_limit", "balance", "is_active",
        "statement",
    ]  # fmt: skip
    readonly_fields = ["balance", "is_active", "statement"]

    def get_readonly_fields(self, request, obj=None):
        if request.user.role in ("admin", "manager"):
            return self.readonly_fields
        return [*self.readonly_fields, "credit_limit"]

    @admin.display(description="statement (last 30 days)")
    def statement(self, obj) -> str:
        """The API's statement (same selector), for the default period."""
        if obj is None or obj.pk is None:
            return "-"
        start, end = selectors.statement_period(None, None)
        statement = selectors.customer_statement(customer=obj, start=start, end=end)
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (e.date, e.type, e.reference, e.debit or "", e.credit or "", e.balance)
                for e in statement.entries
            ),
        )
        return format_html(
            "<table><thead><tr><th>date</th><th>type</th><th>reference</th><th>debit</th>"
            "<th>credit</th><th>balance</th></tr></thead><tbody>"
            "<tr><td>{}</td><td colspan=4>opening balance</td><td>{}</td></tr>{}"
            "<tr><td>{}</td><td colspan=4>closing balance</td><td>{}</td></tr></tbody></table>",
            statement.start_date,
            statement.opening_balance,
            rows,
            statement.end_date,
            statement.closing_balance,
        )

    @admin.display(description="created at", ordering="created_at")
    def created(self, obj) -> str:
        return local_time(obj.created_at)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = {
            name: form.cleaned_data[name]
            for name in services.CUSTOMER_FIELDS
            if name in form.cleaned_data
        }
        if change:
            services.customer_update(customer=obj, actor=request.user, **data)
        else:
            obj.pk = services.customer_create(actor=request.user, **data).pk


# --- Registers and cash sessions ----------------------------------------------------------------


class ServiceErrorsAsMessages:
    """A write refused by the service (a duplicate code, an open session...) is shown on the
    page it came from as an error message, instead of a server error; the transaction the
    admin wrapped around it is rolled back."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as exc:
            messages.error(request, f"Not saved: {exc.detail}")
            return HttpResponseRedirect(request.get_full_path())


@admin.register(Register)
class RegisterAdmin(ServiceErrorsAsMessages, BranchScopedAdmin):
    """Managers keep their own branch's registers; admins any branch's (sales.cash rules)."""

    list_display = ["code", "name", "branch", "is_active", "open_session"]
    list_filter = [("branch", ScopedRelatedFilter), "is_active"]
    search_fields = ["code", "name"]
    list_select_related = ["branch"]
    fields = ["branch", "code", "name", "is_active"]

    def get_queryset(self, request):
        return selectors.register_queryset(request.user).select_related("branch")

    def get_readonly_fields(self, request, obj=None):
        return ["branch"] if obj is not None else []  # a register never changes branch

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "branch":
            kwargs["queryset"] = branches_for(request.user).order_by("code")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="open session")
    def open_session(self, obj) -> str:
        if not obj.open_session_id:
            return "-"
        url = reverse("admin:sales_cashsession_change", args=[obj.open_session_id])
        return format_html('<a href="{}">open</a>', url)

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: its sessions and Z reports stay

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in cash.REGISTER_FIELDS}
        if change:
            cash.register_update(actor=request.user, register=obj, **data)
        else:
            branch = form.cleaned_data["branch"]
            obj.pk = cash.register_create(actor=request.user, branch_id=branch.pk, **data).pk


class CashMovementInline(ReadOnlyInline):
    model = CashMovement
    fields = ["created", "type", "amount", "reason", "user"]
    readonly_fields = fields

    @admin.display(description="created at")
    def created(self, obj) -> str:
        return local_time(obj.created_at)


class CashSessionOpenForm(forms.ModelForm):
    class Meta:
        model = CashSession
        fields = ["register", "opening_float"]


class CashSessionCloseForm(forms.Form):
    counted_cash = forms.DecimalField(
        min_value=Decimal("0"), max_value=MAX_AMOUNT, max_digits=12, decimal_places=2,
        help_text="The cash counted in the drawer.",
    )  # fmt: skip
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))


def _money(value) -> str:
    return "" if value is None else f"{Decimal(value):,.2f}"


@admin.register(CashSession)
class CashSessionAdmin(ServiceErrorsAsMessages, BranchScopedAdmin):
    """A shift: opened here ("add", sales.cash.cash_session_open), closed on its Close page
    (cash_session_close), read-only always (its figures are the close's) and never deleted."""

    list_display = [
        "register", "branch", "status", "opened_by", "opened", "expected_cash", "counted_cash",
        "over_short", "z_number",
    ]  # fmt: skip
    list_filter = [
        ("branch", ScopedRelatedFilter),
        "status",
        ("register", ScopedRelatedFilter),
        ("opened_by", ScopedRelatedFilter),
        ("business_date", admin.DateFieldListFilter),
    ]
    search_fields = ["register__code", "opened_by__name", "opened_by__email"]
    list_select_related = ["register", "branch", "opened_by"]
    date_hierarchy = "business_date"
    inlines = [CashMovementInline]
    readonly_fields = [
        "id", "register", "branch", "status", "business_date", "opened_by", "opened",
        "opening_float", "closed_by", "closed", "expected_cash", "counted_cash", "over_short",
        "z_number", "note", "cash_actions",
    ]  # fmt: skip

    @admin.display(description="opened at", ordering="opened_at")
    def opened(self, obj) -> str:
        return local_time(obj.opened_at)

    @admin.display(description="closed at", ordering="closed_at")
    def closed(self, obj) -> str:
        return local_time(obj.closed_at)

    @admin.display(description="actions")
    def cash_actions(self, obj) -> str:
        if obj.status == CashSessionStatus.OPEN:
            url = reverse("admin:sales_cashsession_close", args=[obj.pk])
            return format_html('<a class="button" id="close-session" href="{}">Close</a>', url)
        url = reverse("admin:sales_cashsession_z_report", args=[obj.pk])
        return format_html(
            '<a class="button" id="print-z-report" href="{}">Print Z report</a>', url
        )

    def get_fields(self, request, obj=None):
        return ["register", "opening_float"] if obj is None else self.readonly_fields

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = CashSessionOpenForm
        return super().get_form(request, obj, change=change, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "register":
            kwargs["queryset"] = for_user(
                Register.objects.filter(is_active=True), request.user
            ).select_related("branch")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        return False  # nothing is edited in place: the close is its own page

    def has_delete_permission(self, request, obj=None):
        return False

    def may_close(self, request, obj) -> bool:
        return obj.status == CashSessionStatus.OPEN and request.user.has_perm(
            "sales.change_cashsession"
        )

    def save_model(self, request, obj, form, change):
        if change:  # pragma: no cover - has_change_permission is False
            raise PermissionDenied
        session = cash.cash_session_open(
            actor=request.user,
            register_id=form.cleaned_data["register"].pk,
            opening_float=form.cleaned_data["opening_float"],
        )
        for field in CashSession._meta.concrete_fields:
            setattr(obj, field.attname, getattr(session, field.attname))
        obj._state.adding = False

    def get_urls(self):
        own = [
            path(
                "<path:object_id>/close/",
                self.admin_site.admin_view(self.close_view),
                name="sales_cashsession_close",
            ),
            path(
                "<path:object_id>/z-report/",
                self.admin_site.admin_view(self.z_report_view),
                name="sales_cashsession_z_report",
            ),
        ]
        return [*own, *super().get_urls()]

    def _session(self, request, object_id) -> CashSession:
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        return self.get_object(request, unquote(object_id))  # 404 outside the scope

    def close_view(self, request, object_id):
        session = self._session(request, object_id)
        change_url = reverse("admin:sales_cashsession_change", args=[session.pk])
        if session.status != CashSessionStatus.OPEN:
            messages.info(request, "This session is already closed.")
            return redirect(change_url)
        if not self.may_close(request, session):
            raise PermissionDenied
        form = CashSessionCloseForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                report = cash.cash_session_close(
                    actor=request.user,
                    session_id=session.pk,
                    counted_cash=form.cleaned_data["counted_cash"],
                    note=form.cleaned_data["note"],
                )
            except DomainError as exc:
                form.add_error(None, exc.detail)
            else:
                messages.success(
                    request,
                    f"Closed {session.register}: Z {report['z_number']}, over/short "
                    f"{_money(report['over_short'])}.",
                )
                return redirect(change_url)
        x_report = cash.session_report(session)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Close cash session: {session.register}",
            "opts": self.opts,
            "original": session,
            "form": form,
            "opened": local_time(session.opened_at),
            "x": {
                key: _money(x_report[key])
                for key in (
                    "opening_float",
                    "cash_sales",
                    "cash_refunds",
                    "paid_in",
                    "paid_out",
                    "account_payments_cash",
                    "expected_cash",
                )
            },  # fmt: skip
        }
        return TemplateResponse(request, "admin/sales/cashsession/close.html", context)

    def z_report_view(self, request, object_id):
        session = self._session(request, object_id)
        if session.status != CashSessionStatus.CLOSED or not session.z_report:
            raise Http404("This session has no Z report yet: it is still open.")
        session = CashSession.objects.select_related(
            "register", "branch", "opened_by", "closed_by"
        ).get(pk=session.pk)
        report = json.loads(session.z_report, parse_float=Decimal)
        money = {
            key: _money(report[key])
            for key in ("opening_float", "cash_sales", "cash_refunds", "paid_in", "paid_out",
                        "account_payments_cash", "expected_cash", "counted_cash", "over_short")
        }  # fmt: skip
        methods = dict(PaymentMethod.choices)
        context = {
            "session": session,
            "report": report,
            "money": money,
            "short": Decimal(str(report["over_short"])) < 0,
            "opened": local_time(parse_datetime(report["opened_at"])),
            "closed": local_time(parse_datetime(report["closed_at"])),
            "printed": local_time(timezone.now()),
            "sales": {k: _money(v) if k != "count" else v for k, v in report["sales"].items()},
            "refunds": {"count": report["refunds"]["count"],
                        "amount": _money(report["refunds"]["amount"])},
            "cancellations": {"count": report["cancellations"]["count"],
                              "amount": _money(report["cancellations"]["amount"])},
            "tenders": [
                {"method": methods.get(t["method"], t["method"]), "sales": _money(t["sales"]),
                 "refunds": _money(t["refunds"]), "net": _money(t["net"])}
                for t in report["tenders"]
            ],
            "vat": [
                {"rate": vat_percent(Decimal(str(v["rate"]))), "net": _money(v["net"]),
                 "tax": _money(v["tax"]), "gross": _money(v["gross"])}
                for v in report["vat"]
            ],
        }  # fmt: skip
        return TemplateResponse(request, "admin/sales/cashsession/z_report.html", context)
