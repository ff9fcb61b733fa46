"""The background worker's steps: each app that queues work (register imports, exports, …)
registers one function that does a pass over its pending jobs and returns how many it handled.

`manage.py wangge_run_jobs --loop` (and its older name `wangge_run_imports`) calls every step in
turn; core knows no app, so the steps are installed by the apps' AppConfig.ready().
"""

from __future__ import annotations

from collections.abc import Callable

WORKER_STEPS: dict[str, Callable[[], int]] = {}


def worker_step_register(name: str, step: Callable[[], int]) -> None:
    """Install (or replace) the step called `name`; idempotent, as ready() may run twice."""
    WORKER_STEPS[name] = step


def worker_steps_run() -> dict[str, int]:
    """One pass of every step: {name: jobs handled}."""
    return {name: step() for name, step in sorted(WORKER_STEPS.items())}
