"""The former name of `wangge_run_jobs`, kept because deployments and `make demo` start it:
it runs every background job (register imports and exports), not only imports.

See wangge/core/management/commands/wangge_run_jobs.py.
"""

from wangge.core.management.commands.wangge_run_jobs import Command as RunJobs


class Command(RunJobs):
    help = "Work queued background jobs (imports, exports); the old name of wangge_run_jobs."
