#!/usr/bin/env bash
# End-to-end: `credctl login` is run by credctl-login, the one program that
# links TLS and the OAuth client (cli/CMakeLists.txt). credctl itself links
# no OpenSSL, hands login the command line unchanged, finds credctl-login
# beside its own file (never through the working directory), and says so
# clearly when it is missing, while every other command goes on working.
# Usage: cli_login_helper_test.sh CREDD CREDCTL
set -uo pipefail
credd=$1
credctl=$2
. "$(dirname "$0")/lib.sh"

helper=$(dirname "$credctl")/../libexec/credctl/credctl-login
status_of() { "$@" >"$work/out" 2>"$work/err"; echo $?; }
# The symbols of a program (the build's are not stripped), and whether an
# OpenSSL function is among them, defined (static link) or imported (shared).
symbols() { nm "$1" >"$work/symbols" 2>&1 && test -s "$work/symbols"; }
links_tls() { grep -Eq ' [TtUW] SSL_CTX_new$' "$work/symbols"; }

expect "credctl-login is built beside credctl" test -x "$helper"
expect "credctl-login's symbols can be read" symbols "$helper"
expect "credctl-login links OpenSSL (the check below can see it)" links_tls
expect "credctl's symbols can be read" symbols "$credctl"
expect "credctl links no OpenSSL" bash -c "! grep -Eq ' [TtUW] SSL_CTX_new$' '$work/symbols'"
expect "credctl needs no libssl or libcrypto" bash -c "! ldd '$credctl' | grep -Eq 'libssl|libcrypto'"
"$credctl" --version >"$work/version"
expect "credctl --version names what credctl-login is linked against" \
  grep -q 'login runs ../libexec/credctl/credctl-login, linked: .*OpenSSL' "$work/version"

start_demo_credd
expect "a login through credctl stores the credential" login_demo
expect "the credential is listed" cred_state_is demo valid
# root has no grant for bob's credentials: credd's refusal names what
# credctl-login asked for.
rc=$(BROWSER=$oidc/browser status_of "$credctl" login --user bob --timeout 60 demo)
expect "credctl-login gets the options as given: --user bob is forbidden (3)" test "$rc" -eq 3
expect "credd refused credctl-login a login for bob" \
  grep -q '"exe":"[^"]*/credctl-login".*"resource":"credentials/bob/demo","permission":"credentials:login","decision":"deny"' \
  "$work/credd.log"
rc=$(status_of "$credctl" login nosuch)
expect "credctl-login's exit status is credctl's (not_found: 7)" test "$rc" -eq 7
expect "credctl-login's message is credctl's" grep -q 'nosuch' "$work/err"
rc=$(status_of "$credctl" login --port 70000 demo)
expect "a bad option is refused before credctl-login runs (usage: 2)" test "$rc" -eq 2
expect "the refusal names the option" grep -q -- '--port: Value 70000 not in range' "$work/err"

# A grant of credentials:login narrowed by exe names credctl-login, the
# executable credd sees for a login: the login itself, `policy check
# --permission login` and whoami agree on it.
helper_exe=$(realpath "$helper")
stop_credd
role_grant "$work/credd.toml" loginer '"credentials:login"' "bob logins" "credentials/bob/demo" \
  "{ uid = 0, exe = \"$helper_exe\" }"
role_grant "$work/credd.toml" old_loginer '"credentials:login"' "logins from credctl" "credentials/carol/demo" \
  "{ uid = 0, exe = \"$(realpath "$credctl")\" }"
expect "credd restarts with a login grant narrowed to credctl-login" start_credd "$work/credd.toml"
expect "credd warns of a login grant narrowed to credctl, which matches no login" \
  grep -q "grant \"logins from credctl\": credentials:login narrowed to exe $(realpath "$credctl") matches no login" \
  "$work/credd.log"
expect "and of none narrowed to credctl-login" bash -c "! grep -q 'grant \"bob logins\": credentials:login narrowed' '$work/credd.log'"
rc=$(status_of "$credctl" policy check --user bob --provider demo --permission login)
expect "policy check --permission login checks as credctl-login: allowed (0)" test "$rc" -eq 0
expect "the decision names credctl-login and the grant" \
  grep -q "^allow: credentials:login on credentials/bob/demo for .*exe $helper_exe by .*bob logins" "$work/out"
rc=$(status_of "$credctl" policy check --user bob --provider demo --permission login --exe "$(realpath "$credctl")")
expect "with --exe naming credctl it is denied (3), as a login from credctl would be" test "$rc" -eq 3
rc=$(BROWSER=$oidc/browser status_of "$credctl" login --user bob --timeout 60 demo)
expect "the login itself is allowed, as policy check said (0)" test "$rc" -eq 0
"$credctl" whoami >"$work/whoami"
expect "whoami names the executable credd sees for a login" grep -q "^login exe:   $helper_exe " "$work/whoami"

# A copy of credctl with its commands module but without credctl-login
# beside it, run from a working directory under which another user planted
# ../libexec/credctl/credctl-login.
mkdir -p "$work/copy/bin" "$work/copy/libexec/credctl" "$work/planted/bin" "$work/planted/libexec/credctl"
cp "$credctl" "$work/copy/bin/credctl"
cp "$(dirname "$credctl")/../libexec/credctl/credctl-commands.so" "$work/copy/libexec/credctl/"
printf '#!/bin/sh\ntouch %s/planted-ran\n' "$work" >"$work/planted/libexec/credctl/credctl-login"
chmod 755 "$work/planted/libexec/credctl/credctl-login"
rc=$(cd "$work/planted/bin" && BROWSER=$oidc/browser status_of "$work/copy/bin/credctl" login demo)
expect "login without credctl-login fails as internal (1)" test "$rc" -eq 1
expect "the message names the missing program" \
  grep -q "cannot run $work/copy/bin/../libexec/credctl/credctl-login, which runs credctl login" "$work/err"
expect "nothing under the working directory was run" test ! -e "$work/planted-ran"
expect "the copy still prints tokens" bash -c "'$work/copy/bin/credctl' token demo | grep -q ."
expect "the copy still lists credentials" bash -c "'$work/copy/bin/credctl' list | grep -q '^demo'"

finish
