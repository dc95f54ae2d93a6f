"""Business-day inputs shared by the reports and the customer statements: days from
EARLIEST_DAY to the end of next year, and periods of at most POSPRO_REPORT_MAX_DAYS days, so
one request reads a bounded number of days."""

from datetime import date

from django.conf import settings
from rest_framework import serializers

from pospro.clock import EARLIEST_DAY, latest_day


class BusinessDayField(serializers.DateField):
    """A business day from EARLIEST_DAY to the end of next year: a bounded number of days to
    read, and comparison periods (a week or a month before) that stay computable."""

    def to_internal_value(self, value) -> date:
        day = super().to_internal_value(value)
        if not EARLIEST_DAY <= day <= latest_day():
            raise serializers.ValidationError(
                f"Must be between {EARLIEST_DAY} and {latest_day()}.", code="out_of_range"
            )
        return day


def check_period(start: date, end: date, given: dict) -> None:
    """Refuse start..end (defaults applied) when it runs backwards or is longer than the limit.
    `given` is what the caller sent: an end_date defaulted to today is start_date's fault."""
    if start > end:
        raise serializers.ValidationError({"end_date": "Must not be before start_date."})
    limit = settings.POSPRO_REPORT_MAX_DAYS
    span = (end - start).days + 1
    if span > limit:
        field = "end_date" if "end_date" in given else "start_date"
        raise serializers.ValidationError(
            {
                field: serializers.ErrorDetail(
                    f"A period spans at most {limit} days; this one spans {span}.",
                    code="period_too_long",
                )
            }
        )
