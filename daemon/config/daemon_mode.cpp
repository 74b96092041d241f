#include "daemon/config/daemon_mode.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace credctl::daemon {
namespace {

bool exists(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
}

}  // namespace

Mode default_mode() {
    // The user manager is not PID 1 and its notify socket lives under
    // /run/user/UID: both together mean the system manager started us.
    const char* notify = std::getenv("NOTIFY_SOCKET");
    const bool system_notify = notify != nullptr && std::strcmp(notify, "/run/systemd/notify") == 0;
    return (::getppid() == 1 && system_notify) ? Mode::system : Mode::user;
}

std::string default_config_file(Mode mode) {
    if (mode == Mode::system) return k_system_config;
    const char* xdg = std::getenv("XDG_CONFIG_HOME");
    if (xdg != nullptr && xdg[0] == '/') return std::string(xdg) + "/credctl/credd.toml";
    const char* home = std::getenv("HOME");
    return std::string(home != nullptr && home[0] == '/' ? home : "") + "/.config/credctl/credd.toml";
}

Result<DaemonConfig> mode_defaults(Mode mode) {
    auto c = default_user_config();  // the policy's defaults are the same in both modes
    if (!c || mode == Mode::user) return c;
    c->socket = k_system_socket;
    c->socket_mode = 0666;
    c->state_dir = k_system_state_dir;
    return c;
}

Result<DaemonConfig> load_config_for(Mode mode, const std::string& path) {
    auto defaults = mode_defaults(mode);
    if (!defaults) return defaults;
    const std::string file = config_file_for(mode, path);
    if (file.empty()) return defaults;
    return load_daemon_config(file, std::move(*defaults));
}

std::string config_file_for(Mode mode, const std::string& path) {
    if (!path.empty()) return path;
    std::string file = default_config_file(mode);
    return mode == Mode::user && !exists(file) ? "" : file;
}

Result<KeySource> master_key_source(Mode mode, const DaemonConfig& config) {
    if (const char* dir = std::getenv("CREDENTIALS_DIRECTORY"); dir != nullptr && dir[0] == '/') {
        const std::string path = std::string(dir) + "/" + k_credential_name;
        if (exists(path)) return KeySource{path, false, "systemd credential"};
    }
    if (!config.key_file.empty()) return KeySource{config.key_file, false, "key_file"};
    if (mode == Mode::system || !config.store.generate_key) {
        return make_error(Errc::internal,
                          std::string("no master key: ") +
                              (mode == Mode::system ? "system mode" : "store.generate_key = false") +
                              " needs the systemd credential credd.key "
                              "(LoadCredential=credd.key:/etc/credctl/credd.key) or key_file in the config");
    }
    return KeySource{config.state_dir + "/master.key", true, "generated"};
}

Result<void> check_state_owner(Mode mode, const DaemonConfig& config) {
    struct stat st {};
    if (mode != Mode::system || ::stat(config.state_dir.c_str(), &st) != 0) return {};
    if (st.st_uid == ::geteuid()) return {};
    return make_error(Errc::internal, "state directory " + config.state_dir + " belongs to uid " +
                                          std::to_string(st.st_uid) + ", not to uid " + std::to_string(::geteuid()) +
                                          " that credd runs as; start it with: systemctl start credd.socket");
}

const char* to_string(Mode mode) {
    return mode == Mode::system ? "system" : "user";
}

}  // namespace credctl::daemon
