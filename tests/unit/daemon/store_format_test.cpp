// docs/store-format.md, checked byte by byte: a record sealed by the store is
// opened here by plain LMDB and libsodium using only what the document says
// (data keys, header layout, associated data, plaintext layout). If the code and the document
// drift apart, this fails.
#include "daemon/store/lmdb_store.hpp"
#include "support/sample_record.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>
#include <lmdb.h>
#include <sodium.h>

#include <string>

namespace credctl::store {
namespace {

std::string be32(std::uint32_t v) {
    std::string s;
    for (int shift = 24; shift >= 0; shift -= 8) s.push_back(static_cast<char>((v >> shift) & 0xff));
    return s;
}

std::string le32(std::uint32_t v) {
    std::string s;
    for (int shift = 0; shift < 32; shift += 8) s.push_back(static_cast<char>((v >> shift) & 0xff));
    return s;
}

std::string le64(std::uint64_t v) {
    std::string s;
    for (int shift = 0; shift < 64; shift += 8) s.push_back(static_cast<char>((v >> shift) & 0xff));
    return s;
}

std::string lv(const std::string& s) {
    return le32(static_cast<std::uint32_t>(s.size())) + s;
}

// Opens a sealed value as the document describes it; "" when it does not open.
std::string open_documented(const std::string& key, std::uint32_t key_id, const std::string& database,
                            const std::string& record_key, const std::string& sealed) {
    // Header: version 1, key id big-endian, 24-byte nonce.
    if (sealed.size() < 1 + 4 + 24 + 16 || sealed[0] != '\x01' || sealed.substr(1, 4) != be32(key_id)) return "";
    const std::string nonce = sealed.substr(5, 24);
    const std::string cipher = sealed.substr(29);
    // Associated data: "credctl-store", version, key id, then database and
    // record key, each with a 4-byte big-endian length.
    const std::string ad = "credctl-store" + std::string(1, '\x01') + be32(key_id) +
                           be32(static_cast<std::uint32_t>(database.size())) + database +
                           be32(static_cast<std::uint32_t>(record_key.size())) + record_key;
    std::string plain(cipher.size() - crypto_aead_xchacha20poly1305_ietf_ABYTES, '\0');
    unsigned long long plen = 0;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(reinterpret_cast<unsigned char*>(plain.data()), &plen, nullptr,
                                                   reinterpret_cast<const unsigned char*>(cipher.data()), cipher.size(),
                                                   reinterpret_cast<const unsigned char*>(ad.data()), ad.size(),
                                                   reinterpret_cast<const unsigned char*>(nonce.data()),
                                                   reinterpret_cast<const unsigned char*>(key.data())) != 0) {
        return "";
    }
    return plain;
}

// The master key's id: BLAKE2b-128 keyed with the key over "credctl key id",
// first 4 bytes big-endian.
std::uint32_t master_key_id(const std::string& key) {
    unsigned char h[16];
    const std::string msg = "credctl key id";
    crypto_generichash(h, sizeof h, reinterpret_cast<const unsigned char*>(msg.data()), msg.size(),
                       reinterpret_cast<const unsigned char*>(key.data()), key.size());
    return (std::uint32_t{h[0]} << 24) | (std::uint32_t{h[1]} << 16) | (std::uint32_t{h[2]} << 8) | h[3];
}

// One value of a database in the store's data.mdb, read with plain LMDB.
std::string raw_value(const std::string& dir, const std::string& database, const std::string& key) {
    MDB_env* env = nullptr;
    mdb_env_create(&env);
    mdb_env_set_maxdbs(env, 4);
    std::string out;
    if (mdb_env_open(env, dir.c_str(), MDB_RDONLY, 0600) == 0) {
        MDB_txn* txn = nullptr;
        MDB_dbi dbi = 0;
        if (mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn) == 0 && mdb_dbi_open(txn, database.c_str(), 0, &dbi) == 0) {
            MDB_val k{key.size(), const_cast<char*>(key.data())};
            MDB_val v{};
            if (mdb_get(txn, dbi, &k, &v) == 0) out.assign(static_cast<const char*>(v.mv_data), v.mv_size);
        }
        if (txn != nullptr) mdb_txn_abort(txn);
    }
    mdb_env_close(env);
    return out;
}

TEST(StoreFormat, AStoredRecordOpensWithOnlyTheDocumentedLayout) {
    credctl::test::TempDir dir;
    auto key = SecretBytes::zeroed(k_master_key_bytes);
    randombytes_buf(key.data(), key.size());
    const std::string raw_master(key.reveal());
    const CredentialRecord r = test::sample_record();
    {
        LmdbOptions o;
        o.directory = dir.file("state");
        auto store = LmdbStore::open(o, Sealer(std::move(key)));
        ASSERT_TRUE(store.has_value()) << store.error().message;
        ASSERT_TRUE((*store)->put({"alice", "github"}, r, SecretBytes::from("RT-canary-1")).has_value());
    }
    const std::string state = dir.file("state");

    // meta: data key 1, sealed under the master key with its own record key.
    const std::string data_key_name = "data_key/" + be32(1);
    const std::string data_key = open_documented(raw_master, master_key_id(raw_master), "meta", data_key_name,
                                                 raw_value(state, "meta", data_key_name));
    ASSERT_EQ(data_key.size(), k_master_key_bytes);

    // credentials: the record, sealed under data key 1.
    const std::string record_key("alice\0github", 12);
    const std::string plain =
        open_documented(data_key, 1, "credentials", record_key, raw_value(state, "credentials", record_key));
    ASSERT_FALSE(plain.empty());
    // Plaintext: strings as u32 LE length + bytes, integers as u64 LE, in
    // the documented order; field 1 is the refresh token sealed apart.
    const std::uint32_t inner_len =
        static_cast<std::uint32_t>(plain[0] & 0xff) | static_cast<std::uint32_t>(plain[1] & 0xff) << 8 |
        static_cast<std::uint32_t>(plain[2] & 0xff) << 16 | static_cast<std::uint32_t>(plain[3] & 0xff) << 24;
    ASSERT_LT(inner_len + 4, plain.size());
    const std::string inner = plain.substr(4, inner_len);
    const std::string expected_rest = lv("AT-abcdef") + le64(1700000123) + lv("openid email offline_access") +
                                      lv("https://issuer.example") + lv("subject-42") + le64(1600000000) +
                                      le64(1650000000) + le64(7) + le64(1) + le64(1640000000);
    EXPECT_EQ(plain.substr(4 + inner_len), expected_rest);
    // Opening the record does not reveal the refresh token ...
    EXPECT_EQ(plain.find("RT-canary-1"), std::string::npos);
    // ... only opening its own seal does, under the name "refresh_token".
    EXPECT_EQ(open_documented(data_key, 1, "refresh_token", record_key, inner), "RT-canary-1");
    EXPECT_EQ(open_documented(data_key, 1, "credentials", record_key, inner), "");
}

}  // namespace
}  // namespace credctl::store
