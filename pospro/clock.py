"""Business-local time: days, hours and order numbers follow POSPRO_TIME_ZONE, never UTC days."""

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def business_tz() -> ZoneInfo:
    return _zone(settings.POSPRO_TIME_ZONE)


def local(moment: datetime) -> datetime:
    return moment.astimezone(business_tz())


def business_today() -> date:
    return local(timezone.now()).date()


#: The earliest business day any date parameter may name: earlier dates are typing mistakes or
#: probes, and reading back to year 1 took minutes and a cache key per day.
EARLIEST_DAY = date(2000, 1, 1)


def latest_day() -> date:
    """The latest business day a date parameter may name: the end of next year (business-local)."""
    return date(business_today().year + 1, 12, 31)


def day_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """[start, end) in UTC-aware datetimes covering business days first..last inclusive."""
    zone = business_tz()
    start = datetime.combine(first, time.min, tzinfo=zone)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone)
    return start, end


def resolve_period(start: date | None, end: date | None) -> tuple[date, date]:
    """A filter's (start, end): both missing -> today; one missing -> that single day, or from
    start up to today."""
    today = business_today()
    if start is None and end is None:
        return today, today
    if start is None:
        return end, end
    if end is None:
        return start, max(start, today)
    return start, end
