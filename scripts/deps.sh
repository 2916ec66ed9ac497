#!/usr/bin/env bash
# Install the Debian packages that a goal needs, and only those that are missing:
#   scripts/deps.sh run    building the programs and the demo (`make run`, `make build`)
#   scripts/deps.sh test   that, and what the tests need (`make test`): cmocka, the SMTP
#                          recorder, faketime, a PostgreSQL server for the pg_ tests, clang
#                          for fuzzing, dpkg-dev and lintian for the packages, systemd's
#                          systemd-analyze for the units, groff for the man pages,
#                          headless chromium and selenium, promtool and nginx for the web
#                          console
#   scripts/deps.sh        (or `all`) everything, for the long suites (faults, HA, fuzz)
#   scripts/deps.sh GROUP --list   print the group's packages, one a line, and exit
# Safe to run again and again: with everything present it does nothing and touches no
# package list. Runs as root, or through sudo; otherwise it names the command to run.
set -euo pipefail

# Building and the demo: compilers, the libraries, and the demo's jq, sqlite3 and python3 (its
# webhook receiver, deploy/demo_receiver.py: the standard library only). No server,
# no test toolchain: `make run` must not start a PostgreSQL on port 5432.
RUN_PACKAGES=(
    build-essential cmake pkg-config
    libzmq3-dev libprotobuf-c-dev protobuf-c-compiler
    libsqlite3-dev sqlite3 libjansson-dev libcsv-dev libinih-dev uuid-dev
    libcurl4-openssl-dev libssl-dev libpq-dev libxlsxwriter-dev libcrypt-dev libmicrohttpd-dev
    gettext locales
    jq python3 curl
)
TEST_PACKAGES=(
    libcmocka-dev clang-format python3-aiosmtpd
    clang libclang-rt-14-dev
    faketime
    postgresql python3-openpyxl
    chromium poppler-utils fonts-noto-cjk
    dpkg-dev lintian systemd
    groff-base iproute2
    chromium chromium-driver python3-selenium prometheus nginx-light
)

case ${1:-all} in
run) PACKAGES=("${RUN_PACKAGES[@]}") ;;
test | all) PACKAGES=("${RUN_PACKAGES[@]}" "${TEST_PACKAGES[@]}") ;;
*)
    echo "usage: scripts/deps.sh [run|test|all]" >&2
    exit 64
    ;;
esac
if [[ ${2:-} == --list ]]; then
    printf '%s\n' "${PACKAGES[@]}"
    exit 0
fi

# The Chinese messages (po/) show only under a zh_CN locale, and glibc has none until it is
# generated; the demo and the tests run under LANG=zh_CN.UTF-8. Idempotent: nothing is done
# when the locale exists. Called after the packages are there (localedef comes with locales).
ensure_zh_locale() {
    if locale -a 2>/dev/null | grep -qix 'zh_CN.utf-\?8'; then
        return 0
    fi
    echo "deps: generating the zh_CN.UTF-8 locale" >&2
    if [[ ${sudo[0]:-} == false ]]; then
        echo "deps: not root (and no sudo); as root run: localedef -i zh_CN -f UTF-8 zh_CN.UTF-8" >&2
        exit 1
    fi
    "${sudo[@]}" localedef -i zh_CN -f UTF-8 zh_CN.UTF-8
}

if ((EUID == 0)); then
    sudo=()
elif command -v sudo >/dev/null 2>&1; then
    sudo=(sudo)
else
    sudo=(false)
fi

missing=()
for pkg in "${PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    if [[ "$status" != "install ok installed" ]]; then
        missing+=("$pkg")
    fi
done

if ((${#missing[@]} == 0)); then
    ensure_zh_locale
    exit 0
fi

echo "deps: missing Debian packages: ${missing[*]}" >&2

if [[ ${sudo[0]:-} == false ]]; then
    echo "deps: missing packages and not root (and no sudo); as root run:" >&2
    echo "  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    "${missing[@]}"
ensure_zh_locale
