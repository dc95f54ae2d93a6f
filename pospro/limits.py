"""The ranges of the database columns that API input lands in, so a serializer refuses with a 400
what PostgreSQL would refuse with an error (a 500) or, through a bound parameter, store wrapped."""

from decimal import Decimal

#: PostgreSQL `integer` (Django's IntegerField; PositiveIntegerField adds >= 0).
INT_MIN = -(2**31)
INT_MAX = 2**31 - 1

#: The largest amount a DecimalField(max_digits=12, decimal_places=2) holds.
MAX_AMOUNT = Decimal("9999999999.99")
