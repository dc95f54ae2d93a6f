"""Catalog endpoints: products, stock, categories (contract: Products, Branches and categories).

Product reads (list, detail, barcode, low stock) are rendered by their serializers and cached as
those bytes, keyed by the catalog's version keys plus everything else that changes the answer:
whether the caller sees `cost_price`, the context branch, and the query. Writes move the
versions on commit (catalog.cache).
"""

from functools import cached_property
from uuid import UUID

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Branch, Role
from accounts.permissions import IsManagerOrAdmin, ReadOnlyOrManager
from accounts.scoping import branch_filter, branch_for_write
from catalog import selectors, services
from catalog.api.serializers import (
    CategoryInputSerializer,
    CategorySerializer,
    LowStockParamsSerializer,
    LowStockSerializer,
    ProductCreateInputSerializer,
    ProductDetailSerializer,
    ProductSerializer,
    ProductUpdateInputSerializer,
    StockAdjustInputSerializer,
    StockAdjustmentSerializer,
    StockMovementSerializer,
    StockTransferInputSerializer,
    StockTransferSerializer,
)
from catalog.cache import CATALOG_KEY, product_key, read_through
from catalog.filtersets import ProductFilterSet
from catalog.models import Category, Product
from pospro.api.pagination import SkipLimitPagination, page_params
from pospro.api.schema import ProblemSerializer
from pospro.exceptions import NotFound

UUID_REGEX = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"

BRANCH_PARAM = OpenApiParameter(
    "branch_id",
    OpenApiTypes.UUID,
    description=(
        "Context branch for `stock` (any existing branch: stock is visible chain-wide). "
        "Default the caller's branch; for an admin without one, the sum over all branches."
    ),
)


def _problem(status_code: int, description: str) -> dict:
    """An extra documented error answer (ProblemAutoSchema adds the usual ones)."""
    problem = OpenApiResponse(ProblemSerializer, description=description)
    return {(status_code, "application/problem+json"): problem}


class ProductPagination(SkipLimitPagination):
    """Finds the page's ids first, then loads only those rows with their stock and category: a
    deep page (skip=99000) reads 99,020 index entries instead of sorting 100,000 joined rows,
    and the filters run once, in the ids' query."""

    def paginate_queryset(self, queryset, request, view=None):
        self.skip, self.limit = page_params(request.query_params)
        if request.query_params.get("updated_since"):
            # A sync: the filterset finds the page's ids without sorting every changed product.
            filterset = view.filterset_class(
                request.query_params, queryset=view.get_queryset(), request=request
            )
            filterset.is_valid()  # already validated by the filter backend
            self.total, ids = filterset.sync_page(
                branch_id=view.context_branch_id, skip=self.skip, limit=self.limit
            )
            return list(view.get_queryset().filter(pk__in=ids).order_by("changed_at", "id"))
        self.total = queryset.count()
        ids = queryset.values("pk")[self.skip : self.skip + self.limit]
        return list(view.get_queryset().filter(pk__in=ids).order_by(*queryset.query.order_by))


