#!/usr/bin/env bash
# Exercise deploy/ on this machine: gunicorn with deploy/gunicorn.conf.py behind nginx
# with deploy/nginx/*.conf, once with HTTPS on (self-signed certificate) and once as a
# plain-HTTP intranet, then curl the login page, a static file, /healthz and a login.
#
# Not part of `make test`. Needs nginx (`apt-get install -y nginx`) and openssl; uses
# PostgreSQL when it answers on 127.0.0.1:5432 as user postgres (TRY_DB=sqlite to skip).
# Everything lives under var/try-deploy/ and the processes it starts are stopped at exit;
# the system nginx service and its configuration are not touched.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
WORK=$ROOT/var/try-deploy
APP_PORT=${TRY_APP_PORT:-18000}
HTTP_PORT=${TRY_HTTP_PORT:-18080}
HTTPS_PORT=${TRY_HTTPS_PORT:-18443}
PY=$ROOT/.venv/bin/python
PASSWORD='Try-Deploy-2026!'

command -v nginx >/dev/null || { echo "nginx is missing: apt-get install -y nginx" >&2; exit 1; }
rm -rf "$WORK"
mkdir -p "$WORK"/{nginx,ssl,log,data,tmp}

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -f "$WORK/nginx/nginx.pid" ] && kill "$(cat "$WORK/nginx/nginx.pid")" 2>/dev/null || true
}
trap cleanup EXIT

step() { printf '\n== %s ==\n' "$*"; }

step "environment file (from deploy/taizhang.env)"
db_url=""
if [ "${TRY_DB:-auto}" != sqlite ] && pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  # As docs/deploy.md: a role of its own with a password, a database it owns.
  psql -h 127.0.0.1 -U postgres -q -v ON_ERROR_STOP=1 <<'SQL'
DROP DATABASE IF EXISTS taizhang_try;
DROP ROLE IF EXISTS taizhang_try;
CREATE ROLE taizhang_try LOGIN PASSWORD 'try-deploy-db';
CREATE DATABASE taizhang_try OWNER taizhang_try ENCODING 'UTF8' TEMPLATE template0;
SQL
  db_url="postgresql://taizhang_try:try-deploy-db@127.0.0.1:5432/taizhang_try"
fi
secret=$($PY -c 'import secrets; print(secrets.token_urlsafe(50))')
audit=$($PY -c 'import secrets; print(secrets.token_urlsafe(32))')
data=$($PY -c 'import secrets; print(secrets.token_urlsafe(32))')
# The repository's file with this machine's values, exactly as an operator edits it.
sed -e "s|^TAIZHANG_SECRET_KEY=.*|TAIZHANG_SECRET_KEY=$secret|" \
    -e "s|^TAIZHANG_AUDIT_KEYS=.*|TAIZHANG_AUDIT_KEYS=1:$audit|" \
    -e "s|^TAIZHANG_DATA_KEYS=.*|TAIZHANG_DATA_KEYS=1:$data|" \
    -e "s|^TAIZHANG_DATABASE_URL=.*|TAIZHANG_DATABASE_URL=$db_url|" \
    -e "s|^TAIZHANG_ALLOWED_HOSTS=.*|TAIZHANG_ALLOWED_HOSTS=127.0.0.1,localhost|" \
    -e "s|^TAIZHANG_CSRF_TRUSTED_ORIGINS=.*|TAIZHANG_CSRF_TRUSTED_ORIGINS=https://127.0.0.1:$HTTPS_PORT,http://127.0.0.1:$HTTP_PORT|" \
    -e "s|/var/lib/taizhang|$WORK/data|g" \
    -e "s|/var/log/taizhang|$WORK/log|g" \
    -e "s|^TAIZHANG_BIND=.*|TAIZHANG_BIND=127.0.0.1:$APP_PORT|" \
    -e "s|^TAIZHANG_WORKERS=.*|TAIZHANG_WORKERS=2|" \
    deploy/taizhang.env >"$WORK/taizhang.env"
echo "database: ${db_url:-SQLite under $WORK/data}"

load_env() {  # what systemd's EnvironmentFile= does
  set -a
  # shellcheck disable=SC1091
  . "$WORK/taizhang.env"
  set +a
  export TAIZHANG_HTTPS=$1
  unset DJANGO_SETTINGS_MODULE
}

