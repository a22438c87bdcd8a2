"""An offline Yahoo Finance for yfinance: a requests transport adapter that replays recorded data.

``replay_session()`` returns a ``requests.Session`` with ``YahooReplayAdapter``
mounted for every URL. yfinance 1.7 accepts such a session through its public
``yf.Ticker(symbol, session=...)`` argument, so the real yfinance code runs
end to end: cookie, crumb, timezone lookup, chart request, parsing and
adjustment. Nothing leaves the process, and no yfinance name is patched.

The adapter responds to the requests yfinance 1.7 makes for ``Ticker.history``:

* ``GET https://fc.yahoo.com``: HTTP 404 with an ``A3`` cookie, as Yahoo does.
* ``GET https://query{1,2}.finance.yahoo.com/v1/test/getcrumb``: a crumb.
* ``GET https://guce.yahoo.com/consent``: HTTP 404, which makes yfinance's
  second cookie strategy give up quietly.
* ``GET https://query2.finance.yahoo.com/v8/finance/chart/SYMBOL``: the chart
  JSON built from ``fixtures/market`` for ``period1``/``period2`` or
  ``range=1d``, with the AAPL and MSFT splits and dividends as events. Unknown
  symbols get Yahoo's HTTP 404 "No data found, symbol may be delisted".
* ``quoteSummary`` and ``v7/finance/quote`` (the timezone fallback yfinance
  uses for unknown symbols): HTTP 404 and an empty quote list.

Any other URL raises ``requests.ConnectionError``. Faults are injected per
symbol: ``rate_limit`` responds with HTTP 429 and ``disconnect`` raises
``ConnectionError`` for the next chart requests of that symbol.
"""

from __future__ import annotations

import collections
import datetime as dt
import email.utils
import http.client
import io
import json
import threading
import urllib.parse
from dataclasses import dataclass, field

import pandas as pd
import requests
import urllib3
from requests.adapters import HTTPAdapter

from stockloader.sources import FetchRequest
from stockloader.sources.bundled import BundledSource

NEW_YORK = "America/New_York"
# Yahoo stamps a daily bar (and an event) with the exchange's opening time on that day.
MARKET_OPEN = pd.Timedelta(hours=9, minutes=30)
CRUMB = "offlineCrumb01"
EPOCH = pd.Timestamp(0, tz="UTC")

_REASONS = {200: "OK", 404: "Not Found", 429: "Too Many Requests", 503: "Service Unavailable"}


@dataclass
class Fault:
    """A planned failure of one chart request: an HTTP status or a raised exception."""

    status: int | None = None
    error: Exception | None = None


@dataclass
class RecordedRequest:
    """One request the adapter received."""

    method: str
    url: str
    symbol: str | None = None
    params: dict[str, str] = field(default_factory=dict)


class _BytesSocket:
    """Just enough of a socket for ``http.client.HTTPResponse`` to parse a response from bytes."""

    def __init__(self, data: bytes) -> None:
        self._file = io.BytesIO(data)

    def makefile(self, mode: str, *args: object, **kwargs: object) -> io.BytesIO:
        return self._file


