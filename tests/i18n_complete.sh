#!/usr/bin/env bash
# Every string marked for translation (_("...") or N_("...")) in the programs' sources has a
# Chinese translation in po/zh_CN.po that is neither missing nor fuzzy (issue 20). xgettext
# makes a fresh template from the sources, msgmerge lays the catalog over it, and each msgid
# left untranslated or fuzzy is named.
#   tests/i18n_complete.sh            the check (ctest i18n_complete)
#   tests/i18n_complete.sh --update   merge the fresh template into po/zh_CN.po, for a
#                                     translator to fill in what is new
set -euo pipefail
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() {
    echo "i18n_complete: FAIL: $*" >&2
    exit 1
}

cd "$SRC"
# The sources of the four programs and what they share; sorted, so the template is stable.
find common core store broker ctl report agents notify proto web -name '*.c' | LC_ALL=C sort >"$T/files"
xgettext --from-code=UTF-8 --language=C --keyword --keyword=_ --keyword=N_ --keyword=ngettext:1,2 --add-comments=TRANSLATORS \
    --package-name=permit --no-location --sort-output -o "$T/permit.pot" -f "$T/files" ||
    fail "xgettext failed"
if [[ ${1:-} == --update ]]; then
    msgmerge --quiet --no-location --sort-output --update --backup=none po/zh_CN.po "$T/permit.pot"
    exit 0
fi
msgmerge --quiet --no-fuzzy-matching -o "$T/merged.po" po/zh_CN.po "$T/permit.pot" ||
    fail "msgmerge failed"
msgfmt --check -o /dev/null po/zh_CN.po || fail "po/zh_CN.po does not compile (msgfmt --check)"
# Each entry's msgid on one line (continuations joined), prefixed with what is wrong.
msgids() {
    msgattrib "$1" --no-obsolete --no-wrap "$T/merged.po" | awk -v what="$2" '
        /^msgid / { id = substr($0, 7); inid = 1; next }
        /^"/ && inid { id = id " " $0; next }
        /^msgstr/ { if (id != "\"\"") print what ": " id; inid = 0 }'
}
bad=$({ msgids --untranslated untranslated; msgids --only-fuzzy fuzzy; })
if [[ -n "$bad" ]]; then
    echo "$bad" >&2
    fail "po/zh_CN.po lacks $(wc -l <<<"$bad") translation(s): tests/i18n_complete.sh --update merges the new msgids into it; translate them"
fi
n=$(grep -c '^msgid "' "$T/permit.pot")
echo "i18n_complete: PASS ($((n - 1)) messages translated)"