class ProductViewSet(viewsets.GenericViewSet):
    """Everyone reads the catalog; managers and admins write it; stock changes are per branch."""

    queryset = Product.objects.all()
    serializer_class = ProductSerializer
    permission_classes = [ReadOnlyOrManager]
    filterset_class = ProductFilterSet
    pagination_class = ProductPagination
    lookup_value_regex = UUID_REGEX

    @cached_property
    def context_branch_id(self) -> UUID | None:
        return selectors.context_branch_id(
            self.request.user, self.request.query_params.get("branch_id")
        )

    def get_queryset(self):
        return selectors.products_with_stock(branch_id=self.context_branch_id)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "show_cost": self._show_cost()}

    def _show_cost(self) -> bool:
        return self.request.user.role != Role.CASHIER

    def _cached(self, namespace: str, version_keys: list[str], parts, build) -> HttpResponse:
        """`build()`'s bytes, cached per role (cost prices), context branch and `parts`."""
        body = read_through(
            namespace, version_keys, (self._show_cost(), self.context_branch_id, *parts), build
        )
        return HttpResponse(body, content_type="application/json")

    def _detail_data(self, product_id: UUID) -> dict:
        product = self.get_queryset().filter(pk=product_id).first()
        if product is None:
            raise NotFound("Product not found.")
        product.stock_by_branch = selectors.product_stock_by_branch(product_id=product.pk)
        return ProductDetailSerializer(product, context=self.get_serializer_context()).data

    # --- reads --------------------------------------------------------------------------------

    @extend_schema(
        parameters=[
            BRANCH_PARAM,
            OpenApiParameter(
                "after_id",
                OpenApiTypes.UUID,
                description=(
                    "Sync continuation: with `updated_since` set to the last item's `updated_at`,"
                    " the next page starts after that item (ordered by `updated_at, id`), so "
                    "every page of a 100,000-product sync costs the same."
                ),
            ),
        ],
        responses={200: ProductSerializer(many=True)},
        summary="List products (filters, ordering, pagination)",
        tags=["products"],
    )
    def list(self, request):
        def build() -> bytes:
            products = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
            page = self.get_serializer(products, many=True)
            return JSONRenderer().render(self.get_paginated_response(page.data).data)

        return self._cached("list", [CATALOG_KEY], sorted(request.query_params.lists()), build)

    @extend_schema(
        parameters=[BRANCH_PARAM],
        responses={200: ProductDetailSerializer},
        summary="A product with its stock per branch",
        tags=["products"],
    )
    def retrieve(self, request, pk):
        product_id = UUID(pk)  # one spelling per product, or a cached entry would escape bumps

        def build() -> bytes:
            return JSONRenderer().render(self._detail_data(product_id))

        return self._cached("detail", [product_key(product_id)], [product_id], build)

    @extend_schema(
        parameters=[BRANCH_PARAM],
        responses={200: ProductSerializer},
        summary="Scan lookup: the active product with this exact barcode",
        tags=["products"],
    )
    # No NUL in a barcode (PostgreSQL text cannot hold one): `abc%00` is a 404, not a 500.
    @action(detail=False, url_path=r"barcode/(?P<barcode>[^/\x00]+)", filter_backends=[])
    def barcode(self, request, barcode: str):
        def build() -> bytes:
            product = self.get_queryset().filter(is_active=True, barcode=barcode).first()
            if product is None:
                raise NotFound("No active product has this barcode.")
            return JSONRenderer().render(self.get_serializer(product).data)

        return self._cached("barcode", [CATALOG_KEY], [barcode], build)

    @extend_schema(
        parameters=[BRANCH_PARAM, LowStockParamsSerializer],
        responses={
            200: LowStockSerializer,
            **_problem(400, "`validation_error`: a parameter is malformed or out of range."),
        },
        summary=(
            "Active products at or below their critical level, most short first: only the "
            "context branch's stock rows (every branch's for an admin without one)"
        ),
        tags=["products"],
    )
    @action(detail=False, url_path="low-stock", filter_backends=[], pagination_class=None)
    def low_stock(self, request):
        params = LowStockParamsSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        threshold = params.validated_data.get("threshold")
        skip, limit = params.validated_data["skip"], params.validated_data["limit"]

        def build() -> bytes:
            levels = selectors.low_stock_levels(
                branch_id=self.context_branch_id, threshold=threshold
            )
            total, items = selectors.low_stock_page(levels, skip=skip, limit=limit)
            page = {"total_low_stock": total, "skip": skip, "limit": limit, "items": items}
            return JSONRenderer().render(LowStockSerializer(page).data)

        return self._cached("low-stock", [CATALOG_KEY], [threshold, skip, limit], build)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "branch_id",
                OpenApiTypes.UUID,
                description="Admins: one branch's rows (default all). Managers: own branch only.",
            )
        ],
        responses={200: StockMovementSerializer(many=True)},
        summary="The product's stock ledger, newest first (managers: own branch)",
        tags=["stock"],
    )
    @action(
        detail=True,
        permission_classes=[IsManagerOrAdmin],
        filter_backends=[],
        pagination_class=SkipLimitPagination,
    )
    def movements(self, request, pk):
        branch_id = branch_filter(request.user, request.query_params.get("branch_id"))
        product = get_object_or_404(Product.objects.only("id"), pk=pk)
        page = self.paginate_queryset(
            selectors.product_movements(product_id=product.pk, branch_id=branch_id)
        )
        return self.get_paginated_response(StockMovementSerializer(page, many=True).data)

    # --- writes -------------------------------------------------------------------------------

    @extend_schema(
        parameters=[BRANCH_PARAM],
        request=ProductCreateInputSerializer,
        responses={201: ProductDetailSerializer},
        summary="Create a product, optionally with initial stock",
        tags=["products"],
    )
    def create(self, request):
        self.context_branch_id  # noqa: B018 - a bad ?branch_id= fails before the write
        data = ProductCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        product = services.product_create(user=request.user, **data.validated_data)
        return Response(self._detail_data(product.pk), status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[BRANCH_PARAM],
        request=ProductUpdateInputSerializer,
        responses={200: ProductDetailSerializer},
        summary="Update a product: name and price required, omitted fields kept; stock read-only",
        tags=["products"],
    )
    def update(self, request, pk, partial: bool = False):
        branch_id = self.context_branch_id
        product = get_object_or_404(Product, pk=pk)
        data = ProductUpdateInputSerializer(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        services.product_update(product=product, context_branch_id=branch_id, **data.validated_data)
        return Response(self._detail_data(product.pk))

    @extend_schema(
        parameters=[BRANCH_PARAM],
        request=ProductUpdateInputSerializer,
        responses={200: ProductDetailSerializer},
        summary="Change some of a product's fields (stock is read-only here)",
        tags=["products"],
    )
    def partial_update(self, request, pk):
        return self.update(request, pk, partial=True)

    @extend_schema(
        responses={204: None},
        summary="Deactivate a product (soft delete: history and reports keep it)",
        tags=["products"],
    )
    def destroy(self, request, pk):
        services.product_deactivate(product=get_object_or_404(Product, pk=pk))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=StockAdjustInputSerializer,
        responses={
            200: StockAdjustmentSerializer,
            **_problem(409, "`insufficient_stock`: the change would take stock below 0."),
        },
        summary="Change stock at one branch (managers: own branch)",
        tags=["stock"],
    )
    @action(
        detail=True,
        methods=["patch"],
        url_path="stock",
        permission_classes=[IsManagerOrAdmin],
        filter_backends=[],
    )
    def stock(self, request, pk):
        product = get_object_or_404(Product.objects.only("id"), pk=pk)
        data = StockAdjustInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        branch = branch_for_write(request.user, fields.pop("branch_id", None))
        adjustment = services.stock_adjust(
            product_id=product.pk, branch=branch, user=request.user, **fields
        )
        answer = {
            "product_id": product.pk,
            "branch_id": branch.pk,
            "old_stock": adjustment.old_stock,
            "new_stock": adjustment.new_stock,
            "movement_id": adjustment.movement.pk if adjustment.movement else None,
            "updated_at": selectors.stock_updated_at(product_id=product.pk, branch_id=branch.pk),
        }
        return Response(StockAdjustmentSerializer(answer).data)


