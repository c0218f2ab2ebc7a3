#!/usr/bin/env bash
# External scan: wapiti (Debian package) against the running application, on loopback only.
#
#   bench/scan.sh [DATABASE_NAME]        default: barometre_scan (a scratch database: it is
#                                        migrated, the 2025 edition is opened, scanner input
#                                        is saved into it)
#
# The application runs as in production: gunicorn, DJANGO_DEBUG=0, DJANGO_SECURE on (HTTPS
# only, HSTS, secure cookies), TLS served by gunicorn itself with a throw-away self-signed
# certificate on 127.0.0.1. The whole scan runs in a private network namespace
# (`unshare --net`) that has nothing but loopback: neither wapiti nor the application can reach
# any other address (PostgreSQL is reached through its unix socket). Wapiti is given a
# respondent's resume cookie so that it crawls and attacks the questionnaire pages too.
#
# Output in bench/out/scan/: report.json (wapiti), summary.txt (findings, status codes seen),
# check-deploy.txt, access.log and error.log (gunicorn). Findings are analysed in docs/security.md.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

if [[ "${1:-}" != "--inside-namespace" ]]; then
  command -v wapiti >/dev/null || { echo "wapiti is missing: apt-get install -y wapiti" >&2; exit 2; }
  exec unshare --net "$0" --inside-namespace "$@"
fi
shift
ip link set lo up

DB="${1:-barometre_scan}"
SOCKET="${PGSOCKET:-/var/run/postgresql}"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
PORT=8443
BASE="https://127.0.0.1:$PORT"
OUT="$ROOT/bench/out/scan"
CRAWL_SECONDS="${CRAWL_SECONDS:-300}"    # exploring the site
ATTACK_SECONDS="${ATTACK_SECONDS:-300}"  # each attack module
rm -rf "$OUT" && mkdir -p "$OUT"

export DATABASE_URL="postgres://${PGUSER:-$(whoami)}@${SOCKET//\//%2F}/$DB"
export DJANGO_SETTINGS_MODULE=barometre.settings
export DJANGO_DEBUG=0
SECRET_KEY=$("$PYTHON" -c 'import secrets; print(secrets.token_urlsafe(50))')
export SECRET_KEY
export ALLOWED_HOSTS=127.0.0.1
unset DJANGO_SECURE DJANGO_SSL_REDIRECT  # production defaults: HTTPS only
# Mail goes through SMTP as in production, to a local sink that keeps it in a file.
export EMAIL_HOST=127.0.0.1 EMAIL_PORT=2525 EMAIL_USE_TLS=0
"$PYTHON" bench/smtp_sink.py "$EMAIL_PORT" "$OUT/mail.log" &
SINK=$!
trap 'kill "$SINK"' EXIT

createdb -h "$SOCKET" "$DB" 2>/dev/null || true
"$PYTHON" manage.py migrate --noinput -v0
"$PYTHON" manage.py load_questionnaire questionnaires/2023.toml questionnaires/2025.toml >/dev/null
"$PYTHON" manage.py set_edition_dates --year 2025 \
  --opens-at "$(date -u -d '-30 days' +%Y-%m-%dT%H:%M:%S+00:00)" \
  --closes-at "$(date -u -d '+30 days' +%Y-%m-%dT%H:%M:%S+00:00)"
"$PYTHON" manage.py collectstatic --noinput -v0
"$PYTHON" manage.py check --deploy >"$OUT/check-deploy.txt" 2>&1 || true

# A respondent whose resume cookie wapiti carries, so that the questionnaire is in reach.
TOKEN=$("$PYTHON" manage.py shell -v0 -c "
from survey.collection.models import Respondent, Response
from survey.questionnaire.models import Edition
response = Response.objects.create(edition=Edition.objects.current())
print(Respondent.create_for(response)[1])")
# A CSRF cookie from the start: wapiti crawls in parallel, and pages fetched before it held one
# would each set a different secret, leaving it forms whose tokens no longer match.
CSRF=$("$PYTHON" -c 'import secrets, string
print("".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32)))')
cat >"$OUT/cookies.json" <<EOF
{"127.0.0.1": {"/": {
 "barometre_reprise": {"value": "$TOKEN", "version": 0, "secure": true, "expires": null, "port": null},
 "csrftoken": {"value": "$CSRF", "version": 0, "secure": true, "expires": null, "port": null}}}}
EOF

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
  -addext "subjectAltName=IP:127.0.0.1" \
  -keyout "$OUT/key.pem" -out "$OUT/cert.pem" 2>/dev/null

"$PYTHON" -m gunicorn barometre.wsgi:application --bind "127.0.0.1:$PORT" \
  --certfile "$OUT/cert.pem" --keyfile "$OUT/key.pem" \
  --workers 2 --threads 4 --worker-class gthread --no-control-socket --timeout 60 \
  --access-logfile "$OUT/access.log" --error-logfile "$OUT/error.log" 2>"$OUT/django.log" &
