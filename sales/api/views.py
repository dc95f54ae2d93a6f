from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from accounts.permissions import IsManagerOrAdmin
from pospro.api.pagination import SkipLimitPagination, page_params
from pospro.api.schema import ProblemSerializer
from sales import selectors, services
from sales.api.serializers import (
    CancelInputSerializer,
    CustomerInputSerializer,
    CustomerPaymentInputSerializer,
    CustomerPaymentSerializer,
    CustomerSerializer,
    CustomerStatementSerializer,
    OrderCalculateInputSerializer,
    OrderCalculationSerializer,
    OrderCreateInputSerializer,
    OrderSerializer,
    RefundInputSerializer,
    RefundSerializer,
    StatementQuerySerializer,
)
from sales.filtersets import CustomerFilterSet, OrderFilterSet
from sales.models import Customer, Order

PROBLEM = {"application/problem+json": ProblemSerializer}
IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description=(
        "Up to 255 characters; tills should always send one. The same key and body within 24 h "
        "replays the first answer (header `Idempotent-Replayed: true`); another body answers 422; "
        "a request still running with that key answers 409."
    ),
)


def _order_args(data: dict) -> dict:
    return {
        "items": [services.ItemRequest(**item) for item in data["items"]],
        "payments": [services.PaymentRequest(**p) for p in data["payments"]],
        "branch_id": data.get("branch_id"),
        "cashier_id": data.get("cashier_id"),
        "customer_id": data.get("customer_id"),
        "discount_amount": data["discount_amount"],
        "notes": data["notes"],
    }


def _calculation(quote: services.Quote) -> dict:
    lines = zip(quote.products, quote.priced.lines, strict=True)
    return {
        "branch_id": quote.branch.pk,
        "cashier_id": quote.cashier.pk,
        "customer_id": quote.customer.pk if quote.customer else None,
        "subtotal": quote.priced.subtotal,
        "discount_amount": quote.priced.discount,
        "tax_amount": quote.priced.tax,
        "total_amount": quote.priced.total,
        "paid_amount": quote.paid,
        "change_due": quote.change_due,
        "notes": quote.notes,
        "items": [
            {
                "product_id": product.pk,
                "name": product.name,
                "barcode": product.barcode,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "discount_amount": line.discount,
                "vat_rate": line.vat_rate,
                "tax_amount": line.tax,
                "line_total": line.total,
            }
            for product, line in lines
        ],
        "payments": [
            {"method": p.method, "amount": p.amount, "reference": p.reference}
            for p in quote.payments
        ],
    }


class OrderPagination(SkipLimitPagination):
    """An unfiltered page's exact total comes from the report rollup (sales.selectors.
    order_total): COUNT(*) over a branch's 140,000 orders took 33.7 ms, three times the list's
    10 ms target. Filtered pages count their rows."""

    def paginate_queryset(self, queryset, request, view=None):
        self.skip, self.limit = page_params(request.query_params)
        self.total = selectors.order_list_total(request.user, queryset, request.query_params)
        return list(queryset[self.skip : self.skip + self.limit])


def _render(order, items, payments) -> dict:
    """A new order's answer, from the lines and payments the sale holds (nothing read back)."""
    rows = {"items": items, "payments": payments, "refunds": []}
    return OrderSerializer(order, context={"rows": rows}).data


