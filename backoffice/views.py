"""403 and 404 pages: HTML in the admin's style for the back-office, problem+json elsewhere."""

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse

from pospro import views


def _is_back_office(request: HttpRequest) -> bool:
    return request.path.startswith(reverse("admin:index"))


def _page(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    context = {**admin.site.each_context(request), "title": title, "message": message}
    response = TemplateResponse(request, "admin/error.html", context, status=status)
    return response.render()


def permission_denied(request: HttpRequest, exception=None) -> HttpResponse:
    if not _is_back_office(request):
        return views.permission_denied(request, exception)
    return _page(request, 403, "Permission denied", "You may not open this page.")


def not_found(request: HttpRequest, exception=None) -> HttpResponse:
    if not _is_back_office(request):
        return views.not_found(request, exception)
    return _page(request, 404, "Not found", "There is no such page, or it is not yours to see.")
