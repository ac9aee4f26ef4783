"""gunicorn for taizhang: ``gunicorn -c deploy/gunicorn.conf.py`` (``make serve``, systemd).

Everything an operator may change comes from the same environment file as the Django
settings (``/etc/taizhang/taizhang.env``, see docs/deploy.md).
"""

import multiprocessing
import os

wsgi_app = "config.wsgi:application"
# config.wsgi runs config.settings.prod unless DJANGO_SETTINGS_MODULE names another
# module, and refuses any module with DEBUG on.

# nginx on the same host talks to this address; never expose it to the network.
bind = [os.environ.get("TAIZHANG_BIND", "127.0.0.1:8000")]
workers = int(os.environ.get("TAIZHANG_WORKERS", min(2 * multiprocessing.cpu_count() + 1, 9)))
worker_class = "gthread"
threads = int(os.environ.get("TAIZHANG_THREADS", "4"))
# Exports and briefings can take a while; nginx's proxy_read_timeout is a little longer.
timeout = int(os.environ.get("TAIZHANG_TIMEOUT", "110"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so a slow leak never becomes an outage.
max_requests = 2000
max_requests_jitter = 200

# X-Forwarded-Proto (the scheme, hence HTTPS redirects and the CSRF origin check) is
# believed only from these peers: the same list the audit trail trusts for the client IP.
forwarded_allow_ips = os.environ.get("TAIZHANG_TRUSTED_PROXIES") or "127.0.0.1,::1"

# "-" is stderr, which systemd's journal keeps; a file is reopened on SIGUSR1 (logrotate).
accesslog = os.environ.get("TAIZHANG_ACCESS_LOG", "-")
errorlog = os.environ.get("TAIZHANG_GUNICORN_LOG", "-")
loglevel = os.environ.get("TAIZHANG_GUNICORN_LOG_LEVEL", "info")
access_log_format = '%({x-forwarded-for}i)s %(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'
proc_name = "taizhang"
# gunicorn >= 25 opens a control socket under $HOME by default; the service is managed by
# systemd (ExecReload sends HUP), and ProtectHome= would refuse the directory anyway.
control_socket_disable = True
