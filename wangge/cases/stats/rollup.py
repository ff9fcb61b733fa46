"""Maintained rollups of the case indicators (filled in by the statistics work)."""

from datetime import datetime


def on_event(case, event) -> None:
    """Called by events.record_event for every timeline row, in the same transaction."""


def on_bulk_events(rows: list[tuple[int, str, str, dict]], now: datetime) -> None:
    """Called by the sweep for its bulk (case id, action, state, detail) rows."""
