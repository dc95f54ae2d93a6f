"""Back-office views of sales: orders are read-only (corrections are refunds or cancellations);
customers are editable except their account balance, which only sales change.

Orders (with their lines, payments and refunds) are scoped to the user's branch like the API's;
customers are the whole chain's, as in the API.
"""

from django.contrib import admin

from accounts.admin import BranchScopedAdmin, ScopedRelatedFilter, local_time
from catalog.admin import vat_percent
from sales import services
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
    fields = ["name", "email", "phone", "tax_number", "notes", "balance", "is_active"]
    readonly_fields = ["balance", "is_active"]

    @admin.display(description="created at", ordering="created_at")
    def created(self, obj) -> str:
        return local_time(obj.created_at)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in services.CUSTOMER_FIELDS}
        if change:
            services.customer_update(customer=obj, **data)
        else:
            obj.pk = services.customer_create(**data).pk
