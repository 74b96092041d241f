#!/usr/bin/env bash
# The Debian package: built from the tree with cpack, installed with dpkg -i
# on this machine, its files where they belong, the credd user, directories
# and master key created, credd --check-config passing on the installed
# default config, the installed credd serving as user credd with the key as a
# systemd credential, then dpkg -r and dpkg -P leaving nothing behind.
# Usage: debian_package_test.sh CREDD CREDCTL   (run as root, as in CI)
set -uo pipefail
credd=$(realpath "$1")
credctl=$2
. "$(dirname "$0")/lib.sh"
build=$(cd "$(dirname "$credd")/.." && pwd)
here=$root/tests/integration

pkg_status() { /usr/bin/credctl status >/dev/null 2>&1; }

# Never replace (and then purge) an installation this test did not make.
if dpkg-query -W -f='${Status}' credctl 2>/dev/null | grep -q installed; then
  bad "credctl is already installed on this machine; remove it (dpkg -P credctl) to run this test"
  finish
fi

# The package creates the system user credd and, as is Debian practice, never
# deletes it; this test removes it again when it was not there before.
had_credd_user=0
id credd >/dev/null 2>&1 && had_credd_user=1

# --- cmake --install into a prefix ---------------------------------------------
p=$work/prefix
cmake --install "$build" --prefix "$p" >"$work/install.log" 2>&1
expect "cmake --install succeeds" test $? -eq 0
for f in sbin/credd bin/credctl lib/systemd/system/credd.socket lib/systemd/system/credd.service \
  lib/systemd/user/credd.socket lib/systemd/user/credd.service lib/sysusers.d/credd.conf lib/tmpfiles.d/credd.conf \
  etc/credctl/credd.toml share/man/man1/credctl.1 share/man/man5/credctl.toml.5 share/man/man8/credd.8 \
  share/bash-completion/completions/credctl; do
  expect "cmake --install: $f" test -f "$p/$f"
done
expect "the installed units name the installed credd and config" \
  grep -qx "ExecStart=$p/sbin/credd --system --config $p/etc/credctl/credd.toml" "$p/lib/systemd/system/credd.service"
expect "the user unit names the installed credd" grep -qx "ExecStart=$p/sbin/credd --user" "$p/lib/systemd/user/credd.service"

# --- the Debian package ----------------------------------------------------------

(cd "$build" && cpack -G DEB -B "$work/pkg") >"$work/cpack.log" 2>&1
expect "cpack builds the Debian package" test $? -eq 0
deb=$(ls "$work"/pkg/credctl_*_*.deb 2>/dev/null | head -1)
expect "the package is credctl_VERSION_ARCH.deb" test -f "$deb"
dpkg-deb -c "$deb" | awk '{print $NF}' | sed 's#^\./#/#' | grep -v '/$' | sort >"$work/contents"
echo "package contents:"; sed 's/^/  /' "$work/contents"

dpkg -i "$deb" >"$work/dpkg-i.log" 2>&1
expect "dpkg -i installs it" test $? -eq 0
expect "dpkg reports it installed" bash -c "dpkg-query -W -f='\${Status}' credctl | grep -q 'install ok installed'"
files=(/usr/sbin/credd /usr/bin/credctl /usr/libexec/credctl/credctl-login /usr/libexec/credctl/credctl-commands.so
  /usr/lib/systemd/system/credd.socket /usr/lib/systemd/system/credd.service
  /usr/lib/systemd/user/credd.socket /usr/lib/systemd/user/credd.service
  /usr/lib/sysusers.d/credd.conf /usr/lib/tmpfiles.d/credd.conf /etc/credctl/credd.toml
  /usr/share/man/man1/credctl.1 /usr/share/man/man5/credctl.toml.5 /usr/share/man/man8/credd.8
  /usr/share/bash-completion/completions/credctl)
for f in "${files[@]}"; do expect "installed: $f" test -f "$f"; done
expect "the package holds exactly those files" \
  test "$(printf '%s\n' "${files[@]}" | sort)" = "$(cat "$work/contents")"
expect "the installed credd and credctl run" bash -c "/usr/sbin/credd --version && /usr/bin/credctl --version" 
# credctl starts once per token: only glibc is loaded at start (cli/CMakeLists.txt).
ldd /usr/bin/credctl >"$work/credctl.ldd" 2>&1
echo "ldd /usr/bin/credctl:"; sed 's/^/  /' "$work/credctl.ldd"
# A sanitizer build (the asan preset) links its runtimes and the C++ runtime
# they need dynamically: those are allowed too, and only there.
allowed='linux-vdso|libc\.so\.6|ld-linux'
what="no shared library but glibc's"
if grep -q 'libasan\.so' "$work/credctl.ldd"; then
  allowed="$allowed|libasan\.so|libubsan\.so|libstdc\+\+\.so|libgcc_s\.so|libm\.so"
  what="no shared library but glibc's and the sanitizer build's runtimes"