SERVER=$!
trap 'kill "$SERVER" "$SINK" 2>/dev/null; wait "$SERVER" 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  curl -skf "$BASE/healthz" >/dev/null && break
  sleep 0.2
done
curl -skf "$BASE/healthz" >/dev/null || { echo "gunicorn did not start" >&2; exit 1; }

STARTS=()
for path in / /confidentialite/ /reprendre/ /questionnaire/lien/ /questionnaire/recapitulatif/ \
  /questionnaire/envoye/ \
  $("$PYTHON" manage.py shell -v0 -c "
from survey.questionnaire.models import Edition
print(' '.join(f'/questionnaire/{s.slug}/' for s in Edition.objects.current().sections.all()))"); do
  STARTS+=(-s "$BASE$path")
done

# Django's admin is not given as a starting point (no public page links to it): its login
# hashes a password on every attempt (about a second of CPU), so each module would spend its
# whole time there; it is Django's own code, behind django-axes and two-factor authentication.
# (`-x` cannot keep it out: Debian's wapiti 3.0.4 crashes on any exclusion under Python 3.11.)
# The CSRF token itself is not worth attacking.
# Default modules, minus ssrf (it needs an outside endpoint; the application never fetches a
# URL it is given), plus the ones that fit a form-based application. Not shellshock: there is
# no CGI nor shell behind the application, and its payload, sent as the Cookie header, makes
# the server hand out a new CSRF cookie, after which every later module's POST is refused.
MODULES="common,-ssrf,crlf,csrf,methods,backup,htaccess"
LIMIT=$((CRAWL_SECONDS + 15 * ATTACK_SECONDS + 600))  # 15 modules; the margin lets it report
echo "Scanning $BASE for at most $LIMIT s (modules: $MODULES)…"
timeout "$LIMIT" wapiti -u "$BASE/" --scope folder "${STARTS[@]}" \
  --skip csrfmiddlewaretoken \
  -c "$OUT/cookies.json" -m "$MODULES" --level 1 \
  --max-scan-time "$CRAWL_SECONDS" --max-attack-time "$ATTACK_SECONDS" --timeout 20 \
  --flush-session --store-session "$OUT/session" --store-config "$OUT/config" \
  --endpoint "https://127.0.0.1:9/" --no-bugreport --verify-ssl 0 \
  -f json -o "$OUT/report.json" -v 1 >"$OUT/wapiti.log" 2>&1 || echo "wapiti exited with $?"

# wapiti looks for CSRF tokens under names Django does not use (csrfmiddlewaretoken): check
# directly that every form of the application refuses a POST without its token.
for path in /commencer/ /reprendre/ /questionnaire/profil/ /questionnaire/recapitulatif/ \
  /admin/login/; do
  status=$(curl -sk -o /dev/null -w '%{http_code}' -b "barometre_reprise=$TOKEN" \
    -H "Referer: $BASE$path" -d "action=continue" "$BASE$path")
  echo "POST $path without CSRF token: $status"
done >"$OUT/csrf-check.txt"

kill "$SERVER" "$SINK" && wait "$SERVER" 2>/dev/null || true
trap - EXIT
[[ -s "$OUT/report.json" ]] || { echo "No report: see $OUT/wapiti.log" >&2; exit 1; }

"$PYTHON" - "$OUT" <<'EOF'
import collections, json, re, sys
from pathlib import Path

out = Path(sys.argv[1])
report = json.loads((out / "report.json").read_text())
found = re.search(r"found (\d+) URLs and forms", (out / "wapiti.log").read_text())
lines = [f"{report['infos']['version']} against {report['infos']['target']}, "
         f"{report['infos']['date']}: {found.group(1) if found else '?'} URLs and forms found"]
for part in ("vulnerabilities", "anomalies", "additionals"):
    for category, findings in sorted(report.get(part, {}).items()):
        if not findings:
            continue
        lines.append(f"\n[{part}] {category}: {len(findings)}")
        for f in findings:
            lines.append(f"  {f['method']} {f['path']} {f.get('parameter') or ''} — {f['info']}")
statuses, targets = collections.Counter(), collections.Counter()
for line in (out / "access.log").read_text().splitlines():
    match = re.search(r'"(\w+) ([^ ?]*)\S* HTTP/[\d.]+" (\d{3}) ', line)
    if match:
        statuses[match.group(3)] += 1
        targets[f"{match.group(1)} {match.group(2)}"] += 1
lines.append(f"\nrequests served: {sum(statuses.values())}, by status: {dict(sorted(statuses.items()))}")
lines += [f"  {count:>7} {target}" for target, count in targets.most_common(12)]
lines.append((out / "csrf-check.txt").read_text())
(out / "summary.txt").write_text("\n".join(lines) + "\n")
print("\n".join(lines))
EOF
