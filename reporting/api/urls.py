from django.urls import re_path

from reporting.api import views

urlpatterns = [
    re_path(r"^daily/?$", views.DailyReportView.as_view(), name="report-daily"),
    re_path(r"^weekly/?$", views.WeeklyReportView.as_view(), name="report-weekly"),
    re_path(r"^monthly/?$", views.MonthlyReportView.as_view(), name="report-monthly"),
    re_path(r"^products/?$", views.ProductReportView.as_view(), name="report-products"),
    re_path(r"^cashiers/?$", views.CashierReportView.as_view(), name="report-cashiers"),
    re_path(r"^branches/?$", views.BranchReportView.as_view(), name="report-branches"),
    re_path(r"^cash/?$", views.CashReportView.as_view(), name="report-cash"),
]
