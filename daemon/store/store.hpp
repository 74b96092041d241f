// Store: the narrow interface between credd and wherever refresh tokens are
// kept (docs/design.md "The Store seam"). LmdbStore is the embedded default; a
// replicated backend (PostgreSQL rows, etcd transactions) implements the same
// calls.
//
// Every successful put() or erase() is durable before it returns: callers
// acknowledge a write to a client only after it.
//
// The refresh token is kept apart from the rest of a record: get() returns the
// record without it, and only refresh_token() opens it, for the moment of a
// refresh or a revocation (docs/store-format.md "`credentials`"). A record's
// other secret, the last access token, comes back in SecretBytes.
//
// Thread-safety: implementations are used from one thread at a time. credd
// calls them only through its one store::StoreRunner (store_runner.hpp):
// inline on the I/O thread (LMDB) or on the runner's store thread (etcd).
#pragma once

#include "common/error/error.hpp"
#include "common/secret/secret_bytes.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace credctl::store {

class ChangeFeed;
class RefreshLock;

struct CredentialKey {
    std::string user;
    std::string provider;
};

// refresh_pending: a refresh was sent and its answer not yet stored; found
// at rest without a refresh in progress it means credd died in between
// (daemon/tokens/token_service.hpp, crash safety under rotation).
enum class CredentialState : std::uint8_t { valid = 0, login_required = 1, refresh_pending = 2 };

// Everything stored about a credential except its refresh token.
struct CredentialRecord {
    SecretBytes access_token;            // the last one handed out; may be empty
    std::int64_t access_expires_at = 0;  // UTC epoch seconds
    std::string scope;
    std::string issuer;
    std::string subject;
    std::int64_t created_at = 0;
    std::int64_t updated_at = 0;
    std::uint64_t rotation = 0;  // how many times the refresh token was replaced
    CredentialState state = CredentialState::valid;
    // When the refresh token was last obtained or used: the login or the
    // last successful refresh (keep-alive, daemon/tokens/keep_alive.hpp).
    std::int64_t refreshed_at = 0;
};

class Store {
public:
    virtual ~Store() = default;
    // Inserts or replaces the record and its refresh token (a login, a
    // rotated refresh token); durable on success. store_full when out of space.
    [[nodiscard]] virtual Result<void> put(const CredentialKey& key, const CredentialRecord& record,
                                           const SecretBytes& refresh_token) = 0;
    // Replaces the record and keeps its refresh token as stored, without
    // opening it. not_found when absent; otherwise as put().
    [[nodiscard]] virtual Result<void> update(const CredentialKey& key, const CredentialRecord& record) = 0;
    // std::nullopt when absent; internal when the record does not open.
    [[nodiscard]] virtual Result<std::optional<CredentialRecord>> get(const CredentialKey& key) = 0;
    // The refresh token in the clear; the caller wipes it (SecretBytes) as
    // soon as the refresh or revocation is done. not_found when absent.
    [[nodiscard]] virtual Result<SecretBytes> refresh_token(const CredentialKey& key) = 0;
    // Keys of one user's credentials ("" lists everyone's).
    [[nodiscard]] virtual Result<std::vector<CredentialKey>> keys(const std::string& user) = 0;
    // True when something was removed; durable on success.
    [[nodiscard]] virtual Result<bool> erase(const CredentialKey& key) = 0;
    [[nodiscard]] virtual Result<std::uint64_t> count() = 0;
    // The fleet-wide refresh lock of a store that several credds share
    // (refresh_lock.hpp); nullptr for a store of one process (LMDB).
    [[nodiscard]] virtual RefreshLock* refresh_lock() { return nullptr; }
    // What other processes changed in a store that several credds share
    // (change_feed.hpp); nullptr when nobody else writes (LMDB) or nothing
    // follows the changes.
    [[nodiscard]] virtual ChangeFeed* change_feed() { return nullptr; }
};

}  // namespace credctl::store
