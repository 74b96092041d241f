#!/usr/bin/env bash
# credctl.toml(5) documents exactly the keys credd's config parser accepts:
# the keys of the man page's daemon sections (".It Cm key" under ".Ss Daemon
# keys", ".Ss [limits]", ".Ss [providers.NAME]", ...) against
# `credd --list-config-keys`, which prints the table the parser checks keys
# with (daemon/config/config_keys.cpp). Also: every listed key is really
# accepted, and a key not listed is refused.
# Usage: man_config_keys_test.sh CREDD CREDCTL
set -uo pipefail
credd=$1
credctl=$2
. "$(dirname "$0")/lib.sh"
page=$root/man/credctl.toml.5

# Keys of the daemon sections, each prefixed with its [table] heading.
awk '
  /^\.Ss Daemon keys/ { on = 1; prefix = ""; next }
  /^\.Ss Client keys/ || /^\.Sh / { on = 0; next }
  /^\.Ss \[/ { on = 1; prefix = $2; gsub(/[][]/, "", prefix); prefix = prefix "."; next }
  on && /^\.It Cm / {
    line = $0; sub(/^\.It Cm /, "", line)
    n = split(line, parts, / , /)
    for (i = 1; i <= n; i++) { k = parts[i]; gsub(/ .*/, "", k); print prefix k }
  }' "$page" | sort >"$work/documented"
"$credd" --list-config-keys | sort >"$work/accepted"
echo "documented: $(wc -l <"$work/documented") keys, accepted: $(wc -l <"$work/accepted") keys"
expect "credd --list-config-keys prints keys" test -s "$work/accepted"
expect "credctl.toml(5) lists exactly the keys credd accepts" diff -u "$work/accepted" "$work/documented"

# The table is what the parser uses: each key in place is no "unknown key",
# and one key not in it is.
toml_line() {  # KEY -> a TOML document setting it (the value may be of the wrong type)
  local key=$1 table= leaf=$1
  case $key in *.*) table=${key%.*}; leaf=${key##*.} ;; esac
  table=${table//NAME/p}
  [ -n "$table" ] && printf '[%s]\n' "$table"
  printf '%s = "x"\n' "$leaf"
}
unknown=0
while read -r key; do
  toml_line "$key" >"$work/one.toml"
  "$credd" --check-config --config "$work/one.toml" >/dev/null 2>"$work/one.err"
  if grep -q "unknown key" "$work/one.err"; then echo "refused: $key"; unknown=1; fi
done <"$work/accepted"
expect "every listed key is known to the parser" test $unknown -eq 0
printf '[limits]\nmax_bogus_bytes = 1\n' >"$work/bogus.toml"
"$credd" --check-config --config "$work/bogus.toml" >/dev/null 2>"$work/bogus.err"
expect "a key that is not listed is refused as unknown" grep -q "limits.max_bogus_bytes: unknown key" "$work/bogus.err"

finish
