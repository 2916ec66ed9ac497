# Shared by the package tests (test_packages.sh, test_install_doc.sh), sourced after
# ../integration/lib.sh: the skip unless root, one run at a time, the packages' users, purge,
# and building the packages.
# shellcheck shell=bash

PACKAGES=(permit-broker permit-agent permit-notify permitctl permit-web)
PKG_BUILD=${PERMIT_PKG_BUILD:-$PERMIT_BIN/package}
debs=() # build_packages' result

if ((EUID != 0)); then
    step "SKIP: installs packages on this machine, run as root only"
    exit 77
fi
for tool in apt-get dpkg-deb dpkg-shlibdeps cpack setpriv; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        step "SKIP: $tool is missing (scripts/deps.sh test installs dpkg-dev)"
        exit 77
    fi
done
# One package test at a time: they install the same packages on this machine.
exec 9>/run/permit-package-test.lock
flock 9

# The installed programs as the packages' users; never the build folder's. setpriv execs the
# program itself (runuser would stand between it and our signals).
as() {
    local user=$1
    shift
    setpriv --reuid="$user" --regid="$user" --init-groups -- "$@"
}

purge_all() {
    local p installed=()
    for p in "${PACKAGES[@]}"; do
        if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "installed\|config-files"; then
            installed+=("$p")
        fi
    done
    if ((${#installed[@]} > 0)); then
        DEBIAN_FRONTEND=noninteractive dpkg --purge "${installed[@]}" >"$T/purge.out" 2>&1 ||
            fail "dpkg --purge ${installed[*]}: $(cat "$T/purge.out")"
    fi
}

permit_procs() {
    local u
    for u in permit permit-agent permit-notify permit-web; do
        getent passwd "$u" >/dev/null && pgrep -u "$u" -a || true
    done
}

# build_packages: cpack's .deb files, in PACKAGES' order, into debs[]. Under ctest the
# package_build test made them (PERMIT_PKG_PREBUILT=1, its fixture): the two tests that install
# them share one Release build and one cpack run.
build_packages() {
    if [[ "${PERMIT_PKG_PREBUILT:-0}" == 1 ]]; then
        step "the packages the package_build test made"
    else
        make_packages
    fi
    collect_debs
}

# make_packages: the Release build and cpack, in PKG_BUILD.
make_packages() {
    step "build the packages (Release, cpack)"
    # -Werror: an optimised build warns of what a debug build does not see (-Wmaybe-uninitialized).
    cmake -S "$PERMIT_SRC" -B "$PKG_BUILD" -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr \
        -DPERMIT_WERROR=ON \
        -DPERMIT_TESTS=OFF >"$T/cmake.out" 2>&1 || fail "cmake: $(tail -n 20 "$T/cmake.out")"
    cmake --build "$PKG_BUILD" -j2 >"$T/build.out" 2>&1 || fail "build: $(tail -n 20 "$T/build.out")"
    rm -f "$PKG_BUILD"/*.deb
    (cd "$PKG_BUILD" && cpack -G DEB) >"$T/cpack.out" 2>&1 || fail "cpack: $(tail -n 20 "$T/cpack.out")"
}

collect_debs() {
    local p deb
    debs=()
    for p in "${PACKAGES[@]}"; do
        deb=$(echo "$PKG_BUILD/${p}_"*.deb)
        [[ -f $deb ]] || fail "no $p package in $PKG_BUILD (cpack's output; the package_build test makes it): $(ls "$PKG_BUILD"/*.deb 2>&1)"
        debs+=("$deb")
    done
}
