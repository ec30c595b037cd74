#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# meson install into a temporary directory (--destdir): exactly the binary, the man
# page, the three completions where their shells read them, and the docs (with the
# JSON schemas docs/json-output.md links to).
# Usage: test-install.sh MESON BUILD_ROOT SOURCE_ROOT
set -u
meson=$1
build=$2
top=$3
. "$top/tests/check.sh"
check_init

checks=$((checks + 1))
DESTDIR= "$meson" install -C "$build" --no-rebuild --quiet --destdir "$work/root" >"$work/log" 2>&1 ||
    fail "meson install: $(tail -5 "$work/log")"

# the expected paths, from the build's own directories (relative ones under the prefix)
"$py" - "$meson" "$build" "$top" >"$work/expected" <<'PY' || fail "reading the build's options"
import glob, json, os, subprocess, sys
opts = {o["name"]: o["value"] for o in json.loads(subprocess.run(
    [sys.argv[1], "introspect", "--buildoptions", sys.argv[2]], capture_output=True,
    check=True).stdout)}
prefix = opts["prefix"]
def under(d):
    return d if d.startswith("/") else prefix + "/" + d
datadir = under(opts["datadir"])
files = [under(opts["bindir"]) + "/kdeleg", under(opts["mandir"]) + "/man1/kdeleg.1"]
files += [datadir + "/doc/kdeleg/" + f for f in ("README.md", "rules.md", "json-output.md")]
files += [datadir + "/doc/kdeleg/schema/" + os.path.basename(f)
          for f in glob.glob(sys.argv[3] + "/docs/schema/*.json")]
if opts["completions"]:
    files.append((opts["bashcompletiondir"] or datadir + "/bash-completion/completions") + "/kdeleg")
    files.append((opts["zshcompletiondir"] or datadir + "/zsh/site-functions") + "/_kdeleg")
    files.append((opts["fishcompletiondir"] or datadir + "/fish/vendor_completions.d") + "/kdeleg.fish")
print("\n".join(sorted(files)))
PY
(cd "$work/root" && find . -type f -o -type l | sed 's|^\.||' | sort) >"$work/installed"
checks=$((checks + 1))
diff -u "$work/expected" "$work/installed" >"$work/diff" ||
    fail "installed files differ from the expected ones: $(cat "$work/diff")"

# what was installed is what is committed, and the binary runs
man=$(grep '/man1/kdeleg.1$' "$work/expected")
checks=$((checks + 1))
cmp -s "$work/root$man" "$top/docs/man/kdeleg.1" || fail "the installed man page is not docs/man/kdeleg.1"
bin=$(grep '/kdeleg$' "$work/expected" | grep -v completion)
checks=$((checks + 1))
"$work/root$bin" --version | grep -q "^kdeleg [0-9]" || fail "the installed kdeleg does not run"

check_done install
