// Fixtures of the unit tests that run TokenService or the API over real
// storage: an LmdbStore in a temporary directory, and a provider `demo`
// whose endpoints the test never reaches (its upstream is fake, or no
// request of the test goes to the provider).
#pragma once

#include "common/config/provider.hpp"
#include "daemon/store/lmdb_store.hpp"
#include "daemon/store/master_key.hpp"
#include "temp_dir.hpp"

#include <memory>

namespace credctl::test {

// A new store in `dir`/state under an all-zero master key.
[[nodiscard]] inline Result<std::unique_ptr<store::LmdbStore>> open_temp_store(const TempDir& dir) {
    store::LmdbOptions o;
    o.directory = dir.file("state");
    return store::LmdbStore::open(o, store::Sealer(SecretBytes::zeroed(store::k_master_key_bytes)));
}

[[nodiscard]] inline ProviderConfig unreachable_provider() {
    ProviderConfig p;
    p.name = "demo";
    p.authorization_endpoint = "http://127.0.0.1:1/authorize";
    p.token_endpoint = "http://127.0.0.1:1/token";
    p.client_id = "client";
    return p;
}

}  // namespace credctl::test
