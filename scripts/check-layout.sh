#!/usr/bin/env bash
# The folders are the architecture (docs/architecture.md): this check fails when a file
# includes a header from a folder its own folder may not depend on. Includes are bare names
# ("store.h") resolved through the build's include folders, so each name is looked up in the
# tree; a header name that two folders both define is an error of its own.
#
#   scripts/check-layout.sh            check the tree this script is in
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Which folders each folder may include from (besides itself); FOLDER:HEADER allows one header.
declare -A allowed=(
    [proto]="common"
    [common]="proto:codec.h"
    [core]="common store:store.h"
    [store]="common proto:codec.h core:row.h"
    [broker]="common proto core store"
    [ctl]="common proto core store report web/auth"
    [report]="common proto core store"
    [agents]="common proto"
    [notify]="common proto"
    [web/auth]="common"
    [man]="common"
    [web]="common proto:codec.h report:report.h report:report_xlsx.h web/auth"
)
# Files held to less than their folder: the rules' headers that the store's row and the clock
# live in include nothing of store/, so the rules read without the storage contract.
declare -A narrower=(
    [core/row.h]="common"
    [core/clock.h]="common"
)

# The database engines' headers: the table layout and its SQL are known under store/ alone, so
# the rules, the broker and permitctl (the report included) reach the tables through store.h
# and store_view.h. (The agent's outbox and the notifier's queue are databases of their own.)
engine_headers="sqlite3.h libpq-fe.h"
no_engine="core broker ctl report"

declare -A home=()
status=0
for dir in "${!allowed[@]}"; do
    [ -d "$dir" ] || continue
    for h in "$dir"/*.h; do
        [ -e "$h" ] || continue
        name=${h##*/}
        if [ -n "${home[$name]:-}" ]; then
            echo "check-layout: $name is defined in both ${home[$name]}/ and $dir/" >&2
            status=1
        fi
        home[$name]=$dir
    done
done

for dir in "${!allowed[@]}"; do
    [ -d "$dir" ] || continue
    for f in "$dir"/*.c "$dir"/*.h; do
        [ -e "$f" ] || continue
        while IFS= read -r name; do
            case " $engine_headers " in
            *" $name "*)
                case " $no_engine " in
                *" $dir "*)
                    echo "check-layout: $f includes $name; only store/ speaks to the database" >&2
                    status=1
                    ;;
                esac
                continue
                ;;
            esac
            if [[ "$name" == *.pb-c.h ]]; then
                if [ "$f" != proto/codec.c ]; then
                    echo "check-layout: $f includes generated $name; only proto/codec.c may" >&2
                    status=1
                fi
                continue
            fi
            to=${home[$name]:-}
            [ -n "$to" ] && [ "$to" != "$dir" ] || continue
            who="$dir/" may=${allowed[$dir]}
            if [ -n "${narrower[$f]:-}" ]; then
                who=$f may=${narrower[$f]}
            fi
            case " $may " in
            *" $to "* | *" $to:$name "*) ;;
            *)
                echo "check-layout: $f includes $to/$name; $who may include only from: $may" >&2
                status=1
                ;;
            esac
        done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*["<]\([^">]*\)[">].*/\1/p' "$f")
    done
done

if ((status == 0)); then
    echo "check-layout: every include follows docs/architecture.md"
fi
exit "$status"
