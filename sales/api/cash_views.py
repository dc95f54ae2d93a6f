"""Registers and cash sessions: thin views over sales.cash."""

import json

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.permissions import IsManagerOrAdmin
from pospro.api.schema import ProblemSerializer
from pospro.exceptions import ValidationFailed
from sales import cash, selectors
from sales.api.cash_serializers import (
    CashMovementInputSerializer,
    CashMovementSerializer,
    CashReportSerializer,
    CashSessionCloseInputSerializer,
    CashSessionOpenInputSerializer,
    CashSessionQuerySerializer,
    CashSessionSerializer,
    RegisterCreateInputSerializer,
    RegisterSerializer,
    RegisterUpdateInputSerializer,
)
from sales.exceptions import SessionOpen
from sales.models import CashMovement, CashSession, CashSessionStatus, Register


def _problem(description: str) -> OpenApiResponse:
    return OpenApiResponse(ProblemSerializer, description=description)


@extend_schema(tags=["cash"])
@extend_schema_view(
    list=extend_schema(
        summary="Registers (cash drawers) of the caller's branch (all branches for admins)",
        description="Ordered by branch and code; `open_session_id` is the register's open "
        "cash session, if any. Every role reads the registers of its scope.",
    ),
    retrieve=extend_schema(summary="One register", description="404 outside the caller's scope."),
)
class RegisterViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = Register.objects.none()  # for the schema; requests use get_queryset
    serializer_class = RegisterSerializer
    lookup_value_regex = "[0-9a-fA-F-]{36}"
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Register.objects.none()
        return selectors.register_queryset(self.request.user).order_by("branch_id", "code", "id")

    def get_permissions(self):
        if self.action in ("create", "partial_update"):
            return [IsManagerOrAdmin()]
        return super().get_permissions()

    def _fresh(self, register):
        return RegisterSerializer(self.get_queryset().get(pk=register.pk)).data

    @extend_schema(
        request=RegisterCreateInputSerializer,
        responses={201: RegisterSerializer},
        summary="Add a register (managers: own branch; admins: any branch)",
        description="`code` is unique per branch: a duplicate answers 400 `validation_error` "
        "(code `unique` on `code`). A manager naming another branch: 403.",
    )
    def create(self, request, *args, **kwargs):
        data = RegisterCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        register = cash.register_create(actor=request.user, **data.validated_data)
        return Response(self._fresh(register), status=status.HTTP_201_CREATED)

    @extend_schema(
        request=RegisterUpdateInputSerializer,
        responses={
            200: RegisterSerializer,
            (409, "application/problem+json"): _problem(
                "`conflict`: deactivating a register whose session is still open."
            ),
        },
        summary="Rename, recode or (de)activate a register",
        description="Managers (own branch) and admins. The branch never changes: sending "
        "another `branch_id` answers 400. An inactive register cannot open a session "
        "(409 `register_inactive`) nor be named by a sale (400 on `register_id`).",
    )
    def partial_update(self, request, *args, **kwargs):
        register = self.get_object()
        branch_id = request.data.get("branch_id") if hasattr(request.data, "get") else None
        if branch_id not in (None, "") and str(branch_id) != str(register.branch_id):
            raise ValidationFailed.field(
                "branch_id", "read_only", "A register never moves to another branch."
            )
        data = RegisterUpdateInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        cash.register_update(actor=request.user, register=register, **data.validated_data)
        return Response(self._fresh(register))


SESSION_CLOSED = _problem("`session_closed`: the session is closed.")
OPERATOR = (
    "The session's opener (`opened_by`), a manager of its branch or an admin; another "
    "cashier: 403. Outside the caller's branch: 404."
)


