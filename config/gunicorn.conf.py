"""gunicorn settings for `make serve`, deploy/systemd and deploy/docker-compose.yml.

Sync workers (DESIGN.md: ~5,000 req/s on 2 cores for a bare view, far above any ASGI server
measured here), 2 × CPU + 1 of them unless WANGGE_WEB_WORKERS says otherwise, bound to
loopback unless WANGGE_BIND says otherwise (the proxy is the only way in). Logs are JSON lines
like Django's (wangge.core.log_format), the access log without query strings.
"""

import multiprocessing
import os

bind = os.environ.get("WANGGE_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WANGGE_WEB_WORKERS") or 2 * multiprocessing.cpu_count() + 1)
worker_class = "sync"
# A slow client is the proxy's problem; a worker held this long by one request is stuck.
timeout = int(os.environ.get("WANGGE_WEB_TIMEOUT", "60"))
graceful_timeout = 30
# Recycle workers now and then so that a slow leak cannot grow without bound.
max_requests = 5000
max_requests_jitter = 500
# X-Forwarded-* are believed from these peers only (the proxy).
forwarded_allow_ips = os.environ.get("WANGGE_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# No gunicornc control socket: its default path is shared by every gunicorn of the user.
control_socket_disable = True

accesslog = "-"
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "wangge.core.log_format.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "stream": "ext://sys.stderr",
        }
    },
    "loggers": {
        "gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "gunicorn.access": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}


def child_exit(server, worker):
    """Prometheus multi-process mode (PROMETHEUS_MULTIPROC_DIR): drop a dead worker's gauges."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
