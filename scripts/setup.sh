#!/usr/bin/env bash
# Installs and starts what ATL needs on a fresh Debian machine: espeak-ng (offline TTS),
# sqlite3 (benchmark baseline), PostgreSQL (the distributed backend, real in tests),
# faketime (a worker with a skewed clock, in tests), Chromium and its chromedriver (the
# dashboard's browser tests and benchmark), and Schemathesis in target/venv-test.
# Idempotent: does nothing that is already done. Prints what it did.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v espeak-ng >/dev/null 2>&1 || need+=(espeak-ng)
command -v sqlite3 >/dev/null 2>&1 || need+=(sqlite3)
command -v pg_ctlcluster >/dev/null 2>&1 || need+=(postgresql)
command -v psql >/dev/null 2>&1 || need+=(postgresql-client)
# faketime runs a worker with its clock off, for the lease-clock test.
command -v faketime >/dev/null 2>&1 || need+=(faketime)
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -x /usr/bin/chromedriver ] || need+=(chromium-driver)
for extra in "$@"; do command -v "$extra" >/dev/null 2>&1 || need+=("$extra"); done

if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "setup: WARNING: missing ${need[*]} and cannot apt-get install (not root or not Debian)" >&2
  fi
fi

# PostgreSQL: start the local cluster when it is down.
if command -v pg_isready >/dev/null 2>&1 && ! pg_isready -q -h 127.0.0.1 -p 5432; then
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    echo "setup: starting PostgreSQL $version"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  fi
fi
if command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h 127.0.0.1 -p 5432; then
  # Tests connect as postgres over TCP without a password; a fresh Debian install asks
  # for one on 127.0.0.1, so allow trust for loopback only.
  if ! psql -h 127.0.0.1 -U postgres -d postgres -Atc 'select 1' >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    hba=$(su postgres -c "psql -Atc 'show hba_file'" 2>/dev/null || true)
    if [ -n "$hba" ] && [ -f "$hba" ]; then
      echo "setup: allowing trust auth for postgres on loopback in $hba"
      sed -i '1i host all postgres 127.0.0.1/32 trust\nhost all postgres ::1/128 trust' "$hba"
      su postgres -c "psql -c 'select pg_reload_conf()'" >/dev/null
    fi
  fi
  echo "setup: PostgreSQL is up on 127.0.0.1:5432"
else
  echo "setup: WARNING: no PostgreSQL on 127.0.0.1:5432" >&2
fi

# Schemathesis (the API's contract test, scripts/schemathesis.sh) in a virtual environment
# of its own, from the pinned requirements; reinstalled only when they change.
venv=target/venv-test
req=scripts/requirements-test.txt
if command -v python3 >/dev/null 2>&1; then
  if ! python3 -m venv --help >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing python3-venv"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
  fi
  if ! cmp -s "$req" "$venv/.requirements" 2>/dev/null; then
    echo "setup: installing $(grep -v '^#' "$req" | xargs) into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check -r "$req"
    cp "$req" "$venv/.requirements"
  fi
else
  echo "setup: WARNING: no python3, so no Schemathesis run" >&2
fi
