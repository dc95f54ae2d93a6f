"""Main URLs plus views that fail on purpose, to test the 500 answers."""

from django.urls import path
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny

from pospro.urls import urlpatterns as base_urlpatterns


@api_view(["GET"])
@permission_classes([AllowAny])
def api_boom(request):
    raise RuntimeError("SELECT secret FROM vault -- must never leak")


def django_boom(request):
    raise RuntimeError("SELECT secret FROM vault -- must never leak")


urlpatterns = [
    path("api/v1/boom", api_boom),
    path("boom", django_boom),
    *base_urlpatterns,
]
