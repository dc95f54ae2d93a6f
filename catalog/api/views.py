"""Catalog endpoints: products, stock, categories (shared/API.md, Products and Branches/categories).

Product reads (list, detail, barcode, low stock) are cached as rendered JSON, keyed by the
catalog version counters plus everything else that changes the answer: whether the caller sees
`cost_price`, the context branch, and the query. Writes bump the counters on commit.
"""

from uuid import UUID

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django_filters.utils import translate_validation
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
from catalog.api import fast
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
from catalog.cache import CATALOG_VERSION_KEY, product_version_key, read_through
from catalog.filtersets import ProductFilterSet
from catalog.models import Category, Product
from pospro.api.pagination import page_params
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


def _json(content: bytes, status_code: int = 200) -> HttpResponse:
    return HttpResponse(content, status=status_code, content_type="application/json")


def _render(data) -> bytes:
    return JSONRenderer().render(data)


def _sees_cost(user) -> bool:
    return user.role != Role.CASHIER


def _read_context(user, query_params) -> tuple[UUID | None, bool]:
    """The context branch and whether the caller sees cost prices: both part of a cache key."""
    return selectors.context_branch_id(user, query_params.get("branch_id")), _sees_cost(user)


def list_bytes(user, query_params) -> bytes:
    """GET /products, rendered (DRF view and lean view alike)."""
    branch_id, show_cost = _read_context(user, query_params)
    skip, limit = page_params(query_params)
    query = sorted(query_params.lists())

    def products():
        # Built (and the filters validated) only when this request shape is compiled.
        filterset = ProductFilterSet(
            data=query_params, queryset=selectors.products_with_stock(branch_id=branch_id)
        )
        if not filterset.is_valid():
            raise translate_validation(filterset.errors)
        return filterset.qs

    def compute() -> bytes:
        shape = (branch_id, tuple((k, tuple(v)) for k, v in query))
        rows = fast.sql_cache.rows(
            ("page", *shape), lambda: products()[skip : skip + limit].values(*fast.FIELDS)
        )
        total = selectors.unfiltered_list_total(query_params)
        if total is None:
            total = fast.sql_cache.count(("count", *shape), products)
        return fast.render_page(rows, total=total, skip=skip, limit=limit, show_cost=show_cost)

    return read_through("list", [CATALOG_VERSION_KEY], (show_cost, branch_id, query), compute)


def _or_404(render, missing: str):
    """`render` (bytes, or None when nothing matches) as a cache computation that answers 404."""

    def compute() -> bytes:
        body = render()
        if body is None:
            raise NotFound(missing)
        return body

    return compute


def detail_bytes(user, pk, query_params) -> bytes:
    """GET /products/{id}, rendered (DRF view and lean view alike)."""
    product_id = UUID(str(pk))  # one spelling per product, or a cached entry would escape bumps
    branch_id, show_cost = _read_context(user, query_params)

    def compute() -> bytes:
        return fast.render_detail(product_id, branch_id=branch_id, show_cost=show_cost)

    return read_through(
        "detail",
        [product_version_key(product_id)],
        (product_id, show_cost, branch_id),
        _or_404(compute, "Product not found."),
    )


def barcode_bytes(user, barcode: str, query_params) -> bytes:
    """GET /products/barcode/{barcode}, rendered (DRF view and lean view alike)."""
    branch_id, show_cost = _read_context(user, query_params)

    def compute() -> bytes:
        return fast.render_barcode(barcode, branch_id=branch_id, show_cost=show_cost)

    return read_through(
        "barcode",
        [CATALOG_VERSION_KEY],
        (show_cost, branch_id, barcode),
        _or_404(compute, "No active product has this barcode."),
    )


class ProductViewSet(viewsets.GenericViewSet):
    """Everyone reads the catalog; managers and admins write it; stock changes are per branch."""

    queryset = Product.objects.all()
    serializer_class = ProductSerializer
    permission_classes = [ReadOnlyOrManager]
    filterset_class = ProductFilterSet
    lookup_value_regex = UUID_REGEX

    # --- helpers ------------------------------------------------------------------------------

    def _context_branch(self) -> UUID | None:
        return _read_context(self.request.user, self.request.query_params)[0]

    def _show_cost(self) -> bool:
        return _sees_cost(self.request.user)

    def _detail_data(self, product_id: UUID, branch_id: UUID | None) -> dict:
        product = get_object_or_404(
            selectors.products_with_stock(branch_id=branch_id), pk=product_id
        )
        product.stock_by_branch = selectors.product_stock_by_branch(product_id=product.pk)
        return ProductDetailSerializer(product, context={"show_cost": self._show_cost()}).data

    # --- reads --------------------------------------------------------------------------------

    @extend_schema(
        parameters=[BRANCH_PARAM],
        responses={200: ProductSerializer(many=True)},
        summary="List products (filters, ordering, pagination)",
        tags=["products"],
    )
    def list(self, request):
        return _json(list_bytes(request.user, request.query_params))

    @extend_schema(
        parameters=[BRANCH_PARAM],
        responses={200: ProductDetailSerializer},
        summary="A product with its stock per branch",
        tags=["products"],
    )
    def retrieve(self, request, pk):
        return _json(detail_bytes(request.user, pk, request.query_params))

    @extend_schema(
        parameters=[BRANCH_PARAM],
        responses={200: ProductSerializer},
        summary="Scan lookup: the active product with this exact barcode",
        tags=["products"],
    )
    @action(detail=False, url_path=r"barcode/(?P<barcode>[^/]+)", filter_backends=[])
    def barcode(self, request, barcode: str):
        return _json(barcode_bytes(request.user, barcode, request.query_params))

    @extend_schema(
        parameters=[
            BRANCH_PARAM,
            OpenApiParameter(
                "threshold",
                OpenApiTypes.INT,
                description="List stock <= this; default each product's critical_stock_level.",
            ),
        ],
        responses={
            200: LowStockSerializer,
            **_problem(400, "`validation_error`: `threshold` or `branch_id` malformed."),
        },
        summary="Active products at or below their critical level, most short first",
        tags=["products"],
    )
    @action(detail=False, url_path="low-stock", filter_backends=[], pagination_class=None)
    def low_stock(self, request):
        params = LowStockParamsSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        threshold = params.validated_data.get("threshold")
        branch_id = self._context_branch()

        def compute() -> bytes:
            items = selectors.low_stock(branch_id=branch_id, threshold=threshold)
            return _render(LowStockSerializer({"total_low_stock": len(items), "items": items}).data)

        return _json(
            read_through("low-stock", [CATALOG_VERSION_KEY], (branch_id, threshold), compute)
        )

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
    @action(detail=True, permission_classes=[IsManagerOrAdmin], filter_backends=[])
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
        branch_id = self._context_branch()
        data = ProductCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        product = services.product_create(user=request.user, **data.validated_data)
        return Response(self._detail_data(product.pk, branch_id), status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[BRANCH_PARAM],
        request=ProductUpdateInputSerializer,
        responses={200: ProductDetailSerializer},
        summary="Update a product: name and price required, omitted fields kept; stock read-only",
        tags=["products"],
    )
    def update(self, request, pk, partial: bool = False):
        branch_id = self._context_branch()
        product = get_object_or_404(Product, pk=pk)
        data = ProductUpdateInputSerializer(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        services.product_update(product=product, context_branch_id=branch_id, **data.validated_data)
        return Response(self._detail_data(product.pk, branch_id))

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