step "migrate, collectstatic, check --deploy (production settings, the console command)"
(
  load_env on
  $PY -m taizhang migrate --no-input -v 0
  $PY -m taizhang collectstatic --no-input -v 0
  $PY -m taizhang check --deploy --fail-level WARNING
  # A user who may log in (taizhang setup creates the real administrators).
  $PY -m taizhang shell -c "
from taizhang.accounts.models import User
User.objects.create_user(username='trydeploy', password='$PASSWORD', must_change_password=False)
print('user trydeploy created')"
)

step "self-signed certificate"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
  -addext "subjectAltName=IP:127.0.0.1" \
  -keyout "$WORK/ssl/privkey.pem" -out "$WORK/ssl/fullchain.pem" 2>/dev/null
echo "$WORK/ssl/fullchain.pem"

start_gunicorn() {
  (
    load_env "$1"
    cd "$ROOT"
    exec "$ROOT/.venv/bin/gunicorn" -c deploy/gunicorn.conf.py
  ) &
  pids+=($!)
  for _ in $(seq 1 60); do
    curl -s -o /dev/null "http://127.0.0.1:$APP_PORT/healthz" && return 0
    sleep 0.5
  done
  echo "gunicorn did not start; see $WORK/log" >&2
  exit 1
}

stop_gunicorn() {
  local pid=${pids[-1]}
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  unset 'pids[-1]'
}

start_nginx() {  # $1: deploy/nginx/taizhang.conf or deploy/nginx/taizhang-http.conf
  sed -e "s|/var/lib/taizhang|$WORK/data|g" \
      -e "s|127.0.0.1:8000|127.0.0.1:$APP_PORT|" \
      -e "s|listen 80;|listen 127.0.0.1:$HTTP_PORT;|" \
      -e "s|listen 443 ssl http2;|listen 127.0.0.1:$HTTPS_PORT ssl http2;|" \
      -e "/listen \[::\]/d" \
      -e "s|return 301 https://\$host\$request_uri;|return 301 https://\$host:$HTTPS_PORT\$request_uri;|" \
      -e "s|/etc/ssl/taizhang|$WORK/ssl|g" \
      -e "s|/var/log/nginx|$WORK/log|g" \
      -e "s|/etc/nginx/snippets/taizhang-locations.conf|$WORK/nginx/taizhang-locations.conf|" \
      "$1" >"$WORK/nginx/site.conf"
  sed -e "s|/var/lib/taizhang|$WORK/data|g" deploy/nginx/taizhang-locations.conf \
    >"$WORK/nginx/taizhang-locations.conf"
  cat >"$WORK/nginx/nginx.conf" <<EOF
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $WORK/log/nginx-main.error.log;
events { worker_connections 256; }
http {
  include /etc/nginx/mime.types;
  client_body_temp_path $WORK/tmp/body;
  proxy_temp_path $WORK/tmp/proxy;
  fastcgi_temp_path $WORK/tmp/fastcgi;
  uwsgi_temp_path $WORK/tmp/uwsgi;
  scgi_temp_path $WORK/tmp/scgi;
  include $WORK/nginx/site.conf;
}
EOF
  nginx -t -q -c "$WORK/nginx/nginx.conf"
  nginx -c "$WORK/nginx/nginx.conf"
  sleep 0.5
}

stop_nginx() {
  kill "$(cat "$WORK/nginx/nginx.pid")"
  sleep 0.5
}

show() {  # label, curl arguments...: print the status line and the interesting headers
  local label=$1
  shift
  printf '%-44s ' "$label"
  curl -s -o /dev/null -w '%{http_code} %{content_type} %{redirect_url}\n' "$@"
}

