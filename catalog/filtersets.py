import django_filters
from django.db.models import Q
from django_filters.constants import EMPTY_VALUES

from catalog import selectors
from catalog.models import Product, StockLevel


class StableOrderingFilter(django_filters.OrderingFilter):
    """Ordering with `id` as the last key, so pages never repeat or skip rows on ties."""

    def filter(self, qs, value):
        if value in EMPTY_VALUES:
            return qs.order_by("name", "id")
        return qs.order_by(*(self.get_ordering_value(param) for param in value), "id")


class ProductFilterSet(django_filters.FilterSet):
    """Filters of `GET /products`, applied to `selectors.products_with_stock`."""

    category = django_filters.CharFilter(
        field_name="category__name", lookup_expr="iexact", help_text="Category name."
    )
    search = django_filters.CharFilter(
        method="filter_search", help_text="Name, barcode or SKU contains (case-insensitive)."
    )
    barcode = django_filters.CharFilter(field_name="barcode", help_text="Exact barcode.")
    is_active = django_filters.ChoiceFilter(
        choices=[("true", "true"), ("false", "false"), ("all", "all")],
        method="filter_is_active",
        help_text=(
            "Default `true` (`all` with `updated_since`); `all` lists active and inactive products."
        ),
    )
    min_price = django_filters.NumberFilter(field_name="price", lookup_expr="gte")
    max_price = django_filters.NumberFilter(field_name="price", lookup_expr="lte")
    updated_since = django_filters.IsoDateTimeFilter(
        method="filter_updated_since",
        help_text=(
            "ISO 8601 timestamp: every product changed after it (its data, or its stock at the "
            "context branch), deactivated ones included, so a till can sync incrementally. "
            "Such a list is ordered by `updated_at, id`."
        ),
    )
    after_id = django_filters.UUIDFilter(
        method="filter_after_id",
        help_text=(
            "With `updated_since` set to the last item's `updated_at`: continue after that item "
            "(products changed at that same instant with a greater id, then later ones), so every "
            "page of a sync costs the same."
        ),
    )
    ordering = StableOrderingFilter(
        fields=(
            ("name", "name"),
            ("price", "price"),
            ("stock", "stock"),
            ("created_at", "created_at"),
            ("changed_at", "updated_at"),
        ),
        help_text="`name` (default), `price`, `stock`, `created_at`, `updated_at`; `-` descends.",
    )

    class Meta:
        model = Product
        fields = [
            "category",
            "search",
            "barcode",
            "is_active",
            "min_price",
            "max_price",
            "updated_since",
            "after_id",
        ]

    def __init__(self, data=None, *args, **kwargs):
        data = data.copy() if data is not None else {}
        if data.get("updated_since"):
            # An unencoded "+00:00" arrives as " 00:00": take it for what the till meant.
            data["updated_since"] = data["updated_since"].replace(" ", "+")
        if not data.get("is_active"):
            # A sync must learn about deactivations; a plain listing shows what can be sold.
            data["is_active"] = "all" if data.get("updated_since") else "true"
        if data.get("updated_since"):
            data["ordering"] = "updated_at"  # what `after_id` continues
        super().__init__(data, *args, **kwargs)

    def filter_search(self, queryset, name, value):
        return queryset.filter(
            Q(name__icontains=value) | Q(barcode__icontains=value) | Q(sku__icontains=value)
        )

    def filter_updated_since(self, queryset, name, value):
        after_id = self.form.cleaned_data.get("after_id")
        changed = Q(changed_at__gt=value)
        if after_id is not None:
            changed |= Q(changed_at=value, pk__gt=after_id)
        # `changed_at` is computed over a join, so no index finds it: first narrow the rows
        # down to the products whose own row or one of whose stock rows changed since then.
        candidates = (
            Product.objects.filter(updated_at__gte=value)
            .order_by()
            .values("pk")
            .union(StockLevel.objects.filter(updated_at__gte=value).values("product_id"))
        )
        return queryset.filter(changed, pk__in=candidates)

    def sync_page(self, *, branch_id, skip: int, limit: int) -> tuple[int, list]:
        """A valid sync's (`updated_since` given) total and page of ids, found by
        `selectors.product_sync_page` from the queryset with every other filter applied: the
        same rows as `qs`, without sorting every product changed since the cursor."""
        data = self.form.cleaned_data
        products = self.queryset
        for name, value in data.items():
            if name not in ("updated_since", "after_id", "ordering"):
                products = self.filters[name].filter(products, value)
        return selectors.product_sync_page(
            products,
            branch_id=branch_id,
            since=data["updated_since"],
            after_id=data.get("after_id"),
            skip=skip,
            limit=limit,
        )

    def filter_after_id(self, queryset, name, value):
        return queryset  # read by filter_updated_since

    def filter_is_active(self, queryset, name, value):
        if value == "all":
            return queryset
        return queryset.filter(is_active=value == "true")
