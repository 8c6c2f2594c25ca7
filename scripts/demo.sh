#!/usr/bin/env bash
# Quick start: copy the bundled example project to a scratch folder and sync it
# with the embedded default remote (a local folder), then show the result.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
arx="$repo/bin/arx"
work="${ARX_DEMO_DIR:-${TMPDIR:-/tmp}/arx-demo}"
project="$work/office-tower"

# The embedded default remote lives under $XDG_DATA_HOME; a scratch one keeps the demo repeatable
# and away from any remote you already use.
export XDG_DATA_HOME="$work/data"
export XDG_STATE_HOME="$work/state"
rm -rf "$project" "$XDG_DATA_HOME" "$XDG_STATE_HOME"
mkdir -p "$work"
cp -R "$repo/examples/office-tower" "$project"
cd "$project"

# A project's command chains run only once this machine's user approved them (they travel with the
# project, so they are proposals until then): review and approve the example's chains.
echo "== arx trust (project: $project)"
"$arx" trust
echo
echo "== arx sync"
"$arx" sync
remote=$("$arx" config show --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).remote_folder))')
echo
echo "== the remote copy ($remote)"
(cd "$remote" && find . -type f | sort)
echo
echo "== a second sync has nothing to do"
"$arx" sync
echo
echo "== arx status --json"
"$arx" status --json
