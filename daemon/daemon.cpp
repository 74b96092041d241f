#include "daemon/daemon.hpp"

#include "common/log/log.hpp"
#include "daemon/config/daemon_config.hpp"
#include "daemon/server/server.hpp"
#include "daemon/store/lmdb_store.hpp"
#include "daemon/store/master_key.hpp"

#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace credctl::daemon {

Result<void> harden_process(int keep_fds) {
    // Order matters: nothing secret exists yet, and from here on no core
    // file, ptrace by the same uid or group-readable file can expose it.
    if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
        return make_error(Errc::internal, std::string("cannot make the process non-dumpable: ") + std::strerror(errno));
    }
    const struct rlimit no_core {0, 0};
    if (::setrlimit(RLIMIT_CORE, &no_core) != 0) {
        return make_error(Errc::internal, std::string("cannot disable core files: ") + std::strerror(errno));
    }
    ::umask(077);
    ::close_range(3U + static_cast<unsigned>(keep_fds), ~0U, 0);
    return {};
}

namespace {

Result<DaemonConfig> load_config(const Options& options) {
    return load_config_for(options.mode, options.config_file);
}

}  // namespace

Result<void> run(const Options& options) {
    if (options.verbose) log::set_threshold(log::Level::debug);
    auto config = load_config(options);
    if (!config) return config.error();
    if (auto r = check_state_owner(options.mode, *config); !r) return r.error();
    auto source = master_key_source(options.mode, *config);
    if (!source) return source.error();
    // The state directory holds the generated key too; create it first, and
    // its parents on a fresh account (~/.local/state), 0700 as the XDG base
    // directory spec asks.
    std::error_code parents_ec;
    std::filesystem::create_directories(std::filesystem::path(config->state_dir).parent_path(), parents_ec);
    if (::mkdir(config->state_dir.c_str(), 0700) != 0 && errno != EEXIST) {
        return make_error(Errc::internal, "cannot create state directory " + config->state_dir + ": " +
                                              std::strerror(errno));
    }
    auto key = store::load_master_key(source->path, source->create_if_missing ? store::KeyCreation::allow
                                                                             : store::KeyCreation::forbid);
    if (!key) return key.error();
    auto st = store::LmdbStore::open({config->state_dir}, store::Sealer(std::move(*key)));
    if (!st) return st.error();
    log::info(std::string(to_string(options.mode)) + " mode: store open at " + config->state_dir + " with " +
              std::to_string(config->providers.size()) + " provider(s), master key from " + source->origin);
    return server::run_server(*config, **st, [&options] { return load_config(options); },
                              server::ServeOptions{options.listen_fd});
}

}  // namespace credctl::daemon
