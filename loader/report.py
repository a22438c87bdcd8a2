"""Text for the end-of-load summary and for ``stockloader status``."""

from __future__ import annotations

import datetime as dt

from .pipeline import LoadSummary
from .store import RunRecord, TickerSummary


def format_summary(summary: LoadSummary, database: str) -> str:
    """Return the summary printed at the end of ``stockloader load``."""
    lines = [
        f"Run {summary.run_id}: wrote {summary.rows_written} rows for {_count(len(summary.loaded), 'ticker')} into {database} in {summary.elapsed:.2f} s.",
        f"  loaded ({len(summary.loaded)}): " + (", ".join(f"{ticker} {rows}" for ticker, rows in sorted(summary.loaded.items())) or "none"),
        f"  up to date ({len(summary.up_to_date)}): " + (", ".join(sorted(summary.up_to_date)) or "none"),
        f"  failed ({len(summary.failed)}):" + ("" if summary.failed else " none"),
    ]
    lines.extend(f"    {ticker}: {reason}" for ticker, reason in sorted(summary.failed.items()))
    return "\n".join(lines)


def format_status(database: str, tickers: list[TickerSummary], last_run: RunRecord | None) -> str:
    """Return the report of ``stockloader status``: one line per ticker, the last run and the failures."""
    lines = [f"Database: {database}"]
    if not tickers:
        lines.append("No prices stored yet; run `stockloader load` first.")
    else:
        lines.extend(_ticker_table(tickers))
        total_rows = sum(ticker.rows for ticker in tickers)
        lines.append(f"{_count(len(tickers), 'ticker')}, {_count(total_rows, 'row')}.")

    if last_run is not None:
        lines.append(_describe_run(last_run))

    failed = [ticker for ticker in tickers if ticker.progress is not None and ticker.progress.status == "failed"]
    if failed:
        lines.append(f"Failed in their last attempt ({len(failed)}):")
        for ticker in failed:
            progress = ticker.progress
            lines.append(f"  {ticker.ticker}: {progress.error} (run {progress.run_id}, {_format_time(progress.updated_at)})")
    else:
        lines.append("No ticker failed in its last attempt.")
    return "\n".join(lines)


def _ticker_table(tickers: list[TickerSummary]) -> list[str]:
    header = ("ticker", "first date", "last date", "rows", "progress")
    body = [
        (
            ticker.ticker,
            str(ticker.first_date or "-"),
            str(ticker.last_date or "-"),
            str(ticker.rows),
            ticker.progress.status if ticker.progress else "-",
        )
        for ticker in tickers
    ]
    widths = [max(len(row[column]) for row in [header, *body]) for column in range(len(header))]
    # Text columns are left-aligned and the row count right-aligned.
    return ["  ".join(cell.rjust(width) if column == 3 else cell.ljust(width) for column, (cell, width) in enumerate(zip(row, widths))).rstrip() for row in [header, *body]]


def _describe_run(run: RunRecord) -> str:
    scope = f"{run.source}, {_count(run.tickers_requested, 'ticker')}, {run.start_date} to {run.end_date} exclusive"
    if run.finished_at is None:
        return f"Last run: {run.id} ({scope}), started {_format_time(run.started_at)}, did not finish (killed or still running)."
    return (
        f"Last run: {run.id} ({scope}), {run.status} {_format_time(run.finished_at)}: "
        f"{run.loaded} loaded, {run.up_to_date} up to date, {run.failed} failed, {run.rows_written} rows written."
    )


def _format_time(value: dt.datetime | None) -> str:
    if value is None:
        return "-"
    # SQLite returns the stored UTC time without its timezone.
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
