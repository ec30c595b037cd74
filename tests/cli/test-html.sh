#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The HTML report (issue 14): one self-contained page, every directory string
# escaped, loaded in a real headless browser (Debian's chromium) with no console
# error, its text holding every finding of the JSON report of the same audit, and no
# script element from the data. Usage: test-html.sh KDELEG SOURCE_ROOT
set -u
kdeleg=$1
top=$2
lab=$top/docs/examples/lab.ldif
. "$top/tests/check.sh"
check_init
# an ASan build: Graphviz and fontconfig keep tables for the process (tests/lsan.supp)
export LSAN_OPTIONS="suppressions=$top/tests/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"

# The lab plus accounts an attacker named: markup, quotes and '&', control characters,
# bidirectional controls, in names and DNs; each trusted for unconstrained delegation
# so that it is a finding.
"$py" - "$lab" "$work/hostile.ldif" <<'PY'
import base64, sys
names = ['<script>alert(1)</script>', 'q"uo\'te&amp;x', 'ctl\x01\x1b[31mred\x7f',
         'bidi\u202egnp.exe', '<img src=x onerror=alert(2)>', 'back\\slash\ttab',
         '</pre><script>alert(3)</script>', 'c1\u009bcsi']
out = [open(sys.argv[1]).read().rstrip("\n")]
for i, name in enumerate(names):
    b64 = lambda s: base64.b64encode(s.encode()).decode()
    dn = "CN=%s,OU=Servers,DC=corp,DC=example" % name.replace(",", "\\,")
    out.append("dn:: %s\nobjectClass: top\nobjectClass: user\nobjectClass: computer\n"
               "sAMAccountName:: %s\nobjectSid: S-1-5-21-3623811015-3361044348-30300820-%d\n"
               "userAccountControl: 528384\nservicePrincipalName: HOST/h%d.corp.example"
               % (b64(dn), b64(name), 9100 + i, i))
open(sys.argv[2], "w").write("\n\n".join(out) + "\n\n")
PY
expect 0 "json" -- audit --ldif "$work/hostile.ldif" -f json -o "$work/report.json"
expect 0 "html" -- audit --ldif "$work/hostile.ldif" -f html -o "$work/report.html"
# accepted findings have their section too (with a hostile reason)
"$py" - "$work/report.json" "$work/accept.txt" <<'PY'
import json, sys
f = json.load(open(sys.argv[1]))["findings"][0]
open(sys.argv[2], "w").write("%s 2099-12-31 ops <script>alert(4)</script> \"&amp;\n" % f["fingerprint"])
PY
expect 0 "html --accept" -- audit --ldif "$work/hostile.ldif" -f html --accept "$work/accept.txt" \
    -o "$work/accepted.html"
expect 0 "json --accept" -- audit --ldif "$work/hostile.ldif" -f json --accept "$work/accept.txt" \
    -o "$work/accepted.json"

# Static: self-contained (nothing fetched), no script, no raw control character.
for page in report accepted; do
    pycheck "$page.html: self-contained and inert" "$work/$page.html" <<'PY'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
assert text.startswith("<!DOCTYPE html>"), text[:40]
low = text.lower()
assert "<script" not in low, "a script element"
# the data's '<' is &lt;: every tag is ours (or Graphviz's SVG), and none fetches
tags = re.findall(r"<[a-z][^>]*>", low)
for bad in (r"\ssrc=", r"\shref=[\"']?(https?:|//)", r"url\(", r"^<(link|iframe|object|embed|img)\b"):
    assert not [t for t in tags if re.search(bad, t)], bad
assert "@import" not in low
assert "content-security-policy" in low and "default-src 'none'" in low
assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069]", text), "raw control"
assert re.search(r"<[a-z]+[^>]*\son[a-z]+=", low) is None, "an event handler attribute"
PY
done

# The browser: Debian's chromium, installed by scripts/common.sh's KD_TEST_PKGS.
chromium=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chromium" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get install -y -q chromium >/dev/null 2>&1 || true
    chromium=$(command -v chromium || true)
fi
if [ -z "$chromium" ]; then
    echo "html: chromium cannot be installed: skipped ($checks static checks passed)" >&2
    exit 77
fi

for page in report accepted; do
    checks=$((checks + 1))
    # its own profile, so that parallel runs and a root HOME do not collide
    timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --no-first-run \
        --user-data-dir="$work/profile-$page" --enable-logging=stderr --v=0 \
        --virtual-time-budget=5000 --dump-dom "file://$work/$page.html" \
        >"$work/$page.dom" 2>"$work/$page.log" </dev/null ||
        fail "chromium failed on $page.html: $(tail -c 300 "$work/$page.log")"
    # console messages (a script error, a CSP refusal) are logged as CONSOLE lines
    grep -E "CONSOLE|Uncaught|Refused to|Content Security Policy" "$work/$page.log" &&
        fail "$page.html: console messages in the browser"
    pycheck "$page.html in the browser: every finding, no script from the data" \
        "$work/$page.dom" "$work/${page%.html}.json" <<'PY'
import html.parser, json, sys

def shown(s):
    """A string as kdeleg shows directory text (strbuf.c kd_strbuf_append_safe)."""
    out = []
    for ch in s:
        c = ord(ch)
        if ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif c < 0x20 or c == 0x7f:
            out.append("\\x%02x" % c)
        elif 0x80 <= c <= 0x9f:
            out.extend("\\x%02x" % b for b in ch.encode())
        elif c in (0x61c, 0x200e, 0x200f) or 0x202a <= c <= 0x202e or 0x2066 <= c <= 0x2069:
            out.append("\\u%04x" % c)
        else:
            out.append(ch)
    return "".join(out)

class Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.text, self.tags, self.handlers = [], [], []
    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.handlers += [(tag, k) for k, _ in attrs if k.startswith("on")]
    def handle_data(self, data):
        self.text.append(data)

page = Page()
dom = open(sys.argv[1], encoding="utf-8").read()
page.feed(dom)
assert "html" in page.tags and "body" in page.tags, "no document dumped: %r" % dom[:200]
assert "script" not in page.tags, "a script element in the DOM"
assert "img" not in page.tags, "an img element from the data"
assert not page.handlers, page.handlers
text = "".join(page.text)
doc = json.load(open(sys.argv[2], encoding="utf-8"))
for f in doc["findings"] + doc.get("accepted", []):
    assert f["rule"] in text, f["rule"]
    assert shown(f["account"]["name"]) in text, (f["rule"], f["account"]["name"])
    assert f["fingerprint"] in text, f["fingerprint"]
for f in doc.get("accepted", []):
    assert shown(f["acceptance"]["reason"]) in text
for hostile in ('<script>alert(1)</script>', '<img src=x onerror=alert(2)>',
                '</pre><script>alert(3)</script>', 'bidi\\u202egnp.exe', 'ctl\\x01\\x1b[31mred\\x7f'):
    assert hostile in text, hostile
assert "\u202e" not in text, "a raw bidi control shown"
PY
done

check_done html
