#!/usr/bin/env bash
# The Debian packages built once (a Release folder of their own, cpack) for the tests that
# install them: ctest's package_build, the fixture of package and package_install_doc.
# Root only and one package test at a time, like them (pkglib.sh).
# shellcheck source=../integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../integration/lib.sh"
# shellcheck source=pkglib.sh
source "$(dirname "${BASH_SOURCE[0]}")/pkglib.sh"

make_packages
collect_debs
step "made ${debs[*]##*/}"