@extend_schema(tags=["orders"])
@extend_schema_view(
    list=extend_schema(
        description="Orders of the caller's branch (all branches for admins), newest first."
    ),
    retrieve=extend_schema(description="One order with its lines, payments and refunds."),
)
class OrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = Order.objects.none()  # for the schema; requests use get_queryset
    serializer_class = OrderSerializer
    filterset_class = OrderFilterSet
    pagination_class = OrderPagination
    lookup_value_regex = "[0-9a-fA-F-]{36}"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Order.objects.none()
        return selectors.order_queryset(self.request.user)

    def get_permissions(self):
        if self.action in ("refund", "cancel"):
            return [IsManagerOrAdmin()]
        return super().get_permissions()

    @extend_schema(
        request=OrderCreateInputSerializer,
        parameters=[IDEMPOTENCY_HEADER],
        responses={
            201: OrderSerializer,
            (409, "application/problem+json"): OpenApiResponse(
                ProblemSerializer,
                description="`insufficient_stock` (every short line listed), "
                "`idempotency_in_progress`, or `no_open_session` (the named register has no "
                "open cash session).",
            ),
            (422, "application/problem+json"): OpenApiResponse(
                ProblemSerializer, description="`idempotency_key_mismatch`."
            ),
        },
        summary="Sell: create a completed order (stock, totals, payments in one transaction)",
        description=(
            "Prices the cart from the catalog, takes the stock, records the payments and gives "
            "the order the next number of its business day, all or nothing. Send an "
            "`Idempotency-Key` (or the till's `id`) so that a retry after a timeout replays the "
            "first answer instead of selling twice."
        ),
    )
    def create(self, request, *args, **kwargs):
        key = request.headers.get("Idempotency-Key")
        if key is not None and not 0 < len(key) <= 255:
            raise ValidationError({"Idempotency-Key": ["Must be 1 to 255 characters."]})
        data = OrderCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        order_id = data.validated_data.get("id")
        if key is None and order_id is not None:
            key = f"order-id:{order_id}"
        placed = services.order_place(
            actor=request.user,
            idempotency_key=key,
            request_hash=services.request_fingerprint(request.data),
            render=_render,
            order_id=order_id,
            register_id=data.validated_data.get("register_id"),
            **_order_args(data.validated_data),
        )
        headers = {"Idempotent-Replayed": "true"} if placed.replayed else {}
        return Response(placed.body, status=placed.status, headers=headers)

    @extend_schema(
        request=OrderCalculateInputSerializer,
        responses={200: OrderCalculationSerializer},
        summary="Price a cart exactly as POST /orders would, writing nothing",
        description="The totals, taxes and change of a cart; payments are optional here.",
    )
    @action(detail=False, methods=["post"])
    def calculate(self, request):
        data = OrderCalculateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        quote = services.order_quote(
            actor=request.user, payments_required=False, **_order_args(data.validated_data)
        )
        return Response(OrderCalculationSerializer(_calculation(quote)).data)

    @extend_schema(
        request=RefundInputSerializer,
        responses={
            201: RefundSerializer,
            (409, "application/problem+json"): OpenApiResponse(
                ProblemSerializer,
                description="The order is cancelled or fully refunded (`conflict`); "
                "`no_open_session`: the named register has no open cash session.",
            ),
        },
        summary="Refund lines of an order (restocks with reason `return`)",
        description=(
            "Gives back some or all of the named lines: each line's own amount and tax, pro "
            "rata to the quantity, the refund that completes a line taking exactly what is "
            "left. The goods go back to stock. Managers and admins only.\n\n"
            "A refund reduces what is owed before it pays anything out. While part of the "
            "order's `credit` tender is still owed on account (its credit amount less earlier "
            "refunds to the account, at most the customer's balance), the whole refund goes to "
            "the customer's account: `method` is `credit` and the balance goes down by the "
            "refund's amount (a refund larger than what is owed leaves the excess on the "
            "account in the customer's favour); any other `method` answers 400 "
            "`validation_error` on `method` (code `credit_owed`). Once nothing of the order is "
            "owed on account, the refund is paid out by the `method` asked for, by default the "
            "order's one non-credit payment method, else cash; `credit` then needs the order "
            "to have a customer."
        ),
    )
    @action(detail=True, methods=["post"])
    def refund(self, request, pk=None):
        order = self.get_object()
        data = RefundInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        refund = services.order_refund(
            actor=request.user,
            order_id=order.pk,
            items=[services.RefundLineRequest(**item) for item in data.validated_data["items"]],
            reason=data.validated_data["reason"],
            method=data.validated_data.get("method"),
            register_id=data.validated_data.get("register_id"),
        )
        return Response(
            RefundSerializer(selectors.refund_with_items(refund)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        request=CancelInputSerializer,
        responses={
            200: OrderSerializer,
            (409, "application/problem+json"): OpenApiResponse(
                ProblemSerializer,
                description="Already cancelled, has refunds, or not the sale's business day "
                "(`conflict`); `no_open_session`: the named register has no open cash session.",
            ),
        },
        summary="Void a whole order on its business day (stock and balance restored)",
        description="Cancels an order without refunds on the day it was sold. Managers and admins.",
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        order = self.get_object()
        data = CancelInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.order_cancel(
            actor=request.user,
            order_id=order.pk,
            reason=data.validated_data["reason"],
            register_id=data.validated_data.get("register_id"),
        )
        return Response(OrderSerializer(self.get_queryset().get(pk=order.pk)).data)


@extend_schema(tags=["customers"])
class CustomerViewSet(viewsets.ModelViewSet):
    queryset = Customer.objects.none()  # for the schema; requests use get_queryset
    serializer_class = CustomerSerializer
    filterset_class = CustomerFilterSet
    lookup_value_regex = "[0-9a-fA-F-]{36}"

    def get_queryset(self):
        if self.action in ("payments", "statement"):
            # Existence only: the account calls need no order totals.
            return Customer.objects.filter(is_active=True)
        return selectors.customer_queryset().order_by("name", "id")

    def get_permissions(self):
        if self.action == "destroy":
            return [IsManagerOrAdmin()]
        return super().get_permissions()

    def _fresh(self, customer):
        return CustomerSerializer(self.get_queryset().get(pk=customer.pk)).data

    @extend_schema(
        request=CustomerInputSerializer,
        responses={
            201: CustomerSerializer,
            (403, "application/problem+json"): OpenApiResponse(
                ProblemSerializer, description="A cashier set `credit_limit`."
            ),
        },
    )
    def create(self, request, *args, **kwargs):
        data = CustomerInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        customer = services.customer_create(actor=request.user, **data.validated_data)
        return Response(self._fresh(customer), status=status.HTTP_201_CREATED)

    @extend_schema(
        request=CustomerInputSerializer,
        responses={
            200: CustomerSerializer,
            (403, "application/problem+json"): OpenApiResponse(
                ProblemSerializer, description="A cashier changed `credit_limit`."
            ),
        },
    )
    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        customer = self.get_object()
        data = CustomerInputSerializer(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        services.customer_update(customer=customer, actor=request.user, **data.validated_data)
        return Response(self._fresh(customer))

    @extend_schema(request=CustomerInputSerializer, responses={200: CustomerSerializer})
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    @extend_schema(
        responses={
            204: None,
            (409, "application/problem+json"): OpenApiResponse(
                ProblemSerializer, description="The customer's balance is not zero."
            ),
        }
    )
    def destroy(self, request, *args, **kwargs):
        services.customer_delete(customer=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses={200: OrderSerializer(many=True)}, filters=False)
    @action(detail=True, methods=["get"], filterset_class=None)
    def orders(self, request, pk=None):
        customer = self.get_object()
        orders = selectors.order_queryset(request.user).filter(customer=customer)
        page = self.paginate_queryset(orders.order_by("-created_at", "-order_number"))
        return self.get_paginated_response(OrderSerializer(page, many=True).data)

    @extend_schema(
        request=CustomerPaymentInputSerializer,
        responses={
            201: CustomerPaymentSerializer,
            (400, "application/problem+json"): OpenApiResponse(
                ProblemSerializer,
                description="`exceeds_balance`: the amount is more than the balance owed; "
                "`validation_error` for a bad amount or method.",
            ),
            (404, "application/problem+json"): OpenApiResponse(
                ProblemSerializer, description="No such (active) customer."
            ),
            (409, "application/problem+json"): OpenApiResponse(
                ProblemSerializer,
                description="`no_open_session`: the named register has no open cash session.",
            ),
        },
        summary="Take a payment towards what the customer owes on account",
        description=(
            "The customer pays off on-account (credit) debt by `cash` or `card`: the balance "
            "goes down by `amount`, which must be more than 0 and at most the balance owed "
            "(else 400 `exceeds_balance`). The customer's row is locked and the balance "
            "lowered in the database, so concurrent payments and credit sales never lose an "
            "update. Customers are the whole chain's: cashiers, managers and admins of any "
            "branch take payments. `balance_after` is the balance the payment left. With "
            "`register_id` (a register of the caller's branch, admins any) the payment belongs "
            "to that register's open cash session (409 `no_open_session` without one); a cash "
            "payment counts in its `account_payments_cash`."
        ),
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def payments(self, request, pk=None):
        customer = self.get_object()
        data = CustomerPaymentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        payment = services.customer_payment_create(
            actor=request.user,
            customer_id=customer.pk,
            amount=data.validated_data["amount"],
            method=data.validated_data["method"],
            reference=data.validated_data["reference"] or "",
            note=data.validated_data["note"] or "",
            register_id=data.validated_data.get("register_id"),
        )
        return Response(CustomerPaymentSerializer(payment).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[StatementQuerySerializer],
        responses={
            200: CustomerStatementSerializer,
            (400, "application/problem+json"): OpenApiResponse(
                ProblemSerializer,
                description="`validation_error`: a date out of range, end before start, or a "
                "period longer than POSPRO_REPORT_MAX_DAYS.",
            ),
            (404, "application/problem+json"): OpenApiResponse(
                ProblemSerializer, description="No such (active) customer."
            ),
        },
        summary="The customer's account statement with a running balance",
        description=(
            "Every movement of the account balance in business days start_date..end_date "
            "(default: the last 30 days), oldest first: `sale` debits the credit part of a "
            "sale; `refund` (a refund to the account), `cancel` (a cancelled credit sale) and "
            "`payment` (an account payment) credit it. `reference` is the order number or the "
            "payment's id. `opening_balance` is the balance at the start of start_date, each "
            "entry's `balance` the balance after it, and `closing_balance` the balance at the "
            "end of end_date: the customer's `balance` when the period ends today."
        ),
        filters=False,
    )
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def statement(self, request, pk=None):
        customer = self.get_object()
        query = StatementQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        statement = selectors.customer_statement(
            customer=customer,
            start=query.validated_data["start_date"],
            end=query.validated_data["end_date"],
        )
        return Response(CustomerStatementSerializer(statement).data)