login() {  # base URL: GET the form, POST it with the CSRF token, print the answer
  # From 127.0.0.5, a "client" that is not the trusted proxy (127.0.0.1), with a forged
  # X-Forwarded-For: the audit trail must record 127.0.0.5.
  local base=$1 jar=$WORK/tmp/cookies.$RANDOM
  curl -sk --interface 127.0.0.5 -c "$jar" -o "$WORK/tmp/login.html" "$base/accounts/login/"
  local token
  token=$(awk '$6 == "csrftoken" {print $7}' "$jar")
  printf '%-44s ' "POST $base/accounts/login/"
  curl -sk --interface 127.0.0.5 -b "$jar" -c "$jar" -o /dev/null \
    -w '%{http_code} -> %{redirect_url}\n' -H "X-Forwarded-For: 6.6.6.6" \
    -H "Referer: $base/accounts/login/" -H "Origin: $base" \
    --data-urlencode "username=trydeploy" --data-urlencode "password=$PASSWORD" \
    --data-urlencode "csrfmiddlewaretoken=$token" "$base/accounts/login/"
  printf '%-44s ' "GET $base/ (signed in)"
  curl -sk -b "$jar" -o /dev/null -w '%{http_code}\n' "$base/"
  printf '%-44s %s\n' "cookies (name secure)" \
    "$(awk 'NF >= 7 && ($1 !~ /^#/ || $1 ~ /^#HttpOnly_/) {printf "%s %s; ", $6, $4}' "$jar")"
}

assets() {  # every stylesheet and script the login page links to, through nginx
  local base=$1 url
  for url in $(curl -sk "$base/accounts/login/" | grep -o '/static/[^"]*' | sort -u); do
    show "GET …$url" -k "$base$url"
  done
}

step "HTTPS on: deploy/nginx/taizhang.conf"
start_gunicorn on
start_nginx deploy/nginx/taizhang.conf
show "GET http://…/accounts/login/" "http://127.0.0.1:$HTTP_PORT/accounts/login/"
show "GET http://…/healthz (probe stays on HTTP)" "http://127.0.0.1:$HTTP_PORT/healthz"
show "GET https://…/accounts/login/" -k "https://127.0.0.1:$HTTPS_PORT/accounts/login/"
assets "https://127.0.0.1:$HTTPS_PORT"
show "GET https://…/media/ (never served)" -k "https://127.0.0.1:$HTTPS_PORT/media/x"
printf '%-44s %s\n' "GET https://…/healthz" \
  "$(curl -sk "https://127.0.0.1:$HTTPS_PORT/healthz")"
printf '%-44s %s\n' "HSTS" "$(curl -sk -D - -o /dev/null "https://127.0.0.1:$HTTPS_PORT/accounts/login/" \
  | tr -d '\r' | grep -i '^strict-transport-security' || echo none)"
login "https://127.0.0.1:$HTTPS_PORT"
stop_nginx
stop_gunicorn

step "HTTPS off (plain-HTTP intranet): deploy/nginx/taizhang-http.conf"
start_gunicorn off
start_nginx deploy/nginx/taizhang-http.conf
show "GET http://…/accounts/login/" "http://127.0.0.1:$HTTP_PORT/accounts/login/"
assets "http://127.0.0.1:$HTTP_PORT"
printf '%-44s %s\n' "GET http://…/healthz" "$(curl -s "http://127.0.0.1:$HTTP_PORT/healthz")"
login "http://127.0.0.1:$HTTP_PORT"
stop_nginx
stop_gunicorn

step "audit trail: the addresses recorded for the logins (client, not nginx)"
(
  load_env off
  $PY -m taizhang shell -c "
from taizhang.core.models import AuditEvent
for e in AuditEvent.objects.order_by('id'):
    print(e.id, e.action, e.actor_name, e.ip)"
  $PY -m taizhang audit verify
)

step "backup, drop the database, restore (taizhang backup / taizhang restore)"
(
  load_env off
  $PY -m taizhang backup -o "$WORK/data/backups/try.tar.gz"
  if [ -n "$db_url" ]; then
    psql -h 127.0.0.1 -U postgres -q -v ON_ERROR_STOP=1 \
      -c 'DROP DATABASE taizhang_try' -c 'CREATE DATABASE taizhang_try OWNER taizhang_try'
  else
    rm -f "$WORK/data/taizhang.sqlite3"*
  fi
  echo "database dropped and created empty"
  $PY -m taizhang restore "$WORK/data/backups/try.tar.gz"
  $PY -m taizhang audit verify
)

step "logs"
ls -l "$WORK/log"
tail -n 3 "$WORK/log/access.log"
echo
echo "try-deploy: done"
