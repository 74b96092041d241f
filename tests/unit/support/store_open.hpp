// Helpers of the tests that move credentials between stores (transfer_test,
// etcd_maintenance_test): a small LmdbStore in a temporary directory under a
// master key made of one byte (key_of), failing the test when it does not
// open; a record of a given version, and putting one; a credential's refresh
// token as text.
#pragma once

#include "daemon/store/lmdb_store.hpp"
#include "support/sample_record.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>

namespace credctl::test {

inline std::unique_ptr<store::LmdbStore> open_small_lmdb(const TempDir& dir, const std::string& name,
                                                         unsigned char key = 1) {
    store::LmdbOptions o;
    o.directory = dir.file(name);
    o.initial_map_bytes = std::size_t{1} << 20;
    auto s = store::LmdbStore::open(o, store::Sealer(key_of(key)));
    EXPECT_TRUE(s) << (s ? "" : s.error().message);
    return s ? std::move(*s) : nullptr;
}

// record_tagged(tag) written at `updated_at` after `rotation` rotations.
inline store::CredentialRecord record_version(const std::string& tag, std::int64_t updated_at, std::uint64_t rotation) {
    auto r = record_tagged(tag);
    r.updated_at = updated_at;
    r.rotation = rotation;
    return r;
}

// Puts record_version(tag, updated_at, rotation) at `k` with the refresh
// token "RT-" TAG.
[[nodiscard]] inline Result<void> put_version(store::Store& s, const store::CredentialKey& k, const std::string& tag,
                                              std::int64_t updated_at, std::uint64_t rotation) {
    return s.put(k, record_version(tag, updated_at, rotation), SecretBytes::from("RT-" + tag));
}

inline std::string refresh_of(store::Store& s, const store::CredentialKey& k) {
    auto t = s.refresh_token(k);
    return t ? std::string(t->reveal()) : "error: " + t.error().message;
}

}  // namespace credctl::test
