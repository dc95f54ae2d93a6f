from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.api.serializers import (
    BranchInputSerializer,
    BranchSerializer,
    LoginInputSerializer,
    PasswordChangeInputSerializer,
    RefreshInputSerializer,
    TokenPairSerializer,
    UserRegisterInputSerializer,
    UserSerializer,
)
from accounts.models import Branch
from accounts.permissions import IsManagerOrAdmin, ReadOnlyOrAdmin
from accounts.throttling import LoginEmailThrottle, LoginIPThrottle


class RegisterView(APIView):
    permission_classes = [IsManagerOrAdmin]

    @extend_schema(
        request=UserRegisterInputSerializer,
        responses={201: UserSerializer},
        summary="Register a user (admin: any role; manager: cashiers of own branch)",
        tags=["auth"],
    )
    def post(self, request):
        data = UserRegisterInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_register(actor=request.user, **data.validated_data)
        return Response(UserSerializer(user).data, status=status.HTTP_201_CREATED)


class LoginView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [LoginIPThrottle, LoginEmailThrottle]

    @extend_schema(
        request=LoginInputSerializer,
        responses={200: TokenPairSerializer},
        summary="Log in with email and password",
        tags=["auth"],
    )
    def post(self, request):
        data = LoginInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(services.auth_login(**data.validated_data))


class RefreshView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        request=RefreshInputSerializer,
        responses={200: TokenPairSerializer},
        summary="Exchange a refresh token for a new pair (the old one is revoked)",
        tags=["auth"],
    )
    def post(self, request):
        data = RefreshInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(services.auth_refresh(**data.validated_data))


class LogoutView(APIView):
    @extend_schema(
        request=RefreshInputSerializer,
        responses={204: None},
        summary="Revoke a refresh token",
        tags=["auth"],
    )
    def post(self, request):
        data = RefreshInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.auth_logout(user=request.user, **data.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: UserSerializer}, summary="The current user", tags=["auth"])
    def get(self, request):
        return Response(UserSerializer(request.user).data)


class PasswordView(APIView):
    @extend_schema(
        request=PasswordChangeInputSerializer,
        responses={204: None},
        summary="Change own password; every earlier refresh token is revoked",
        tags=["auth"],
    )
    def post(self, request):
        data = PasswordChangeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.user_change_password(user=request.user, **data.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["branches"])
class BranchViewSet(viewsets.ModelViewSet):
    """Everyone reads branches; only admins create, change or delete them."""

    queryset = Branch.objects.order_by("code", "id")
    serializer_class = BranchSerializer
    permission_classes = [ReadOnlyOrAdmin]
    filterset_fields = ["is_active"]

    @extend_schema(request=BranchInputSerializer, responses={201: BranchSerializer})
    def create(self, request, *args, **kwargs):
        data = BranchInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        branch = services.branch_create(**data.validated_data)
        return Response(BranchSerializer(branch).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=BranchInputSerializer, responses={200: BranchSerializer})
    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        branch = self.get_object()
        data = BranchInputSerializer(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        branch = services.branch_update(branch=branch, **data.validated_data)
        return Response(BranchSerializer(branch).data)

    @extend_schema(request=BranchInputSerializer, responses={200: BranchSerializer})
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    def destroy(self, request, *args, **kwargs):
        services.branch_delete(branch=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
