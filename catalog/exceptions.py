from pospro.exceptions import Conflict


class InsufficientStock(Conflict):
    """Raised with one entry in `errors` per short line, so the till can show all of them."""

    code = "insufficient_stock"
    title = "Insufficient stock"
