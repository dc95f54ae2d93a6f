import django_filters

from sales.models import Customer, Order, OrderStatus


class OrderFilterSet(django_filters.FilterSet):
    start_date = django_filters.DateFilter(
        field_name="business_date", lookup_expr="gte", help_text="Business-local day, inclusive."
    )
    end_date = django_filters.DateFilter(
        field_name="business_date", lookup_expr="lte", help_text="Business-local day, inclusive."
    )
    status = django_filters.ChoiceFilter(choices=OrderStatus.choices)
    branch_id = django_filters.UUIDFilter(field_name="branch_id")
    cashier_id = django_filters.UUIDFilter(field_name="cashier_id")
    customer_id = django_filters.UUIDFilter(field_name="customer_id")
    search = django_filters.CharFilter(
        field_name="order_number", lookup_expr="icontains", help_text="Order number contains."
    )

    class Meta:
        model = Order
        fields = ["start_date", "end_date", "status", "branch_id", "cashier_id", "customer_id"]


class CustomerFilterSet(django_filters.FilterSet):
    search = django_filters.CharFilter(method="filter_search", help_text="Name, email or phone.")

    class Meta:
        model = Customer
        fields = ["search"]

    def filter_search(self, queryset, name, value):
        from django.db.models import Q

        return queryset.filter(
            Q(name__icontains=value) | Q(email__icontains=value) | Q(phone__icontains=value)
        )
