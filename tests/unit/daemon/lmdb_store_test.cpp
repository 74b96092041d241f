#include "daemon/store/lmdb_store.hpp"

#include "support/sample_record.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <string>
#include <utility>

namespace credctl::store {
namespace {

using credctl::test::TempDir;

using test::key_of;

using test::record_tagged;

class LmdbStoreTest : public ::testing::Test {
protected:
    LmdbOptions options() const {
        LmdbOptions o;
        o.directory = dir_.file("state");
        o.max_map_bytes = std::size_t{16} << 20;
        return o;
    }
    std::unique_ptr<LmdbStore> open_with(unsigned char fill) const {
        auto s = LmdbStore::open(options(), Sealer(key_of(fill)));
        if (!s) ADD_FAILURE() << s.error().message;
        return s ? std::move(*s) : nullptr;
    }
    // A store under key 1 holding, in order, a record per key and refresh
    // token; null (and a failure) if it does not open.
    std::unique_ptr<LmdbStore> open_holding(
        std::initializer_list<std::pair<CredentialKey, std::string>> records) const {
        auto store = open_with(1);
        for (const auto& [key, refresh] : records) {
            if (store) put(*store, key, refresh);
        }
        return store;
    }
    // Stores a record under `k` whose refresh token is `refresh`.
    static void put(LmdbStore& store, const CredentialKey& k, const std::string& refresh) {
        ASSERT_TRUE(store.put(k, record_tagged(refresh), SecretBytes::from(refresh)).has_value()) << refresh;
    }
    static std::uint64_t count_of(LmdbStore& store) {
        auto n = store.count();
        EXPECT_TRUE(n.has_value()) << n.error().message;
        return n ? *n : ~std::uint64_t{0};
    }
    // Opening the store under the master key of `fill` fails as a key mismatch.
    void expect_key_refused(unsigned char fill) const {
        auto other = LmdbStore::open(options(), Sealer(key_of(fill)));
        ASSERT_FALSE(other.has_value());
        EXPECT_EQ(other.error().message, "master key does not match this store");
    }

