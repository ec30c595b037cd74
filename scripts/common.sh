# SPDX-License-Identifier: MIT
# Shared by scripts/demo and scripts/test: install what a fresh Debian/Ubuntu lacks.

# Debian packages the build and the tests need.
KD_BUILD_PKGS="meson ninja-build pkg-config gcc libldap2-dev libsasl2-dev libjansson-dev check \
libgraphviz-dev nettle-dev"
# openssl and time: the hostile-DC test's throwaway CA and its peak-RSS figures;
# python3-jsonschema: outputs checked against docs/schema (tests/cli/test-schema.sh); the
# shells and man-db: the generated completions and man page run (tests/cli/test-
# completion.sh, test-generated.sh; bash-completion.pc and fish.pc also place them);
# chromium: the HTML report loaded in a real headless browser (tests/cli/test-html.sh).
KD_TEST_PKGS="clang libclang-rt-14-dev python3 openssl time python3-jsonschema bash-completion \
zsh fish man-db chromium"
# The throwaway Samba AD DC of the integration suite (tests/integration/lab.sh).
KD_LAB_PKGS="samba samba-ad-dc samba-ad-provision winbind python3-samba ldb-tools krb5-user \
ldap-utils libsasl2-modules-gssapi-mit iproute2"

kd_missing_pkgs() {
    local missing=""
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
            missing="$missing $p"
    done
    echo "$missing"
}

kd_install() {
    local missing
    missing=$(kd_missing_pkgs "$@")
    [ -z "$missing" ] && return 0
    echo "==> installing:$missing" >&2
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
        $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            $missing >&2
}

# kd_setup BUILDDIR [meson options...]: configure once, reconfigure when options change.
kd_setup() {
    local dir=$1
    shift
    if [ -f "$dir/build.ninja" ]; then
        meson configure "$dir" "$@" >/dev/null
    else
        meson setup "$dir" "$@" >/dev/null
    fi
}
