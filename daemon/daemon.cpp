#include "daemon/daemon.hpp"

#include "common/log/log.hpp"
#include "daemon/config/daemon_config.hpp"
#include "daemon/etcd/etcd_client.hpp"
#include "daemon/policy/policy.hpp"
#include "daemon/server/server.hpp"
#include "daemon/store/etcd_maintenance.hpp"
#include "daemon/store/etcd_store.hpp"
#include "daemon/store/lmdb_store.hpp"
#include "daemon/store/master_key.hpp"

#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace credctl::daemon {

Result<void> harden_process(int keep_fds) {
    // Order matters: nothing secret exists yet, and from here on no core
    // file, ptrace by the same uid or group-readable file can expose it.
    if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
        return make_error(Errc::internal, std::string("cannot make the process non-dumpable: ") + std::strerror(errno));
    }
    const struct rlimit no_core { 0, 0 };
    if (::setrlimit(RLIMIT_CORE, &no_core) != 0) {
        return make_error(Errc::internal, std::string("cannot disable core files: ") + std::strerror(errno));
    }
    ::umask(077);
    ::close_range(3U + static_cast<unsigned>(keep_fds), ~0U, 0);
    return {};
}

namespace {

// At start and at each reload.
Result<DaemonConfig> load_config(const Options& options) {
    auto config = load_config_for(options.mode, options.config_file);
    if (config) {
        for (const auto& w : policy::login_exe_warnings(config->policy)) log::warning(w);
    }
    return config;
}

struct OpenStore {
    std::unique_ptr<store::Store> store;
    store::Maintenance* maintenance = nullptr;  // check, backup, restore; rotation on LMDB only
    std::unique_ptr<store::Maintenance> owned;  // the etcd backend's (docs/fleet.md "Admin on etcd")
};

// docs/fleet.md: every host of a fleet holds the same master key.
Result<OpenStore> open_etcd_store(const DaemonConfig& config, store::MasterKey key) {
    const auto& e = config.store.etcd;
    etcd::ClientOptions options{e.endpoints, e.request_timeout, e.ca_file, e.cert_file, e.key_file};
    auto client = etcd::EtcdClient::create(options);
    if (!client) return make_error(client.error().code, "store: " + client.error().message);
    const store::Sealer master(std::move(key.key));
    auto st =
        store::EtcdStore::open(std::move(*client), e.prefix, master.clone(), std::chrono::seconds(e.lease_seconds));
    if (!st) return make_error(st.error().code, "store: " + st.error().message + " (key from " + key.source + ")");
    // Other hosts' logins, logouts and refreshes reach this credd's cache
    // (docs/fleet.md "Cache coherence").
    if (auto r = (*st)->follow_changes(options); !r) return make_error(r.error().code, "store: " + r.error().message);
    log::info("store: etcd at prefix " + e.prefix + " (" + std::to_string(e.endpoints.size()) +
              " endpoint(s)), master key from " + key.source);
    auto admin = std::make_unique<store::EtcdMaintenance>(**st, master.clone(), config.state_dir);
    store::Maintenance* maintenance = admin.get();
    return OpenStore{std::move(*st), maintenance, std::move(admin)};
}

// docs/store-format.md "Master key": systemd credential, then key_file, then
// (per-user) a generated key.
Result<OpenStore> open_store(const DaemonConfig& config, bool mode_may_generate) {
    const char* credentials = std::getenv("CREDENTIALS_DIRECTORY");
    auto key = store::find_master_key({credentials != nullptr ? credentials : "", config.key_file, config.state_dir,
                                       mode_may_generate && config.store.generate_key});
    if (!key) return key.error();
    if (config.store.backend == StoreBackend::etcd) return open_etcd_store(config, std::move(*key));
    store::LmdbOptions options;
    options.directory = config.state_dir;
    options.max_map_bytes = config.store.max_map_bytes;
    auto st = store::LmdbStore::open(options, store::Sealer(std::move(key->key)));
    if (!st) {
        return make_error(st.error().code,
                          "store " + config.state_dir + ": " + st.error().message + " (key from " + key->source + ")");
    }
    log::info("store open at " + config.state_dir + ", master key from " + key->source);
    store::Maintenance* maintenance = st->get();
    return OpenStore{std::move(*st), maintenance, nullptr};
}

}  // namespace

Result<void> run(const Options& options) {
    if (options.verbose) log::set_threshold(log::Level::debug);
    auto config = load_config(options);
    if (!config) return config.error();
    if (auto r = check_state_owner(options.mode, *config); !r) return r.error();
    // The mode decides whether a key may be generated (never in system mode).
    auto source = master_key_source(options.mode, *config);
    if (!source) return source.error();
    // The state directory holds the generated key too; create it first, and
    // its parents on a fresh account (~/.local/state), 0700 as the XDG base
    // directory spec asks.
    std::error_code parents_ec;
    std::filesystem::create_directories(std::filesystem::path(config->state_dir).parent_path(), parents_ec);
    if (::mkdir(config->state_dir.c_str(), 0700) != 0 && errno != EEXIST) {
        return make_error(Errc::internal,
                          "cannot create state directory " + config->state_dir + ": " + std::strerror(errno));
    }
    auto st = open_store(*config, source->create_if_missing);
    if (!st) return st.error();
    log::info(std::string(to_string(options.mode)) + " mode, " + std::to_string(config->providers.size()) +
              " provider(s) configured");
    return server::run_server(
        *config, *st->store, st->maintenance, [&options] { return load_config(options); },
        server::ServeOptions{options.listen_fd});
}

}  // namespace credctl::daemon