    TempDir dir_;
};

TEST_F(LmdbStoreTest, PutThenGetReturnsTheRecord) {
    auto store = open_with(1);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->put({"alice", "github"}, record_tagged("RT-1", "s-1"), SecretBytes::from("RT-1")).has_value());
    auto got = store->get({"alice", "github"});
    ASSERT_TRUE(got.has_value()) << got.error().message;
    ASSERT_TRUE(got->has_value());
    const CredentialRecord& r = **got;
    auto refresh_token = store->refresh_token({"alice", "github"});
    ASSERT_TRUE(refresh_token.has_value()) << refresh_token.error().message;
    EXPECT_EQ(refresh_token->reveal(), "RT-1");
    EXPECT_EQ(r.access_token.reveal(), "AT-RT-1");
    EXPECT_EQ(r.subject, "s-1");
    EXPECT_EQ(r.issuer, "https://issuer.example");
    EXPECT_EQ(r.scope, "openid");
    EXPECT_EQ(r.access_expires_at, 1700000000);
    EXPECT_EQ(r.rotation, 3u);
}

TEST_F(LmdbStoreTest, GetOfAbsentKeyIsNullopt) {
    auto store = open_with(1);
    ASSERT_NE(store, nullptr);
    auto got = store->get({"alice", "nothing"});
    ASSERT_TRUE(got.has_value()) << got.error().message;
    EXPECT_FALSE(got->has_value());
}

TEST_F(LmdbStoreTest, PutReplacesExistingRecord) {
    auto store = open_holding({{{"alice", "github"}, "old"}, {{"alice", "github"}, "new"}});
    ASSERT_NE(store, nullptr);
    auto got = store->refresh_token({"alice", "github"});
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(got->reveal(), "new");
    EXPECT_EQ(count_of(*store), 1u);
}

TEST_F(LmdbStoreTest, KeysListsOneUserOrEveryone) {
    auto store = open_holding({{{"alice", "github"}, "a1"},
                               {{"alice", "google"}, "a2"},
                               {{"bob", "github"}, "b1"},
                               {{"alicex", "github"}, "x1"}});
    ASSERT_NE(store, nullptr);
    auto alice = store->keys("alice");
    ASSERT_TRUE(alice.has_value()) << alice.error().message;
    std::vector<std::string> names;
    for (const auto& k : *alice) {
        EXPECT_EQ(k.user, "alice");
        names.push_back(k.provider);
    }
    std::sort(names.begin(), names.end());
    EXPECT_EQ(names, (std::vector<std::string>{"github", "google"}));

    auto all = store->keys("");
    ASSERT_TRUE(all.has_value());
    EXPECT_EQ(all->size(), 4u);
    EXPECT_EQ(count_of(*store), 4u);
}

TEST_F(LmdbStoreTest, EraseRemovesOnlyThatRecord) {
    auto store = open_holding({{{"alice", "github"}, "a1"}, {{"alice", "google"}, "a2"}});
    ASSERT_NE(store, nullptr);
    auto erased = store->erase({"alice", "github"});
    ASSERT_TRUE(erased.has_value());
    EXPECT_TRUE(*erased);
    auto again = store->erase({"alice", "github"});
    ASSERT_TRUE(again.has_value());
    EXPECT_FALSE(*again);
    auto got = store->get({"alice", "github"});
    ASSERT_TRUE(got.has_value());
    EXPECT_FALSE(got->has_value());
    EXPECT_EQ(count_of(*store), 1u);
}

TEST_F(LmdbStoreTest, EmptyStoreCountsZero) {
    auto store = open_with(1);
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(count_of(*store), 0u);
}

TEST_F(LmdbStoreTest, ReopenWithSameKeySeesData) {
    {
        auto store = open_with(1);
        ASSERT_NE(store, nullptr);
        put(*store, {"alice", "github"}, "persisted");
    }
    auto store = open_with(1);
    ASSERT_NE(store, nullptr);
    auto got = store->refresh_token({"alice", "github"});
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(got->reveal(), "persisted");
}

TEST_F(LmdbStoreTest, ReopenWithAnotherKeyIsRefused) {
    {
        auto store = open_with(1);
        ASSERT_NE(store, nullptr);
        put(*store, {"alice", "github"}, "x");
    }
    expect_key_refused(2);
}

TEST_F(LmdbStoreTest, ReopenOfEmptyStoreWithAnotherKeyIsRefused) {
    { ASSERT_NE(open_with(1), nullptr); }
    expect_key_refused(2);
}

TEST_F(LmdbStoreTest, DataFileDoesNotContainTokensInTheClear) {
    const std::string canary = "CANARY-REFRESH-123456";
    {
        auto store = open_with(1);
        ASSERT_NE(store, nullptr);
        auto r = record_tagged(canary);
        r.access_token = SecretBytes::from("CANARY-ACCESS-654321");
        ASSERT_TRUE(store->put({"alice", "github"}, r, SecretBytes::from(canary)).has_value());
    }
    std::ifstream in(options().directory + "/data.mdb", std::ios::binary);
    ASSERT_TRUE(in.good());
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ASSERT_FALSE(bytes.empty());
    EXPECT_EQ(bytes.find(canary), std::string::npos);
    EXPECT_EQ(bytes.find("CANARY-ACCESS-654321"), std::string::npos);
    EXPECT_EQ(bytes.find("CANARY-REFRESH"), std::string::npos);
}

TEST_F(LmdbStoreTest, StateDirectoryIs0700AndDataFileIs0600) {
    auto store = open_holding({{{"alice", "github"}, "x"}});
    ASSERT_NE(store, nullptr);
    struct stat st {};
    ASSERT_EQ(::stat(options().directory.c_str(), &st), 0);
    EXPECT_TRUE(S_ISDIR(st.st_mode));
    EXPECT_EQ(st.st_mode & 07777, 0700u);
    ASSERT_EQ(::stat((options().directory + "/data.mdb").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0600u);
}

TEST_F(LmdbStoreTest, GroupReadableStateDirectoryIsRefused) {
    const std::string d = options().directory;
    ASSERT_EQ(::mkdir(d.c_str(), 0700), 0);
    ASSERT_EQ(::chmod(d.c_str(), 0750), 0);
    auto s = LmdbStore::open(options(), Sealer(key_of(1)));
    ASSERT_FALSE(s.has_value());
    EXPECT_NE(s.error().message.find("with mode 0700"), std::string::npos) << s.error().message;
}

// Enough records to span many pages.
bool fill_store(LmdbStore& store) {
    for (int i = 0; i < 300; ++i) {
        const auto user = "user" + std::to_string(i);
        if (!store.put({user, "github"}, record_tagged("RT-" + user), SecretBytes::from("RT-" + user))) return false;
    }
    return true;
}

off_t file_size(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 ? st.st_size : -1;
}

TEST_F(LmdbStoreTest, ADataFileCutShortIsRefusedAtOpenAndLeftAsItIs) {
    const std::string data = options().directory + "/data.mdb";
    {
        auto store = open_with(1);
        ASSERT_NE(store, nullptr);
        ASSERT_TRUE(fill_store(*store));
    }
    const off_t full = file_size(data);
    ASSERT_GT(full, 3 * 4096);
    ASSERT_EQ(::truncate(data.c_str(), 3 * 4096), 0);
    // Without the check, the first transaction reads a page past the end of
    // the file and the process dies of SIGBUS.
    auto s = LmdbStore::open(options(), Sealer(key_of(1)));
    ASSERT_FALSE(s.has_value());
    EXPECT_EQ(s.error().message, "store: " + options().directory +
                                     "/data.mdb is truncated: 12288 bytes, but its "
                                     "pages in use need " +
                                     std::to_string(full) + "; restore it from a backup (credctl admin backup)");
    EXPECT_EQ(file_size(data), 3 * 4096);
}

TEST_F(LmdbStoreTest, ADataFileCutShortBeforeItsMetaPagesIsRefusedAtOpen) {
    const std::string data = options().directory + "/data.mdb";
    {
        auto store = open_with(1);
        ASSERT_NE(store, nullptr);
        ASSERT_TRUE(fill_store(*store));
    }
    ASSERT_EQ(::truncate(data.c_str(), 4096 + 100), 0);
    auto s = LmdbStore::open(options(), Sealer(key_of(1)));
    ASSERT_FALSE(s.has_value());
    EXPECT_EQ(s.error().message, "store: " + options().directory +
                                     "/data.mdb is not an LMDB file, or is truncated before its meta pages; "
                                     "restore it from a backup (credctl admin backup)");
}

TEST_F(LmdbStoreTest, CheckReportsADataFileCutShortWhileOpen) {
    auto store = open_with(1);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(fill_store(*store));
    const std::string data = options().directory + "/data.mdb";
    ASSERT_EQ(::truncate(data.c_str(), 4096), 0);
    auto report = store->check();
    ASSERT_FALSE(report.has_value());
    EXPECT_NE(report.error().message.find("data.mdb is truncated: 4096 bytes"), std::string::npos)
        << report.error().message;
}

}  // namespace
}  // namespace credctl::store