class StockTransferView(APIView):
    permission_classes = [IsManagerOrAdmin]

    @extend_schema(
        request=StockTransferInputSerializer,
        responses={
            201: StockTransferSerializer,
            **_problem(409, "`insufficient_stock`: the source branch has less than `quantity`."),
        },
        summary="Move stock between branches (managers: from their own branch)",
        tags=["stock"],
    )
    def post(self, request):
        data = StockTransferInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        from_branch = branch_for_write(request.user, fields["from_branch_id"])
        to_branch = Branch.objects.filter(pk=fields["to_branch_id"]).first()
        if to_branch is None:
            raise NotFound("Branch not found.")
        if not Product.objects.filter(pk=fields["product_id"]).exists():
            raise NotFound("Product not found.")
        movements = services.stock_transfer(
            product_id=fields["product_id"],
            from_branch=from_branch,
            to_branch=to_branch,
            quantity=fields["quantity"],
            user=request.user,
            note=fields["note"],
        )
        answer = {**fields, "movements": movements}
        return Response(StockTransferSerializer(answer).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["categories"])
class CategoryViewSet(viewsets.GenericViewSet):
    """Everyone reads categories; managers and admins write them."""

    queryset = Category.objects.all()
    serializer_class = CategorySerializer
    permission_classes = [ReadOnlyOrManager]
    lookup_value_regex = UUID_REGEX

    def get_queryset(self):
        return selectors.category_list()

    def _data(self, category_id) -> dict:
        return CategorySerializer(self.get_queryset().get(pk=category_id)).data

    @extend_schema(responses={200: CategorySerializer(many=True)}, summary="List categories")
    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(CategorySerializer(page, many=True).data)

    @extend_schema(responses={200: CategorySerializer}, summary="A category")
    def retrieve(self, request, pk):
        return Response(CategorySerializer(self.get_object()).data)

    @extend_schema(
        request=CategoryInputSerializer,
        responses={201: CategorySerializer},
        summary="Create a category (name unique, case-insensitive)",
    )
    def create(self, request):
        data = CategoryInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        category = services.category_create(**data.validated_data)
        return Response(self._data(category.pk), status=status.HTTP_201_CREATED)

    @extend_schema(
        request=CategoryInputSerializer,
        responses={200: CategorySerializer},
        summary="Rename a category",
    )
    def update(self, request, pk, partial: bool = False):
        category = get_object_or_404(Category, pk=pk)
        data = CategoryInputSerializer(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        services.category_update(category=category, **data.validated_data)
        return Response(self._data(category.pk))

    @extend_schema(
        request=CategoryInputSerializer,
        responses={200: CategorySerializer},
        summary="Rename a category",
    )
    def partial_update(self, request, pk):
        return self.update(request, pk, partial=True)

    @extend_schema(
        responses={204: None, **_problem(409, "`conflict`: products are still in the category.")},
        summary="Delete an empty category",
    )
    def destroy(self, request, pk):
        services.category_delete(category=get_object_or_404(Category, pk=pk))
        return Response(status=status.HTTP_204_NO_CONTENT)
