#!/usr/bin/env bash
# cli/ and daemon/ depend on common/ only, never on each other, and common/
# on neither (docs/design.md "The layering rule").
set -euo pipefail
cd "$(dirname "$0")/.."
bad=0
check() {  # folder, forbidden include prefix
  if grep -rnE "#include \"$2/" "$1" --include='*.hpp' --include='*.cpp'; then
    echo "layering: $1 must not include $2/"; bad=1
  fi
}
check cli daemon
check daemon cli
check common cli
check common daemon
[ "$bad" -eq 0 ] && echo "layering: ok"
exit "$bad"
