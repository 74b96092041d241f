// Wire types of the admin API (docs/api.md "Administration", credctl admin):
// store figures and key rotation progress, the result of a check, a
// backup or restore request and the result of a restore. None of them ever holds a secret.
//
// Thread-safety: pure functions on values.
#pragma once

#include "common/error/error.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace credctl::wire {

// GET /v1/admin/store
struct StoreStatus {
    std::int64_t records = 0;
    std::int64_t used_bytes = 0;
    std::int64_t map_bytes = 0;
    std::int64_t max_map_bytes = 0;
    std::int64_t current_key = 0;
    std::vector<std::int64_t> keys;  // more than one: a rotation is in progress
    bool rotating = false;
    std::int64_t resealed = 0;   // records re-sealed by the rotation since credd started
    std::string rotation_error;  // why the last rotation stopped, if it did
    std::int64_t left = 0;       // records the last run left under an older key (etcd: in a refresh)
};

struct CheckFailureInfo {
    std::string credential;  // "alice/github"
    std::string reason;
};

// POST /v1/admin/check
struct CheckResult {
    std::int64_t records = 0;
    std::int64_t opened = 0;
    std::vector<CheckFailureInfo> failures;
};

// POST /v1/admin/backup: request {"path"}, reply {"path", "bytes"}.
struct Backup {
    std::string path;
    std::int64_t bytes = 0;
};

// POST /v1/admin/restore: request {"path"} (as Backup), reply a RestoreResult:
// what became of each credential of the backup (never a secret).
struct RestoreItem {
    std::string credential;  // "alice/github"
    std::string outcome;     // moved, skipped, refused or failed
    std::string reason;      // empty when moved
};

struct RestoreResult {
    std::int64_t moved = 0;
    std::int64_t skipped = 0;
    std::int64_t refused = 0;
    std::int64_t failed = 0;
    std::vector<RestoreItem> items;
};

// POST /v1/admin/master-key: {"path"} of the new master key file.
struct KeyFile {
    std::string path;
};

[[nodiscard]] std::string to_json(const StoreStatus& v);
[[nodiscard]] Result<StoreStatus> parse_store_status(std::string_view body);
[[nodiscard]] std::string to_json(const CheckResult& v);
[[nodiscard]] Result<CheckResult> parse_check_result(std::string_view body);
[[nodiscard]] std::string to_json(const Backup& v);
// Errors: bad_request when the body is not an object with a string "path".
[[nodiscard]] Result<Backup> parse_backup(std::string_view body);
[[nodiscard]] std::string to_json(const RestoreResult& v);
[[nodiscard]] Result<RestoreResult> parse_restore_result(std::string_view body);
[[nodiscard]] std::string to_json(const KeyFile& v);
// Errors: bad_request when the body is not an object with a string "path".
[[nodiscard]] Result<KeyFile> parse_key_file(std::string_view body);

}  // namespace credctl::wire
