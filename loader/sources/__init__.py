"""Price sources: where daily bars come from before they are stored."""

from .base import (
    COMPLETE_UNTIL,
    PRICE_COLUMNS,
    FetchError,
    FetchRequest,
    NetworkError,
    PriceSource,
    RateLimitedError,
    TickerNotFoundError,
    empty_price_frame,
)

__all__ = [
    "COMPLETE_UNTIL",
    "PRICE_COLUMNS",
    "FetchError",
    "FetchRequest",
    "NetworkError",
    "PriceSource",
    "RateLimitedError",
    "TickerNotFoundError",
    "empty_price_frame",
]
