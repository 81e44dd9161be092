#!/usr/bin/env bash
# Exercise the deployment files of deploy/ on this machine (docs/deploy.md, "Checked here"):
#
#   a scratch PostgreSQL database  ←  two gunicorn app servers (deploy/gunicorn.conf.py, on
#   loopback ports 18001 and 18002, the environment file built from deploy/env.example)
#   sharing Redis  ←  Debian's nginx with deploy/nginx-ict-index.conf (both app servers in
#   its upstream, a self-signed certificate, ports 18080/18443)
#
# then deploy/smoke_client.py checks through nginx: home page, HTTP → HTTPS, a leaderboard,
# a static file and its caching headers, sign-in and a session every app server knows, a
# workbook uploaded on one app server and confirmed on the other, the session outliving an
# emptied Redis, sign-out; then one app server is stopped and nginx keeps answering from the
# other. The systemd unit
# is checked with systemd-analyze verify. Everything it started is stopped at the end, the
# scratch database dropped. Installs Debian's nginx when it is missing (apt-get).
#
#   deploy/smoke.sh            (make deploy-smoke)
# Environment: SMOKE_PG (postgres://postgres@127.0.0.1:5432), SMOKE_REDIS
# (redis://127.0.0.1:6379/14), SMOKE_KEEP=1 keeps the scratch folder.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=${PY:-$ROOT/.venv/bin/python}
GUNICORN=$(dirname "$PY")/gunicorn
PG=${SMOKE_PG:-postgres://postgres@127.0.0.1:5432}
REDIS=${SMOKE_REDIS:-redis://127.0.0.1:6379/14}
DB=ict_index_smoke_$$
APP1=18001 APP2=18002 HTTP=18080 HTTPS=18443
WORK=$(mktemp -d /tmp/ict-index-smoke.XXXXXX)
SUDO=$([ "$(id -u)" = 0 ] || echo sudo)

say() { printf '\n== %s\n' "$*"; }

cleanup() {
    status=$?
    say "stopping everything this script started"
    if [ -f "$WORK/nginx/nginx.pid" ]; then
        nginx -p "$WORK/nginx" -c nginx.conf -s quit 2>/dev/null && echo "nginx stopped" || true
    fi
    for n in 1 2; do
        if [ -f "$WORK/app$n.pid" ]; then
            pid=$(cat "$WORK/app$n.pid")
            kill -TERM "$pid" 2>/dev/null && echo "app server $n (gunicorn $pid) stopped" || true
        fi
    done
    sleep 2
    psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" && echo "database $DB dropped"
    redis-cli -u "$REDIS" --scan --pattern 'ict:*' | xargs -r redis-cli -u "$REDIS" del >/dev/null || true
    if [ "${SMOKE_KEEP:-}" = 1 ] || [ $status != 0 ]; then
        echo "logs kept in $WORK"
    else
        rm -rf "$WORK"
    fi
    exit $status
}
trap cleanup EXIT

say "requirements"
if ! command -v nginx >/dev/null; then
    echo "installing Debian's nginx"
    $SUDO apt-get install -y -q nginx >/dev/null
fi
nginx -v 2>&1
"$GUNICORN" --version
psql "$PG/postgres" -Atc "SELECT version()" | cut -d, -f1
redis-cli -u "$REDIS" ping

say "environment file from deploy/env.example"
mkdir -p "$WORK/var/media" "$WORK/static" "$WORK/nginx" "$WORK/tls" "$WORK/acme"
SECRET=$("$PY" -c 'import secrets; print(secrets.token_urlsafe(48))')
set_env() {  # set_env KEY VALUE: replace the example's line (or add it)
    if grep -q "^$1=" "$WORK/env"; then
        sed -i "s#^$1=.*#$1=$2#" "$WORK/env"
    else
        echo "$1=$2" >> "$WORK/env"
    fi
}
cp "$ROOT/deploy/env.example" "$WORK/env"
set_env SECRET_KEY "$SECRET"
set_env ALLOWED_HOSTS localhost
set_env CSRF_TRUSTED_ORIGINS "https://localhost:$HTTPS"
set_env SITE_URL "https://localhost:$HTTPS"
set_env DATABASE_URL "$PG/$DB"
set_env CACHE_URL "$REDIS"
set_env VAR_DIR "$WORK/var"
set_env MEDIA_ROOT "$WORK/var/media"
set_env STATIC_ROOT "$WORK/static"
set_env BACKUP_DIR "$WORK/backups"
set_env EMAIL_BACKEND django.core.mail.backends.console.EmailBackend
set_env GUNICORN_WORKERS 2
grep -v '^#' "$WORK/env" | grep -v '^$' | sed 's/\(SECRET_KEY\|PASSWORD\)=.*/\1=…/'

run_env() {  # run a command with the environment file loaded, as systemd would
    (set -a; . "$WORK/env"; set +a; cd "$ROOT"; "$@")
}

say "database, demo data, static files"
psql "$PG/postgres" -qc "CREATE DATABASE $DB"
run_env "$PY" manage.py migrate --noinput -v0
run_env "$PY" manage.py load_demo > "$WORK/load_demo.log"
head -2 "$WORK/load_demo.log"
run_env "$PY" manage.py collectstatic --noinput -v0
run_env "$PY" manage.py check --deploy --fail-level WARNING
echo "collectstatic: $(find "$WORK/static" -type f | wc -l) files in STATIC_ROOT"
INDICATOR=$(run_env "$PY" manage.py shell -c '
from assessments.demo.plan import OPEN
from assessments.models import Indicator, Period, User
period = Period.objects.get(code=OPEN.code)
cohort = User.objects.get(username="qn-tamky").unit.cohort.code
print(next(i.code for i in Indicator.objects.filter(framework=period.framework,
      value_type__in=["number", "integer"], formula="").order_by("order")
      if i.applies_to_cohort(cohort)))' 2>/dev/null | tail -1)
echo "number indicator of the open period used for the upload: $INDICATOR"

say "two app servers (gunicorn, deploy/gunicorn.conf.py)"
for n in 1 2; do
    port=$([ $n = 1 ] && echo $APP1 || echo $APP2)
    (set -a; . "$WORK/env"; set +a
     export GUNICORN_BIND=127.0.0.1:$port GUNICORN_PIDFILE=$WORK/app$n.pid \
            GUNICORN_PROC_NAME=ict-index-smoke-$n
     cd "$ROOT"; exec setsid "$GUNICORN" --config deploy/gunicorn.conf.py) \
        > "$WORK/app$n.log" 2>&1 &
done
for n in 1 2; do
    port=$([ $n = 1 ] && echo $APP1 || echo $APP2)
    for _ in $(seq 60); do
        code=$(curl -s -o /dev/null -w '%{http_code}' -H 'X-Forwarded-Proto: https' \
               -H 'Host: localhost' "http://127.0.0.1:$port/" || true)
        [ "$code" = 200 ] && break
        sleep 1
    done
    echo "app server $n on 127.0.0.1:$port: HTTP $code (gunicorn pid $(cat "$WORK/app$n.pid"))"
    [ "$code" = 200 ] || { tail -20 "$WORK/app$n.log"; exit 1; }
done

say "nginx with deploy/nginx-ict-index.conf"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
    -addext subjectAltName=DNS:localhost -keyout "$WORK/tls/key.pem" \
    -out "$WORK/tls/cert.pem" 2>/dev/null
# the real site file, with this machine's ports, certificate and paths
sed -e "s/ictindex\.example\.gov\.vn/localhost/g" \
    -e "s#/etc/letsencrypt/live/localhost/fullchain.pem#$WORK/tls/cert.pem#" \
    -e "s#/etc/letsencrypt/live/localhost/privkey.pem#$WORK/tls/key.pem#" \
    -e "s#listen 80;#listen 127.0.0.1:$HTTP;#" -e "/listen \[::\]:80;/d" \
    -e "s#listen 443 ssl http2;#listen 127.0.0.1:$HTTPS ssl http2;#" -e "/listen \[::\]:443/d" \
    -e "s#server 127.0.0.1:8001 #server 127.0.0.1:$APP1 #" \
    -e "s#\# server 10.0.0.12:8001 #server 127.0.0.1:$APP2 #" \
    -e "s#/var/log/nginx/ict-index.access.log#$WORK/nginx/access.log smoke#" \
    -e "s#/var/log/nginx/ict-index.error.log#$WORK/nginx/error.log#" \
    -e "s#/var/www/letsencrypt#$WORK/acme#" \
    "$ROOT/deploy/nginx-ict-index.conf" > "$WORK/nginx/site.conf"
diff -u "$ROOT/deploy/nginx-ict-index.conf" "$WORK/nginx/site.conf" | grep '^[-+] ' || true
cat > "$WORK/nginx/nginx.conf" <<EOF
$([ "$(id -u)" = 0 ] && echo "user root;")
worker_processes 2;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log;
events { worker_connections 256; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    client_body_temp_path $WORK/nginx/body;
    proxy_temp_path $WORK/nginx/proxy;
    fastcgi_temp_path $WORK/nginx/fastcgi;
    uwsgi_temp_path $WORK/nginx/uwsgi;
    scgi_temp_path $WORK/nginx/scgi;
    log_format smoke '\$remote_addr "\$request" \$status \$upstream_addr';
    include $WORK/nginx/site.conf;
}
EOF
nginx -t -p "$WORK/nginx" -c nginx.conf
nginx -p "$WORK/nginx" -c nginx.conf
echo "nginx master $(cat "$WORK/nginx/nginx.pid") on 127.0.0.1:$HTTP and 127.0.0.1:$HTTPS"

say "checks through nginx"
run_env "$PY" "$ROOT/deploy/smoke_client.py" --base "https://localhost:$HTTPS" \
    --plain "http://localhost:$HTTP" --cafile "$WORK/tls/cert.pem" \
    --app "http://127.0.0.1:$APP1" --app "http://127.0.0.1:$APP2" \
    --access-log "$WORK/nginx/access.log" --period MIC-2017 --open-period QNAM-2016 \
    --username qn-tamky --password demo-ict-2026 --indicator "$INDICATOR" --redis "$REDIS"

say "memory of the app servers after the checks"
for n in 1 2; do
    master=$(cat "$WORK/app$n.pid")
    echo "app server $n: master $(ps -o rss= -p "$master" | awk '{printf "%d MiB", $1/1024}'), workers" \
         "$(ps -o rss= --ppid "$master" | awk '{printf "%d MiB ", $1/1024}')"
done

say "one app server stops: nginx sends every request to the other"
pid=$(cat "$WORK/app1.pid")
kill -TERM "$pid"
for _ in $(seq 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
rm -f "$WORK/app1.pid"
codes=""
for _ in $(seq 6); do
    codes="$codes $(curl -s -o /dev/null -w '%{http_code}' --cacert "$WORK/tls/cert.pem" \
                    "https://localhost:$HTTPS/ky/MIC-2017/")"
done
echo "app server 1 stopped; 6 × /ky/MIC-2017/ through nginx:$codes"
[ "$codes" = " 200 200 200 200 200 200" ] || exit 1

say "requests each app server answered (gunicorn access logs)"
for n in 1 2; do
    echo "app server $n: $(grep -c '" [0-9][0-9][0-9] ' "$WORK/app$n.log" || true) requests"
done

if command -v systemd-analyze >/dev/null; then
    say "systemd unit (systemd-analyze verify, install path pointed here)"
    sed -e "s#/srv/ict-index/app/.venv/bin/gunicorn#$GUNICORN#" -e "s#/srv/ict-index/app#$ROOT#g" \
        "$ROOT/deploy/ict-index.service" > "$WORK/ict-index.service"
    systemd-analyze verify "$WORK/ict-index.service" && echo "ict-index.service: no problem found"
fi
say "smoke test passed"
