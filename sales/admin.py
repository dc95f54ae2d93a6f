"""Back-office views of sales: orders are read-only (corrections are refunds or cancellations);
customers are editable except their account balance, which only sales change.

Orders (with their lines, payments and refunds) are scoped to the user's branch like the API's;
customers are the whole chain's, as in the API.
"""

from django.contrib import admin
from django.utils.html import format_html, format_html_join

from accounts.admin import BranchScopedAdmin, ScopedRelatedFilter, local_time
from catalog.admin import vat_percent
from sales import selectors, services
from sales.models import Customer, Order, OrderItem, Payment, Refund


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
