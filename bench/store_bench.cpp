// credd_store_bench: fills and measures an LmdbStore directly, without the
// socket (docs/benchmarks.md). Also used by the rotation end-to-end test to
// create 100,000 records quickly.
//
//   credd_store_bench fill   STATE_DIR KEY_FILE COUNT [USER]
//       COUNT records in transactions of 500; with USER every record
//       belongs to USER (providers p0000000...), else to users u0000000...
//       with provider "bench". Prints the time taken.
//   credd_store_bench read   STATE_DIR KEY_FILE COUNT SECONDS [USER]
//       random get()s (LMDB lookup + XChaCha20-Poly1305 open + decode) of the
//       first COUNT records for SECONDS; prints gets per second.
//   credd_store_bench write  STATE_DIR KEY_FILE N
//       N durable single-record put()s (one fsync'd commit each); prints p50/p99.
#include "common/crypto/crypto.hpp"
#include "daemon/store/lmdb_store.hpp"
#include "daemon/store/master_key.hpp"

#include <sodium.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

using namespace credctl;
using Clock = std::chrono::steady_clock;

// Sizes of an opaque refresh token and access token, as oidc-provider and
// most providers issue them (43-byte base64url ids; some are much longer).
constexpr std::size_t k_refresh_bytes = 64;
constexpr std::size_t k_access_bytes = 64;
// Each record holds two SecretBytes (mlock'd, guard pages): a batch must stay
// well inside RLIMIT_MEMLOCK and vm.max_map_count.
constexpr std::size_t k_fill_batch = 500;

// One getrandom(2) per text, not one per character: the fill of 100,000
// records spent most of its time in those calls.
std::string random_text(std::size_t n) {
    static constexpr char k_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    static_assert(sizeof k_alphabet - 1 == 64, "a byte's low six bits pick a character uniformly");
    std::string s(n, 'x');
    randombytes_buf(s.data(), s.size());
    for (auto& c : s) c = k_alphabet[static_cast<unsigned char>(c) & 63];
    return s;
}

store::CredentialKey key_of(std::uint64_t i, const std::string& user) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%07llu", static_cast<unsigned long long>(i));
    if (user.empty()) return {std::string("u") + buf, "bench"};
    return {user, std::string("p") + buf};
}

store::CredentialRecord record_of(std::uint64_t i) {
    store::CredentialRecord r;
    r.access_token = SecretBytes::from("AT-" + std::to_string(i) + "-" + random_text(k_access_bytes));
    r.access_expires_at = std::time(nullptr) + 365 * 86400;
    r.scope = "openid offline_access";
    r.issuer = "https://login.example.com";
    r.subject = "subject-" + std::to_string(i);
    r.created_at = r.updated_at = std::time(nullptr);
    return r;
}

std::unique_ptr<store::LmdbStore> open_store(const std::string& dir, const std::string& key_file) {
    auto key = store::find_master_key({"", key_file, dir, false});
    if (!key) {
        std::fprintf(stderr, "%s\n", key.error().message.c_str());
        std::exit(1);
    }
    store::LmdbOptions o;
    o.directory = dir;
    auto s = store::LmdbStore::open(o, store::Sealer(std::move(key->key)));
    if (!s) {
        std::fprintf(stderr, "%s\n", s.error().message.c_str());
        std::exit(1);
    }
    return std::move(*s);
}

double seconds_since(Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
}

int fill(store::LmdbStore& s, std::uint64_t count, const std::string& user) {
    const auto t0 = Clock::now();
    std::vector<store::LmdbStore::NewCredential> batch;
    for (std::uint64_t i = 0; i < count; ++i) {
        batch.push_back({key_of(i, user), record_of(i), SecretBytes::from(random_text(k_refresh_bytes))});
        if (batch.size() == k_fill_batch || i + 1 == count) {
            if (auto r = s.put_batch(batch); !r) {
                std::fprintf(stderr, "fill: %s\n", r.error().message.c_str());
                return 1;
            }
            batch.clear();
        }
    }
    std::printf("filled %llu records in %.2f s\n", static_cast<unsigned long long>(count), seconds_since(t0));
    return 0;
}

int read(store::LmdbStore& s, std::uint64_t count, double seconds, const std::string& user) {
    std::uint64_t gets = 0;
    const auto t0 = Clock::now();
    while (seconds_since(t0) < seconds) {
        for (int j = 0; j < 1000; ++j, ++gets) {
            auto r = s.get(key_of(randombytes_uniform(static_cast<std::uint32_t>(count)), user));
            if (!r || !*r) {
                std::fprintf(stderr, "read: record missing or unreadable\n");
                return 1;
            }
        }
    }
    std::printf("%llu records: %.0f gets/s\n", static_cast<unsigned long long>(count),
                static_cast<double>(gets) / seconds_since(t0));
    return 0;
}

int write(store::LmdbStore& s, int n) {
    std::vector<double> us;
    for (int i = 0; i < n; ++i) {
        auto rec = record_of(static_cast<std::uint64_t>(i));
        auto refresh_token = SecretBytes::from(random_text(k_refresh_bytes));
        const auto t0 = Clock::now();
        if (auto r = s.put(key_of(static_cast<std::uint64_t>(i % 100), "writer"), rec, refresh_token); !r) {
            std::fprintf(stderr, "write: %s\n", r.error().message.c_str());
            return 1;
        }
        us.push_back(seconds_since(t0) * 1e6);
    }
    std::sort(us.begin(), us.end());
    std::printf("%d durable puts: p50 %.0f us, p99 %.0f us\n", n, us[us.size() / 2], us[us.size() * 99 / 100]);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (auto r = crypto::init(); !r) return 1;
    const std::string mode = argc > 1 ? argv[1] : "";
    if (mode == "fill" && (argc == 5 || argc == 6)) {
        auto s = open_store(argv[2], argv[3]);
        return fill(*s, std::strtoull(argv[4], nullptr, 10), argc == 6 ? argv[5] : "");
    }
    if (mode == "read" && (argc == 6 || argc == 7)) {
        auto s = open_store(argv[2], argv[3]);
        return read(*s, std::strtoull(argv[4], nullptr, 10), std::atof(argv[5]), argc == 7 ? argv[6] : "");
    }
    if (mode == "write" && argc == 5) {
        auto s = open_store(argv[2], argv[3]);
        return write(*s, std::atoi(argv[4]));
    }
    std::fprintf(stderr,
                 "usage: credd_store_bench fill STATE_DIR KEY_FILE COUNT [USER]\n"
                 "       credd_store_bench read STATE_DIR KEY_FILE COUNT SECONDS [USER]\n"
                 "       credd_store_bench write STATE_DIR KEY_FILE N\n");
    return 2;
}