@extend_schema(tags=["cash"])
@extend_schema_view(
    retrieve=extend_schema(
        summary="One cash session", description="In scope: 404 outside the caller's branch."
    ),
)
class CashSessionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = CashSession.objects.none()  # for the schema; requests use get_queryset
    serializer_class = CashSessionSerializer
    filterset_class = None
    lookup_value_regex = "[0-9a-fA-F-]{36}"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return CashSession.objects.none()
        return selectors.cash_session_queryset(self.request.user)

    @extend_schema(
        parameters=[CashSessionQuerySerializer],
        summary="Cash sessions of the caller's branch (all branches for admins), newest first",
        description="Filters: `register_id`, `status`, and `start_date`/`end_date` on the "
        "business-local day the session was opened (inclusive).",
        filters=False,
    )
    def list(self, request, *args, **kwargs):
        query = CashSessionQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        args = query.validated_data
        sessions = selectors.cash_session_queryset(
            request.user,
            register_id=args.get("register_id"),
            status=args.get("status"),
            start=args.get("start_date"),
            end=args.get("end_date"),
        )
        page = self.paginate_queryset(sessions)
        return self.get_paginated_response(CashSessionSerializer(page, many=True).data)

    @extend_schema(
        request=CashSessionOpenInputSerializer,
        responses={
            201: CashSessionSerializer,
            (409, "application/problem+json"): _problem(
                "`session_already_open`: the register has an open session; "
                "`register_inactive`: the register is inactive."
            ),
        },
        summary="Open a register's drawer with an opening float",
        description="Cashiers (registers of their branch), managers (own branch), admins. "
        "An unknown register, or one outside the caller's branch: 400 `validation_error` "
        "(code `does_not_exist` on `register_id`). One open session per register: two opens "
        "at once, exactly one succeeds.",
    )
    def create(self, request, *args, **kwargs):
        data = CashSessionOpenInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        session = cash.cash_session_open(actor=request.user, **data.validated_data)
        return Response(CashSessionSerializer(session).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        methods=["POST"],
        request=CashMovementInputSerializer,
        responses={
            201: CashMovementSerializer,
            (409, "application/problem+json"): _problem(
                "`session_closed`: the session is closed; `insufficient_cash`: a paid-out above "
                "the cash expected in the drawer now."
            ),
        },
        summary="Pay cash into or out of the drawer (not a sale)",
        description=f"{OPERATOR} The session row is locked, so a paid-out is checked against "
        "the cash expected in the drawer with no sale, refund or other movement of the "
        "session committing meanwhile.",
    )
    @extend_schema(
        methods=["GET"],
        request=None,
        responses={200: CashMovementSerializer(many=True)},
        summary="The session's paid-ins and paid-outs, oldest first",
        description="In scope (404 outside the caller's branch); paginated.",
        filters=False,
    )
    @action(detail=True, methods=["get", "post"])
    def movements(self, request, pk=None):
        session = self.get_object()
        if request.method == "GET":
            page = self.paginate_queryset(
                CashMovement.objects.filter(session=session).order_by("created_at", "id")
            )
            return self.get_paginated_response(CashMovementSerializer(page, many=True).data)
        data = CashMovementInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        movement = cash.cash_movement_create(
            actor=request.user, session_id=session.pk, **data.validated_data
        )
        return Response(CashMovementSerializer(movement).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        responses={200: CashReportSerializer},
        summary="The X report: the session's figures so far (writes nothing)",
        description="In scope. For an open session: z_number, closed_at, counted_cash and "
        "over_short are null. For a closed one, the figures recomputed from its records "
        "(equal to its Z report's, z_number null).",
        filters=False,
    )
    @action(detail=True, methods=["get"], url_path="x-report", pagination_class=None)
    def x_report(self, request, pk=None):
        session = self.get_object()
        report = cash.session_report(session)
        if session.status == CashSessionStatus.CLOSED:
            report.update(closed_at=None, counted_cash=None, over_short=None)
        return Response(json.loads(cash.render_report(report)))

    @extend_schema(
        request=CashSessionCloseInputSerializer,
        responses={
            200: CashReportSerializer,
            (409, "application/problem+json"): SESSION_CLOSED,
        },
        summary="Count the drawer and close the session: the Z report",
        description=f"{OPERATOR} Answers the Z report, stored with the session and answered "
        "unchanged, byte for byte, by GET z-report. Two closes at once: exactly one succeeds, "
        "the other answers 409 `session_closed`. The Z number is the register's next, gap-free. "
        "Sales, refunds and movements of the session in flight finish first and are counted; "
        "later ones naming the register answer 409 `no_open_session`.",
    )
    @action(detail=True, methods=["post"], pagination_class=None)
    def close(self, request, pk=None):
        session = self.get_object()
        data = CashSessionCloseInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        report = cash.cash_session_close(
            actor=request.user,
            session_id=session.pk,
            counted_cash=data.validated_data["counted_cash"],
            note=data.validated_data["note"] or "",
        )
        return Response(report)

    @extend_schema(
        responses={
            200: CashReportSerializer,
            (409, "application/problem+json"): _problem(
                "`session_open`: the session is still open (see x-report)."
            ),
        },
        summary="The Z report of a closed session, as its close answered it",
        description="In scope (404 outside the caller's branch). While the session is open: "
        "409 `session_open`.",
        filters=False,
    )
    @action(detail=True, methods=["get"], url_path="z-report", pagination_class=None)
    def z_report(self, request, pk=None):
        session = self.get_object()
        if session.status != CashSessionStatus.CLOSED:
            raise SessionOpen("The session is still open: its X report shows the figures so far.")
        return Response(json.loads(session.z_report))
