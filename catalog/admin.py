"""Back-office for the catalog: products, categories, stock per branch and the stock ledger.

Stock never changes here except through catalog.services.stock_adjust ("Adjust stock" on a
product), which writes the movement with the admin user. Product and category edits bump the
cache versions on commit, like the API's. Stock rows and the ledger are scoped to the user's
branch (accounts.scoping), like the API; products and categories are the whole chain's.
"""

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Count, Q
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from accounts.admin import BranchScopedAdmin, ScopedRelatedFilter, local_time
from accounts.models import Branch
from accounts.scoping import branches_for, for_user
from catalog import services
from catalog.cache import invalidate_on_commit
from catalog.models import MANUAL_REASONS, Category, Product, StockLevel, StockMovement
from pospro.exceptions import DomainError


def vat_percent(rate) -> str:
    """A VAT rate as people write it: 0.0100 -> '1%', 0.1800 -> '18%', 0.0850 -> '8.5%'."""
    if rate is None:
        return ""
    return f"{format((Decimal(rate) * 100).normalize(), 'f')}%"


def stock_label(row) -> str:
    """A stock row or movement named for a person: 'Cola 330 ml @ IST-01' (product, branch code)."""
    return f"{row.product.name} @ {row.branch.code}"


class StockLevelInline(admin.TabularInline):
    """Stock per branch, read-only: changes go through "Adjust stock" so the ledger agrees.
    A manager sees their own branch's row only."""

    model = StockLevel
    template = "admin/catalog/product/stock_levels.html"
    fields = ["branch", "quantity", "updated_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["branch__code"]

    def get_queryset(self, request):
        levels = super().get_queryset(request).select_related("branch", "product")
        return for_user(levels, request.user)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class StockAdjustForm(forms.Form):
    branch = forms.ModelChoiceField(queryset=Branch.objects.none())
    quantity = forms.IntegerField(
        required=False, help_text="A signed change (12 in, -3 out). Or fill in the count below."
    )
    new_stock = forms.IntegerField(
        required=False, min_value=0, help_text="The counted stock, replacing the current one."
    )
    reason = forms.ChoiceField(choices=[(reason.value, reason.label) for reason in MANUAL_REASONS])
    note = forms.CharField(required=False, max_length=1000, widget=forms.Textarea({"rows": 2}))

    def __init__(self, *args, branches, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = branches
        if len(branches) == 1:
            self.fields["branch"].initial = branches.first()

    def clean(self):
        data = super().clean()
        quantity, new_stock = data.get("quantity"), data.get("new_stock")
        if (quantity is None) == (new_stock is None):
            raise forms.ValidationError("Fill in exactly one of quantity or new stock.")
        if quantity == 0:
            self.add_error("quantity", "Must not be 0.")
        return data


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "barcode", "sku", "category", "price", "vat", "is_active"]
    list_editable = ["price", "is_active"]
    list_filter = ["category", "is_active"]
    search_fields = ["name", "barcode", "sku"]
    list_select_related = ["category"]
    ordering = ["name", "id"]
    fields = [
        "name",
        "barcode",
        "sku",
        "category",
        ("price", "cost_price", "vat_rate"),
        "critical_stock_level",
        "image_url",
        "is_active",
        ("created_at", "updated_at"),
    ]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [StockLevelInline]
    actions = ["deactivate"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    @admin.display(description="VAT", ordering="vat_rate")
    def vat(self, obj) -> str:
        return vat_percent(obj.vat_rate)

    def get_fields(self, request, obj=None):
        """The read-only page (view permission only) shows VAT as a percentage; the form keeps
        the stored fraction (0.18) that the API takes too."""
        fields = super().get_fields(request, obj)
        if self.has_change_permission(request, obj):
            return fields
        return [
            tuple("vat" if f == "vat_rate" else f for f in field)
            if isinstance(field, tuple)
            else field
            for field in fields
        ]

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        return readonly if self.has_change_permission(request, obj) else [*readonly, "vat"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if "vat_rate" in form.base_fields:
            form.base_fields["vat_rate"].help_text = "A fraction: 0.18 is 18%, 0.01 is 1%."
        return form

    def has_delete_permission(self, request, obj=None):
        return False  # soft delete only: orders and the ledger keep referring to products

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        invalidate_on_commit([obj.pk])

    # permissions=["change"]: Django offers and runs the action only for users with
    # catalog.change_product, the permission of the change it makes.
    @admin.action(description="Deactivate selected products (soft delete)", permissions=["change"])
    def deactivate(self, request, queryset):
        for product in queryset:
            services.product_deactivate(product=product)
        messages.success(request, f"Deactivated {len(queryset)} product(s).")

    def get_urls(self):
        adjust = path(
            "<path:object_id>/adjust-stock/",
            self.admin_site.admin_view(self.adjust_stock_view),
            name="catalog_product_adjust_stock",
        )
        return [adjust, *super().get_urls()]

    def adjust_stock_view(self, request, object_id):
        product = self.get_object(request, unquote(object_id))
        if product is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_change_permission(request, product):
            raise PermissionDenied
        # Same rule as the API: managers change stock at their own branch only.
        branches = branches_for(request.user).order_by("code")
        form = StockAdjustForm(request.POST or None, branches=branches)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                result = services.stock_adjust(
                    product_id=product.pk,
                    branch=data["branch"],
                    user=request.user,
                    reason=data["reason"],
                    quantity=data["quantity"],
                    new_stock=data["new_stock"],
                    note=data["note"],
                )
            except DomainError as exc:
                form.add_error(None, exc.detail)
            else:
                messages.success(
                    request,
                    f"Stock of {product} at {data['branch'].code}: "
                    f"{result.old_stock} -> {result.new_stock}.",
                )
                return redirect(reverse("admin:catalog_product_change", args=[product.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": f"Adjust stock: {product}",
            "opts": self.opts,
            "original": product,
            "form": form,
            "levels": for_user(
                product.stock_levels.select_related("branch").order_by("branch__code"), request.user
            ),
        }
        return TemplateResponse(request, "admin/catalog/product/adjust_stock.html", context)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "product_count"]
    search_fields = ["name"]
    ordering = ["name"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(product_count=Count("products", filter=Q(products__is_active=True)))
        )

    @admin.display(description="active products", ordering="product_count")
    def product_count(self, obj) -> int:
        return obj.product_count

    def save_model(self, request, obj, form, change):
        if change and "name" in form.changed_data:
            # Through the service: products' updated_at and cached reads follow the rename.
            services.category_update(category=Category.objects.get(pk=obj.pk), name=obj.name)
        else:
            super().save_model(request, obj, form, change)
            invalidate_on_commit()

    def delete_model(self, request, obj):
        services.category_delete(category=obj)

    def delete_queryset(self, request, queryset):
        for category in queryset:
            services.category_delete(category=category)


@admin.register(StockMovement)
class StockMovementAdmin(BranchScopedAdmin):
    """The append-only ledger: readable, never added to, changed or deleted here. A manager
    lists and opens their own branch's movements only."""

    list_display = [
        "created",
        "product",
        "branch",
        "reason",
        "quantity",
        "balance_after",
        "user",
        "order_id",
    ]
    list_filter = ["reason", ("branch", ScopedRelatedFilter)]
    search_fields = ["product__name", "product__barcode", "note"]
    list_select_related = ["product", "branch", "user"]
    ordering = ["-created_at", "-id"]
    show_full_result_count = False
    readonly_fields = ["created"]

    @admin.display(description="created at", ordering="created_at")
    def created(self, obj) -> str:
        return local_time(obj.created_at)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("product", "branch", "user")

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["subtitle"] = (
                f"{obj.get_reason_display()} {obj.quantity:+d}, {stock_label(obj)}"
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