fi
expect "the installed credctl loads $what" \
  bash -c "! grep -vE '$allowed' '$work/credctl.ldd' | grep -q ."
ldd /usr/libexec/credctl/credctl-login >"$work/credctl-login.ldd" 2>&1
expect "the installed credctl-login loads $what" \
  bash -c "! grep -vE '$allowed' '$work/credctl-login.ldd' | grep -q ."
ldd /usr/libexec/credctl/credctl-commands.so >"$work/credctl-commands.ldd" 2>&1
expect "the installed commands module loads $what" \
  bash -c "! grep -vE '$allowed' '$work/credctl-commands.ldd' | grep -q ."
# credctl links no TLS; credctl-login, which runs `credctl login`, does.
expect "credctl --version names the libraries linked in, OpenSSL in credctl-login only" \
  bash -c "/usr/bin/credctl --version | grep -q 'linked: static Boost.JSON [^;]*libsodium [^;]*dynamic glibc; commands ../libexec/credctl/credctl-commands.so, linked: static Boost [^;]*libsodium [^;]*dynamic glibc; login runs ../libexec/credctl/credctl-login, linked: static Boost .*OpenSSL .*libsodium .*dynamic glibc'"
expect "the installed credctl runs a command of its module" bash -c "/usr/bin/credctl status --help | grep -q 'credd'"
# credd keeps OpenSSL, libsodium and LMDB shared, for the distribution's
# security updates, and links the rest statically (daemon/CMakeLists.txt);
# a sanitizer build links everything dynamically.
ldd /usr/sbin/credd >"$work/credd.ldd" 2>&1
echo "ldd /usr/sbin/credd:"; sed 's/^/  /' "$work/credd.ldd"
expect "the installed credd loads libssl, libcrypto, libsodium and liblmdb" \
  bash -c "grep -q libssl '$work/credd.ldd' && grep -q libcrypto '$work/credd.ldd' && grep -q libsodium '$work/credd.ldd' \
    && grep -q liblmdb '$work/credd.ldd'"
if ! grep -q 'libasan\.so' "$work/credd.ldd"; then
  expect "the installed credd loads no Boost, toml++ or C++ runtime" \
    bash -c "! grep -qE 'libboost|libtomlplusplus|libstdc\+\+' '$work/credd.ldd'"
  expect "credd --version names the libraries linked in" \
    bash -c "/usr/sbin/credd --version | grep -q 'static Boost .*libstdc++ .*dynamic OpenSSL .*libsodium .*LMDB .*glibc'"
fi
expect "the credd system user exists" id credd
expect "/var/lib/credd is 0700 credd" test "$(stat -c '%a %U' /var/lib/credd)" = "700 credd"
expect "a master key was generated: 32 bytes, root, 0600" \
  test "$(stat -c '%s %U %a' /etc/credctl/credd.key)" = "32 root 600"
expect "/etc/credctl/credd.toml is a conffile" bash -c "dpkg-query -W -f='\${Conffiles}' credctl | grep -q /etc/credctl/credd.toml"
/usr/sbin/credd --system --check-config --config /etc/credctl/credd.toml >"$work/check.out" 2>&1
expect "credd --system --check-config passes on the installed default config" test $? -eq 0
expect "check-config names the system socket and state" \
  bash -c "grep -q '/run/credd/credd.sock' '$work/check.out' && grep -q '/var/lib/credd' '$work/check.out'"
expect "the installed service runs /usr/sbin/credd --system with /etc/credctl" \
  grep -qx 'ExecStart=/usr/sbin/credd --system --config /etc/credctl/credd.toml' /usr/lib/systemd/system/credd.service
expect "the installed service loads /etc/credctl/credd.key as a credential" \
  grep -qx 'LoadCredential=credd.key:/etc/credctl/credd.key' /usr/lib/systemd/system/credd.service
expect "systemd-analyze verify passes on the installed units" \
  systemd-analyze verify --man=no /usr/lib/systemd/system/credd.socket /usr/lib/systemd/system/credd.service

