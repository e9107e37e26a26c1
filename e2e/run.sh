#!/usr/bin/env bash
# Browser tests: the officer's, the approver's and the municipality's flows at 1280 and
# 390 px, with axe, link, table-width checks and screenshots (README.md).
#
#   cd e2e && ./run.sh [extra playwright arguments, e.g. --project=mobile-390]
#
# Environment:
#   E2E_BINARY      the app (default ../target/release/tilskudd; build it with
#                   `cargo build --release`)
#   CHROMIUM_PATH   the browser (default /usr/bin/chromium; installed with apt-get when
#                   missing and we are root, unless E2E_INSTALL_CHROMIUM=0)
#   E2E_SKIP_NPM_CI=1  keep node_modules as it is
#   E2E_WORKERS     parallel flows (default 1; 2 runs both widths at once)
#
# Starts one fresh app per window width (each on a free port with its own temporary
# SQLite database and the demo data), waits for /healthz, runs the suite, stops the apps,
# prints the summary and exits non-zero if a flow broke or any page had a finding.
# Screenshots, the summary, the filled workbooks and the apps' logs go to artifacts/.
set -uo pipefail
cd "$(dirname "$0")"
HERE="$(pwd)"

BIN="${E2E_BINARY:-../target/release/tilskudd}"
case "$BIN" in /*) ;; *) BIN="$HERE/$BIN" ;; esac
if [ ! -x "$BIN" ]; then
  echo "e2e: no app binary at $BIN: run \`cargo build --release\` or set E2E_BINARY." >&2
  exit 2
fi

export CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ ! -x "$CHROMIUM_PATH" ]; then
  if [ "${E2E_INSTALL_CHROMIUM:-1}" != 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "e2e: installing Debian's chromium"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  fi
  if [ ! -x "$CHROMIUM_PATH" ]; then
    echo "e2e: no Chromium at $CHROMIUM_PATH (apt-get install chromium, or set CHROMIUM_PATH)." >&2
    exit 2
  fi
fi

# Playwright must not try to download browsers of its own: there is no such download here.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
if [ "${E2E_SKIP_NPM_CI:-0}" != 1 ] || [ ! -d node_modules ]; then
  npm ci --no-audit --no-fund --loglevel=error || { echo "e2e: npm ci failed" >&2; exit 2; }
fi

rm -rf artifacts test-results
mkdir -p artifacts
export E2E_ARTIFACTS="$HERE/artifacts"
RUN_DIR="${TMPDIR:-/tmp}/e2e/run-$$"
mkdir -p "$RUN_DIR"

PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  done
  rm -rf "$RUN_DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

# Single sign-on: the local OpenID provider of the Rust tests (tests/oidc, installed by
# `npm ci` there), vouching for Kari, whom each app gets as an officer with that e-mail.
SSO_ARGS=()
OIDC_DIR="$HERE/../tests/oidc"
if [ -d "$OIDC_DIR/node_modules/oauth2-mock-server" ]; then
  mkfifo "$RUN_DIR/oidc-in"
  (cd "$OIDC_DIR" && exec node provider.mjs <"$RUN_DIR/oidc-in" >"$RUN_DIR/oidc-out" 2>"$HERE/artifacts/oidc-provider.log") &
  PIDS+=("$!")
  exec 3>"$RUN_DIR/oidc-in"
  for _ in $(seq 1 60); do [ -s "$RUN_DIR/oidc-out" ] && break; sleep 0.25; done
  OIDC_ISSUER="$(head -n1 "$RUN_DIR/oidc-out" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).issuer))')"
  echo '{"claims": {"sub": "e2e-kari", "email": "kari@statsforvalteren.no"}}' >&3
  SSO_ARGS=(--oidc-issuer "$OIDC_ISSUER" --oidc-client-id tilskudd --oidc-client-secret e2e --oidc-label "Statsforvalteren (Entra ID)")
  export E2E_SSO=1
  echo "e2e: OpenID provider at $OIDC_ISSUER"
elif [ "${E2E_REQUIRE_SSO:-0}" = 1 ]; then
  echo "e2e: tests/oidc is not installed (npm ci there)" >&2
  exit 2
fi

# start_app NAME → sets APP_URL
start_app() {
  local name="$1" port db log pid
  port="$(free_port)"
  mkdir -p "$RUN_DIR/$name"
  db="sqlite://$RUN_DIR/$name/t.db"
  log="$HERE/artifacts/app-$name.log"
  DATABASE_URL="$db" "$BIN" serve --demo --addr "127.0.0.1:$port" "${SSO_ARGS[@]}" >"$log" 2>&1 &
  pid=$!
  PIDS+=("$pid")
  APP_URL="http://127.0.0.1:$port"
  for _ in $(seq 1 120); do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "e2e: the app ($name) stopped while starting; its log:" >&2
      tail -n 30 "$log" >&2
      exit 2
    fi
    if [ "$(curl -fsS --max-time 2 "$APP_URL/healthz" 2>/dev/null)" = ok ]; then
      if [ "${#SSO_ARGS[@]}" -gt 0 ]; then
        DATABASE_URL="$db" "$BIN" user add --username kari --role saksbehandler \
          --name "Kari Nordmann" --email kari@statsforvalteren.no >/dev/null 2>>"$log"
      fi
      echo "e2e: app for $name px at $APP_URL (pid $pid, log artifacts/app-$name.log)"
      return 0
    fi
    sleep 0.5
  done
  echo "e2e: the app ($name) did not answer /healthz within 60 s; its log:" >&2
  tail -n 30 "$log" >&2
  exit 2
}

start_app 1280; export E2E_BASE_URL_1280="$APP_URL"
start_app 390; export E2E_BASE_URL_390="$APP_URL"

START=$(date +%s)
npx playwright test "$@"
SUITE=$?
echo
node lib/summary.js
SUMMARY=$?
echo "e2e: $(( $(date +%s) - START )) s; playwright exit $SUITE, findings exit $SUMMARY"
if [ "$SUITE" -ne 0 ] || [ "$SUMMARY" -ne 0 ]; then
  exit 1
fi
exit 0
