// The admin routes of the daemon API (docs/api.md "Administration"): store
// figures, check, backup, restore and data-key rotation. The route table (routes.hpp)
// maps them to Permission::admin, so these handlers never check permissions.
//
// Rotation runs as one coroutine on the I/O thread that re-seals a bounded
// batch per durable transaction and yields between batches, so requests are
// served throughout; it resumes by itself when credd starts on a store whose
// rotation a crash interrupted.
//
// Thread-safety: I/O thread only.
#pragma once

#include "common/error/error.hpp"
#include "daemon/store/maintenance.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <string>

namespace boost::asio {
class io_context;
}

namespace credctl::store {
class StoreRunner;
}

namespace credctl::server {

struct ApiRequest;
struct ApiReply;

struct AdminState {
    store::Maintenance* store = nullptr;  // null: the backend has no maintenance
    boost::asio::io_context* io = nullptr;
    bool rotation_running = false;
    bool stopping = false;  // set at shutdown: the rotation stops after its batch
    std::uint64_t resealed = 0;
    std::string rotation_error;
    // Where store calls run (daemon/store/store_runner.hpp); null: inline.
    store::StoreRunner* runner = nullptr;
    std::uint64_t rotation_left = 0;  // records the last run left under an older key (etcd: in a refresh)
};

// Starts the rotation coroutine unless it runs already.
void start_rotation(AdminState& admin);

[[nodiscard]] boost::asio::awaitable<Result<ApiReply>> admin_store_status(AdminState& admin, const ApiRequest& request);
// Checks in batches, yielding between them, so a big store never stalls other requests.
[[nodiscard]] boost::asio::awaitable<Result<ApiReply>> admin_check(AdminState& admin, const ApiRequest& request);
[[nodiscard]] boost::asio::awaitable<Result<ApiReply>> admin_backup(AdminState& admin, const ApiRequest& request);
// Copies the credentials of the backup file named in the request into the
// store, never over a newer record (daemon/store/transfer.hpp): a restore,
// or the migration of an LMDB host into etcd. Store status, backup and
// restore run on the store runner (daemon/store/store_runner.hpp), so on etcd
// they never hold the I/O thread.
[[nodiscard]] boost::asio::awaitable<Result<ApiReply>> admin_restore(AdminState& admin, const ApiRequest& request);
// Starts (or continues) a rotation on the store runner: on etcd, installing
// the new data key is an etcd transaction, never made on the I/O thread.
[[nodiscard]] boost::asio::awaitable<Result<ApiReply>> admin_rotate_key(AdminState& admin, const ApiRequest& request);
// Loads the key file named in the request (owner and mode checked like
// key_file) and re-seals the store's keys under it, on the store runner.
[[nodiscard]] boost::asio::awaitable<Result<ApiReply>> admin_replace_master_key(AdminState& admin,
                                                                                const ApiRequest& request);

}  // namespace credctl::server
