"""gunicorn settings of ICT Index Portal (docs/deploy.md).

Started by systemd (deploy/ict-index.service) as
``gunicorn --config /srv/ict-index/app/deploy/gunicorn.conf.py``; every value can be changed
from the environment file (/etc/ict-index/env) without editing this file.

The app server listens on loopback only: nginx, on the same machine, is the only client.
An app server keeps no state of its own (sessions and cache in the database and Redis,
files under the shared MEDIA_ROOT), so several of them can run behind one nginx.
"""

import multiprocessing
import os
from pathlib import Path

_env = os.environ.get

# where the project is (this file lives in <project>/deploy/)
chdir = str(Path(__file__).resolve().parent.parent)
wsgi_app = "ict_index.wsgi:application"

# loopback only; GUNICORN_BIND=10.0.0.12:8001 on an app server that nginx reaches over the
# network (then firewall the port to nginx's address)
bind = [b.strip() for b in _env("GUNICORN_BIND", "127.0.0.1:8001").split(",") if b.strip()]

# Sync workers: nginx buffers requests and responses, so a slow client never holds a worker.
# The scoring engine and the Excel readers are CPU-bound: about two workers per core.
workers = int(_env("GUNICORN_WORKERS", str(multiprocessing.cpu_count() * 2 + 1)))
worker_class = "sync"
# A 200 MB workbook is read, checked and imported within one request.
timeout = int(_env("GUNICORN_TIMEOUT", "180"))
graceful_timeout = int(_env("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = 5
# Restart each worker now and then: pandas keeps memory it once needed.
max_requests = int(_env("GUNICORN_MAX_REQUESTS", "1000"))
max_requests_jitter = int(_env("GUNICORN_MAX_REQUESTS_JITTER", "100"))

# Only nginx's X-Forwarded-* headers are believed (Django reads them with BEHIND_PROXY=1).
forwarded_allow_ips = _env("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Logs to stdout/stderr: systemd's journal keeps them (journalctl -u ict-index).
accesslog = _env("GUNICORN_ACCESS_LOG", "-")
errorlog = _env("GUNICORN_ERROR_LOG", "-")
loglevel = _env("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'
proc_name = _env("GUNICORN_PROC_NAME", "ict-index")
# a PID file for scripts that start gunicorn without systemd (deploy/smoke.sh)
pidfile = _env("GUNICORN_PIDFILE") or None
