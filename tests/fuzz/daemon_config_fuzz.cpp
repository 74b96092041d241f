// credd's TOML config with its policy (daemon/config): what the loader
// accepts has every integer key within the bounds of its row
// (config_keys.hpp), and the same TOML written back out by toml++ loads to
// a config with no difference (config_diff.hpp). Every refusal names the
// file.
#include "daemon/config/config_diff.hpp"
#include "daemon/config/config_keys.hpp"
#include "daemon/config/daemon_config.hpp"
#include "fuzz_check.hpp"
#include "fuzz_file.hpp"

#include <sodium.h>

#include <toml++/toml.h>

#include <charconv>
#include <sstream>
#include <vector>

using namespace credctl;

namespace {

// Removed at exit, with its directory.
fuzz::ScratchFile& scratch() {
    static fuzz::ScratchFile file("credd.toml");
    return file;
}

void check_bounds(const daemon::DaemonConfig& c) {
    for (const auto& row : daemon::config_keys()) {
        if (row.type != daemon::KeyType::integer || row.value == nullptr) continue;
        const std::string text = row.value(c);
        std::int64_t v = 0;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
        if (ec != std::errc() || end != text.data() + text.size()) continue;  // not a plain decimal
        fuzz::check(v >= row.min && v <= row.max, "an accepted integer key is within its row's bounds");
    }
}

// Every path the config names reaches the system whole.
void check_paths(const daemon::DaemonConfig& c) {
    std::vector<const std::string*> paths{&c.socket, &c.state_dir, &c.key_file, &c.audit_file};
    for (const auto& p : c.providers) {
        paths.push_back(&p.ca_file);
        paths.push_back(&p.client_secret_file);
    }
    for (const auto* p : paths) fuzz::check(p->find('\0') == std::string::npos, "a path holds no NUL", *p);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    ::setenv("XDG_RUNTIME_DIR", "/run/user/0", 1);
    ::setenv("XDG_STATE_HOME", "/root/.local/state", 1);
    (void)scratch();
    return sodium_init() < 0 ? 1 : 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto in = fuzz::bytes(data, size);
    const auto first = daemon::load_daemon_config(scratch().write(in));
    if (!first) {
        fuzz::check(first.error().message.find("credd.toml:") != std::string::npos, "a refused config names the file",
                    first.error().message);
        return 0;
    }
    check_bounds(*first);
    check_paths(*first);
    std::ostringstream again;
    try {
        again << toml::parse(in);
    } catch (const toml::parse_error&) {
        fuzz::check(false, "what the loader accepted is TOML");
    }
    const auto second = daemon::load_daemon_config(scratch().write(again.str()));
    fuzz::check(second.has_value(), "an accepted config written back out is accepted again");
    fuzz::check(daemon::diff_config(*first, *second).empty(), "an accepted config written back out is the same");
    return 0;
}