/usr/sbin/credd --system --config /etc/credctl/credd.toml 2>"$work/as-root.err"
expect "credd --system by hand as root refuses the credd user's /var/lib/credd" \
  grep -q "state directory /var/lib/credd belongs to uid $(id -u credd), not to uid 0" "$work/as-root.err"
expect "and leaves no root-owned file there" test -z "$(find /var/lib/credd -user root)"

# The installed credd, as systemd would run it: user credd, socket passed on
# fd 3, the key copied into a credentials directory owned by credd.
mkdir -p "$work/creds" "$work/sock"
chmod 755 "$work/sock"
install -o credd -g credd -m 0400 /etc/credctl/credd.key "$work/creds/credd.key"
chown credd:credd "$work/creds" && chmod 500 "$work/creds"
# root binds the socket (as systemd does), then setpriv execs credd as credd
# in the same process, so LISTEN_PID stays right.
CREDENTIALS_DIRECTORY="$work/creds" python3 "$here/sd_activate.py" "$work/sock/credd.sock" -- \
  setpriv --reuid=credd --regid=credd --init-groups /usr/sbin/credd --system --config /etc/credctl/credd.toml \
  2>"$work/installed-credd.log" &
credd_pid=$!
export CREDD_SOCKET=$work/sock/credd.sock
expect "the installed credd serves as user credd" wait_for 5 "the installed credd" pkg_status
expect "it runs as uid credd" test "$(stat -c %U /proc/$credd_pid)" = credd
expect "it took the key from the systemd credential" grep -q "master key from .*/credd.key (systemd credential)" "$work/installed-credd.log"
expect "its store is in /var/lib/credd" wait_for 3 "its store" test -f /var/lib/credd/data.mdb
expect "it writes the audit log the default config names" \
  test "$(stat -c '%U %a' /var/log/credd/audit.jsonl 2>/dev/null)" = "credd 600"
stop_credd
expect "it exits 0 on SIGTERM" test $? -eq 0

# The same with a provider: credctl (as root) logs in through a daemon that
# runs as the credd user, which it trusts with the refresh token.
start_provider --access-ttl 600
{ cat /etc/credctl/credd.toml; printf '[providers.demo]\nissuer = "%s"\nclient_id = "credctl-demo"\nscopes = ["openid", "offline_access"]\n' "$issuer"; } \
  >"$work/with-provider.toml"
chmod 644 "$work/with-provider.toml"
CREDENTIALS_DIRECTORY="$work/creds" python3 "$here/sd_activate.py" "$work/sock/credd.sock" -- \
  setpriv --reuid=credd --regid=credd --init-groups /usr/sbin/credd --system --config "$work/with-provider.toml" \
  2>>"$work/installed-credd.log" &
credd_pid=$!
expect "the installed credd with a provider answers" wait_for 5 "the installed credd" pkg_status
BROWSER=$oidc/browser /usr/bin/credctl login demo >/dev/null 2>"$work/pkg-login.err"
expect "credctl login hands the refresh token to credd running as user credd" test $? -eq 0
expect "the token it then serves is accepted by the provider" userinfo_ok "$(/usr/bin/credctl token demo)"
expect "the audit log recorded the decisions" grep -q '"decision"' /var/log/credd/audit.jsonl
stop_credd
expect "it exits 0 on SIGTERM again" test $? -eq 0

dpkg -r credctl >"$work/dpkg-r.log" 2>&1
expect "dpkg -r removes it" test $? -eq 0
left=0
for f in "${files[@]}"; do [ "$f" = /etc/credctl/credd.toml ] && continue; [ -e "$f" ] && { echo "left: $f"; left=1; }; done
expect "dpkg -r removes every file but the conffile" test $left -eq 0
expect "dpkg -r keeps the config and key (removed on purge)" test -f /etc/credctl/credd.toml -a -f /etc/credctl/credd.key
dpkg -P credctl >"$work/dpkg-p.log" 2>&1
expect "dpkg -P purges it" test $? -eq 0
expect "purge removes /etc/credctl, /var/lib/credd and /var/log/credd" \
  test ! -e /etc/credctl -a ! -e /var/lib/credd -a ! -e /var/log/credd
expect "dpkg no longer knows the package" bash -c "! dpkg-query -W -f='\${Status}' credctl 2>/dev/null | grep -q installed"
expect "the system user credd stays after purge (Debian practice)" id credd
if [ "$had_credd_user" -eq 0 ]; then
  userdel credd 2>"$work/userdel.err"
  expect "the test removes the credd user it caused" bash -c "! id credd >/dev/null 2>&1"
fi

finish
