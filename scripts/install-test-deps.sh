#!/usr/bin/env bash
# Install what the test suite needs, and nothing more; safe to run again (idempotent).
#
# 1. Debian packages for the real servers the tests start on loopback ports: mosquitto,
#    snmpd + snmp (snmpget), victoria-metrics (+ vmalert), prometheus (promtool), postgresql,
#    prometheus-alertmanager, docker-compose (only `docker-compose config`: no engine runs), sqlite3
#    (the backup round trip). Installed only when a
#    binary is missing, with a policy-rc.d that forbids starting services: the tests start their
#    own servers (loopback/servers.py), none may be left running by the install.
# 2. The virtualenv .venv with the project and its test extras (pip install -e '.[test]'),
#    skipped when pyproject.toml has not changed since the last successful install.
#
# Environment: PYTHON (default python3, must be 3.11+), VENV (default .venv);
# VEILLE_FORCE_APT=1 runs the apt-get step even when every binary is present.
set -euo pipefail

cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
VENV="${VENV:-.venv}"
say() { printf 'install-test-deps: %s\n' "$*"; }

# -- 1. Debian packages ---------------------------------------------------------------------
declare -A BINARY_PACKAGE=(
    [mosquitto]=mosquitto
    [snmpd]=snmpd
    [snmpget]=snmp
    [victoria-metrics]=victoria-metrics
    [promtool]=prometheus
    [prometheus-alertmanager]=prometheus-alertmanager
    [openssl]=openssl
    [setpriv]=util-linux
    [systemd-analyze]=systemd
    [chromium]=chromium
    [docker-compose]=docker-compose
    [sqlite3]=sqlite3
)
# /usr/sbin is not always on a non-root PATH
have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/usr/bin/$1" ]; }

missing=()
for binary in "${!BINARY_PACKAGE[@]}"; do
    have "$binary" || missing+=("$binary")
done
packages=(mosquitto snmpd snmp victoria-metrics prometheus postgresql openssl util-linux systemd
    prometheus-alertmanager docker-compose sqlite3 chromium)
# PostgreSQL's server binaries live off PATH, under /usr/lib/postgresql/<version>/bin
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=("initdb")
if ! "$PYTHON" -c 'import ensurepip, venv' >/dev/null 2>&1 && [ ! -x "$VENV/bin/python" ]; then
    missing+=("python3-venv")
    packages+=(python3-venv)
fi

if [ "${VEILLE_FORCE_APT:-0}" = 1 ]; then
    missing+=("(forced)")
fi
if [ "${#missing[@]}" -eq 0 ]; then
    say "server binaries present (mosquitto snmpd snmpget victoria-metrics promtool alertmanager)"
else
    say "missing: ${missing[*]}; installing Debian packages: ${packages[*]}"
    command -v apt-get >/dev/null || { say "apt-get not found: install ${packages[*]} by hand"; exit 1; }
    SUDO=()
    if [ "$(id -u)" -ne 0 ]; then
        # no terminal (CI): fail at once instead of waiting for a password
        if [ -t 0 ]; then SUDO=(sudo); else SUDO=(sudo -n); fi
    fi
    policy=/usr/sbin/policy-rc.d
    backup=""
    restore_policy() {
        if [ -n "$backup" ]; then
            "${SUDO[@]}" mv -f "$backup" "$policy"
        else
            "${SUDO[@]}" rm -f "$policy"
        fi
    }
    if [ -e "$policy" ]; then
        backup="$(mktemp -u /usr/sbin/policy-rc.d.veille.XXXXXX)"
        "${SUDO[@]}" cp -p "$policy" "$backup"
    fi
    trap restore_policy EXIT
    # 101 = "action forbidden": postinst scripts must not start mosquitto, snmpd, etc.
    printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee "$policy" >/dev/null
    "${SUDO[@]}" chmod 755 "$policy"

    export DEBIAN_FRONTEND=noninteractive
    "${SUDO[@]}" apt-get update -qq
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends "${packages[@]}" >/dev/null
    restore_policy
    trap - EXIT

    # where systemd runs, deb-systemd-invoke honours policy-rc.d; stop anything it still started
    if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
        for unit in mosquitto snmpd victoria-metrics prometheus prometheus-alertmanager; do
            if systemctl is-active --quiet "$unit" 2>/dev/null; then
                say "stopping $unit, started by its package"
                "${SUDO[@]}" systemctl stop "$unit"
            fi
        done
    fi
    for binary in "${!BINARY_PACKAGE[@]}"; do
        have "$binary" || { say "$binary still missing after install"; exit 1; }
    done
    say "Debian packages installed"
fi

# -- 2. Python virtualenv -------------------------------------------------------------------
if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
        || { say "$PYTHON is older than 3.11"; exit 1; }
    say "creating $VENV with $("$PYTHON" --version)"
    "$PYTHON" -m venv "$VENV"
fi

stamp="$VENV/.veille-test-deps"
want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$VENV/bin/pytest" ]; then
    say "$VENV up to date with pyproject.toml"
else
    say "pip install -e '.[test]' into $VENV"
    log="$(mktemp)"
    # pip and setuptools are chatty even with -q: show their output only when they fail
    if ! "$VENV/bin/python" -m pip install -q --disable-pip-version-check -e '.[test]' \
        >"$log" 2>&1; then
        cat "$log"
        rm -f "$log"
        exit 1
    fi
    rm -f "$log"
    echo "$want" >"$stamp"
fi
