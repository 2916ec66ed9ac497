#!/usr/bin/env bash
# Install the Debian packages that building, testing and the demo need, and only those
# that are missing. Safe to run again and again: with everything present it does nothing
# and touches no package list. Runs as root, or through sudo; otherwise it names the
# command to run.
set -euo pipefail

PACKAGES=(
    build-essential cmake pkg-config
    libzmq3-dev libprotobuf-c-dev protobuf-c-compiler
    libsqlite3-dev sqlite3 libjansson-dev libcsv-dev libinih-dev uuid-dev
    libcurl4-openssl-dev libssl-dev
    libcmocka-dev jq clang-format python3 python3-aiosmtpd
    clang libclang-rt-14-dev
    faketime
    libpq-dev postgresql
    libxlsxwriter-dev python3-openpyxl
)

missing=()
for pkg in "${PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    if [[ "$status" != "install ok installed" ]]; then
        missing+=("$pkg")
    fi
done

if ((${#missing[@]} == 0)); then
    exit 0
fi

echo "deps: missing Debian packages: ${missing[*]}" >&2

if ((EUID == 0)); then
    sudo=()
elif command -v sudo >/dev/null 2>&1; then
    sudo=(sudo)
else
    echo "deps: missing packages and not root (and no sudo); as root run:" >&2
    echo "  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    "${missing[@]}"