class YahooReplayAdapter(HTTPAdapter):
    """Respond to yfinance's Yahoo requests from the recorded data set, as the module docstring lists."""

    def __init__(self, source: BundledSource | None = None, timezones: dict[str, str] | None = None) -> None:
        super().__init__()
        self.source = source or BundledSource()
        # The exchange timezone per symbol. Every recorded symbol trades in New York,
        # and a test may move one elsewhere to check date handling.
        self.timezones = dict(timezones or {})
        self.requests: list[RecordedRequest] = []
        self._faults: dict[str, collections.deque[Fault]] = collections.defaultdict(collections.deque)
        self._lock = threading.Lock()

    # Fault injection.

    def rate_limit(self, symbol: str, times: int) -> None:
        """Respond with HTTP 429 to the next ``times`` chart requests for ``symbol``."""
        with self._lock:
            self._faults[symbol].extend(Fault(status=429) for _ in range(times))

    def disconnect(self, symbol: str, times: int) -> None:
        """Raise ``requests.ConnectionError`` for the next ``times`` chart requests for ``symbol``."""
        with self._lock:
            self._faults[symbol].extend(Fault(error=requests.ConnectionError(f"offline replay: connection to Yahoo reset for {symbol}")) for _ in range(times))

    def chart_requests(self, symbol: str) -> list[RecordedRequest]:
        """Return the chart requests received for ``symbol``, in order."""
        with self._lock:
            return [request for request in self.requests if request.symbol == symbol]

    # Transport.

    def send(self, request: requests.PreparedRequest, stream: bool = False, timeout: object = None, verify: object = True, cert: object = None, proxies: object = None) -> requests.Response:
        url = urllib.parse.urlsplit(request.url)
        params = dict(urllib.parse.parse_qsl(url.query))
        host, path = url.hostname or "", url.path
        symbol = urllib.parse.unquote(path.rsplit("/", 1)[-1]) if path.startswith("/v8/finance/chart/") else None
        with self._lock:
            self.requests.append(RecordedRequest(request.method or "GET", request.url or "", symbol, params))
            fault = self._faults[symbol].popleft() if symbol and self._faults.get(symbol) else None

        if fault is not None and fault.error is not None:
            raise fault.error
        if fault is not None and fault.status is not None:
            return self._respond(request, fault.status, b"Too Many Requests\r\n", "text/plain")

        if host == "fc.yahoo.com":
            expires = email.utils.format_datetime(dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=365), usegmt=True)
            cookie = f"A3=offline-replay-cookie; Expires={expires}; Max-Age=31557600; Domain=.yahoo.com; Path=/; Secure; HttpOnly"
            return self._respond(request, 404, b"<html><body>Not Found</body></html>", "text/html", [("Set-Cookie", cookie)])
        if host.startswith("query") and path == "/v1/test/getcrumb":
            return self._respond(request, 200, CRUMB.encode(), "text/plain")
        if host == "guce.yahoo.com":
            return self._respond(request, 404, b"", "text/html")
        if host.startswith("query") and symbol is not None:
            status, body = self.chart(symbol, params)
            return self._respond(request, status, json.dumps(body).encode(), "application/json")
        if host.startswith("query") and path.startswith("/v10/finance/quoteSummary/"):
            body = {"quoteSummary": {"result": None, "error": {"code": "Not Found", "description": "Quote not found for symbol"}}}
            return self._respond(request, 404, json.dumps(body).encode(), "application/json")
        if host.startswith("query") and path == "/v7/finance/quote":
            return self._respond(request, 200, json.dumps({"quoteResponse": {"result": [], "error": None}}).encode(), "application/json")

        raise requests.ConnectionError(f"offline replay: no response recorded for {request.method} {request.url}")

    def _respond(self, request: requests.PreparedRequest, status: int, body: bytes, content_type: str, extra_headers: list[tuple[str, str]] | None = None) -> requests.Response:
        # Serialize a real HTTP/1.1 response and parse it with http.client, the way
        # urllib3 receives one, so requests extracts headers and cookies normally.
        headers = [("Content-Type", content_type), ("Content-Length", str(len(body))), *(extra_headers or [])]
        head = f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}\r\n" + "".join(f"{name}: {value}\r\n" for name, value in headers) + "\r\n"
        parsed = http.client.HTTPResponse(_BytesSocket(head.encode("latin-1") + body), method=request.method)  # type: ignore[arg-type]
        parsed.begin()
        raw = urllib3.HTTPResponse(
            body=parsed,
            headers=urllib3.HTTPHeaderDict(parsed.getheaders()),
            status=parsed.status,
            reason=parsed.reason,
            preload_content=False,
            original_response=parsed,
            request_method=request.method,
            request_url=request.url,
        )
        return self.build_response(request, raw)

    # Yahoo's chart API.

    def chart(self, symbol: str, params: dict[str, str]) -> tuple[int, dict]:
        """Return the HTTP status and JSON body Yahoo's v8 chart API gives for ``symbol``."""
        if symbol not in self.source.tickers():
            return 404, {"chart": {"result": None, "error": {"code": "Not Found", "description": "No data found, symbol may be delisted"}}}

        tz = self.timezones.get(symbol, NEW_YORK)
        bars = self._bars(symbol, tz)
        if params.get("range") == "1d":
            bars = bars.iloc[-1:]
        else:
            bars = bars[(bars["timestamp"] >= int(params["period1"])) & (bars["timestamp"] < int(params["period2"]))]

        result: dict = {"meta": self._meta(symbol, tz, bars)}
        if bars.empty:
            # Yahoo's response for a known symbol with no bar in the range.
            result["indicators"] = {"quote": [{}], "adjclose": [{}]}
            return 200, {"chart": {"result": [result], "error": None}}

        result["timestamp"] = bars["timestamp"].tolist()
        result["events"] = self._events(bars)
        result["indicators"] = {
            "quote": [{name: bars[name].tolist() for name in ("open", "high", "low", "close", "volume")}],
            "adjclose": [{"adjclose": bars["adj_close"].tolist()}],
        }
        return 200, {"chart": {"result": [result], "error": None}}

    def _bars(self, symbol: str, tz: str) -> pd.DataFrame:
        first, last = self.source.date_range()
        bars = self.source.fetch(FetchRequest(symbol, first, last + dt.timedelta(days=1)))
        opening = (pd.to_datetime(bars["date"]) + MARKET_OPEN).dt.tz_localize(tz)
        # Integer division by one second is exact whatever datetime unit pandas picked.
        return bars.assign(timestamp=(opening - EPOCH) // pd.Timedelta(seconds=1))

    @staticmethod
    def _events(bars: pd.DataFrame) -> dict:
        events: dict[str, dict] = {}
        dividends = bars[bars["dividends"] != 0]
        if not dividends.empty:
            events["dividends"] = {str(ts): {"amount": amount, "date": ts} for ts, amount in zip(dividends["timestamp"].tolist(), dividends["dividends"].tolist())}
        splits = bars[bars["stock_splits"] != 0]
        if not splits.empty:
            events["splits"] = {
                str(ts): {"date": ts, "numerator": ratio, "denominator": 1.0, "splitRatio": f"{ratio:g}:1"}
                for ts, ratio in zip(splits["timestamp"].tolist(), splits["stock_splits"].tolist())
            }
        return events

    @staticmethod
    def _meta(symbol: str, tz: str, bars: pd.DataFrame) -> dict:
        offset = pd.Timestamp.now(tz).utcoffset()
        last_time = int(bars["timestamp"].iloc[-1]) if not bars.empty else 0
        return {
            "currency": "USD",
            "symbol": symbol,
            "exchangeName": "NMS",
            "fullExchangeName": "NasdaqGS",
            "instrumentType": "EQUITY",
            "regularMarketTime": last_time,
            "hasPrePostMarketData": True,
            "gmtoffset": int(offset.total_seconds()) if offset is not None else 0,
            "timezone": pd.Timestamp.now(tz).tzname(),
            "exchangeTimezoneName": tz,
            "priceHint": 2,
            "dataGranularity": "1d",
            "range": "",
            "validRanges": ["1d", "5d", "1mo", "3mo", "6mo", "1y", "2y", "5y", "10y", "ytd", "max"],
        }


def replay_session(adapter: YahooReplayAdapter | None = None) -> requests.Session:
    """Return a ``requests.Session`` whose every request goes to ``adapter``."""
    session = requests.Session()
    adapter = adapter or YahooReplayAdapter()
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session
