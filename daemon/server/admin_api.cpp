#include "daemon/server/admin_api.hpp"

#include "common/log/log.hpp"
#include "common/wire/admin_wire.hpp"
#include "daemon/server/api.hpp"
#include "daemon/store/master_key.hpp"
#include "daemon/store/store_runner.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <optional>

namespace credctl::server {
namespace {

namespace asio = boost::asio;

// One durable transaction per batch, and the longest a request waits behind
// the rotation: 200 re-seals take about 20-40 ms (each plaintext passes
// through a fresh guarded allocation).
constexpr std::size_t k_rotation_batch = 200;
// Opening a record costs about as much as re-sealing one: same bound.
constexpr std::size_t k_check_batch = 200;

Result<store::Maintenance*> maintenance(AdminState& a) {
    if (a.store == nullptr) return make_error(Errc::not_found, "this store backend has no maintenance operations");
    return a.store;
}

ApiReply json_reply(int status, SecretString body) {
    return ApiReply{status, std::move(body), "application/json"};
}

template <class F>
asio::awaitable<std::invoke_result_t<F&>> run_here(F call) {
    co_return call();
}

// A maintenance call takes its turn with every other store call
// (daemon/store/store_runner.hpp). Not a coroutine: see GCC PR 99576 in
// server.cpp; for the same reason `call` captures by reference only (a
// captured std::string would be destroyed twice).
template <class F>
asio::awaitable<std::invoke_result_t<F&>> on_store(AdminState& a, F call) {
    if (a.runner == nullptr) return run_here(std::move(call));
    return a.runner->run([call = std::move(call)](store::Store&) mutable { return call(); });
}

// A free function, not a lambda: see GCC PR 99576 in server.cpp.
asio::awaitable<void> rotate(AdminState& a) {
    auto executor = co_await asio::this_coro::executor;
    while (!a.stopping) {
        auto step = co_await on_store(a, [&a] { return a.store->rotate_batch(k_rotation_batch); });
        if (!step) {
            a.rotation_error = step.error().message;
            log::error("key rotation stopped: " + step.error().message);
            break;
        }
        a.resealed += step->resealed;
        if (step->done && step->left > 0) {
            a.rotation_left = step->left;
            log::info("key rotation run over: " + std::to_string(step->left) +
                      " records left under an older key (in a refresh); rotate-key again re-seals them");
            break;
        }
        if (step->done) {
            log::info("key rotation done: " + std::to_string(a.resealed) + " records re-sealed, old keys retired");
            break;
        }
        co_await asio::post(executor, asio::use_awaitable);  // let waiting requests run
    }
    a.rotation_running = false;
}

}  // namespace

void start_rotation(AdminState& a) {
    if (a.rotation_running || a.store == nullptr || a.io == nullptr) return;
    a.rotation_running = true;
    a.rotation_error.clear();
    a.rotation_left = 0;
    asio::co_spawn(*a.io, rotate(a), asio::detached);
}

namespace {

// The store's figures and whether a rotation runs in it, read together on
// the store's thread: a rotation step, there, changes what rotating() reads.
struct StoreView {
    Result<store::StoreInfo> info;
    bool rotating = false;
};
asio::awaitable<StoreView> view_of(AdminState& a, store::Maintenance* m) {
    return on_store(a, [m] { return StoreView{m->info(), m->rotating()}; });
}

ApiReply status_reply(const AdminState& a, const StoreView& view, std::optional<std::uint64_t> resealed = {}) {
    const store::StoreInfo& info = *view.info;
    wire::StoreStatus s;
    s.records = static_cast<std::int64_t>(info.records);
    s.used_bytes = static_cast<std::int64_t>(info.used_bytes);
    s.map_bytes = static_cast<std::int64_t>(info.map_bytes);
    s.max_map_bytes = static_cast<std::int64_t>(info.max_map_bytes);
    s.current_key = info.current_key;
    for (auto id : info.keys) s.keys.push_back(id);
    // On etcd older keys stay stored after a run that left records; the
    // rotation is running only while a run is.
    s.rotating = info.keys.size() > 1 && (a.rotation_running || view.rotating);
    s.left = static_cast<std::int64_t>(a.rotation_left);
    s.resealed = static_cast<std::int64_t>(resealed.value_or(a.resealed));
    s.rotation_error = a.rotation_error;
    return json_reply(200, wire::to_json(s));
}

}  // namespace

asio::awaitable<Result<ApiReply>> admin_store_status(AdminState& a, const ApiRequest&) {
    auto m = maintenance(a);
    if (!m) co_return m.error();
    auto view = co_await view_of(a, *m);
    if (!view.info) co_return view.info.error();
    co_return status_reply(a, view);
}

asio::awaitable<Result<ApiReply>> admin_check(AdminState& a, const ApiRequest&) {
    auto m = maintenance(a);
    if (!m) co_return m.error();
    auto executor = co_await asio::this_coro::executor;
    wire::CheckResult c;
    std::string from;
    do {
        auto part = co_await on_store(a, [&] { return (*m)->check_batch(from, k_check_batch); });
        if (!part) co_return part.error();
        c.records += static_cast<std::int64_t>(part->records);
        c.opened += static_cast<std::int64_t>(part->opened);
        for (const auto& f : part->failures) c.failures.push_back({f.key.user + "/" + f.key.provider, f.reason});
        from = std::move(part->next);
        if (!from.empty()) co_await asio::post(executor, asio::use_awaitable);  // let waiting requests run
        if (a.stopping) co_return make_error(Errc::internal, "credd is stopping; the check was interrupted");
    } while (!from.empty());
    log::info("store check: " + std::to_string(c.opened) + " of " + std::to_string(c.records) + " records open");
    co_return json_reply(200, wire::to_json(c));
}

asio::awaitable<Result<ApiReply>> admin_backup(AdminState& a, const ApiRequest& r) {
    auto m = maintenance(a);
    if (!m) co_return m.error();
    auto req = wire::parse_backup(r.body);
    if (!req) co_return req.error();
    auto bytes = co_await on_store(a, [&m, &req] { return (*m)->backup(req->path); });
    if (!bytes) co_return bytes.error();
    log::info("store backup written to " + req->path + " (" + std::to_string(*bytes) + " bytes)");
    co_return json_reply(200, wire::to_json(wire::Backup{req->path, static_cast<std::int64_t>(*bytes)}));
}

asio::awaitable<Result<ApiReply>> admin_restore(AdminState& a, const ApiRequest& r) {
    auto m = maintenance(a);
    if (!m) co_return m.error();
    auto req = wire::parse_backup(r.body);
    if (!req) co_return req.error();
    auto report = co_await on_store(a, [&m, &req] { return (*m)->restore(req->path); });
    if (!report) co_return report.error();
    wire::RestoreResult out{static_cast<std::int64_t>(report->moved),
                            static_cast<std::int64_t>(report->skipped),
                            static_cast<std::int64_t>(report->refused),
                            static_cast<std::int64_t>(report->failed),
                            {}};
    for (const auto& i : report->items) {
        out.items.push_back({i.key.user + "/" + i.key.provider, std::string(store::to_string(i.outcome)), i.reason});
    }
    log::info("store restore from " + req->path + ": " + std::to_string(out.moved) + " moved, " +
              std::to_string(out.skipped) + " skipped, " + std::to_string(out.refused) + " refused (newer here), " +
              std::to_string(out.failed) + " failed");
    co_return json_reply(200, wire::to_json(out));
}

asio::awaitable<Result<ApiReply>> admin_rotate_key(AdminState& a, const ApiRequest&) {
    auto m = maintenance(a);
    if (!m) co_return m.error();
    auto id = co_await on_store(a, [&m] { return (*m)->begin_rotation(); });
    if (!id) co_return id.error();
    log::info("key rotation to data key " + std::to_string(*id) + " started");
    const std::uint64_t resealed_before = a.resealed;  // the CLI counts this run's from it
    start_rotation(a);
    auto view = co_await view_of(a, *m);
    if (!view.info) co_return view.info.error();
    auto reply = status_reply(a, view, resealed_before);
    reply.status = 202;
    co_return reply;
}

asio::awaitable<Result<ApiReply>> admin_replace_master_key(AdminState& a, const ApiRequest& r) {
    auto m = maintenance(a);
    if (!m) co_return m.error();
    auto req = wire::parse_key_file(r.body);
    if (!req) co_return req.error();
    if (req->path.empty() || req->path.front() != '/') {
        co_return make_error(Errc::bad_request, "master key path must be absolute: \"" + req->path + "\"");
    }
    auto key = store::load_master_key(req->path, store::KeyCreation::forbid);
    if (!key) co_return make_error(Errc::bad_request, key.error().message);
    auto done = co_await on_store(a, [&m, &key] { return (*m)->replace_master_key(std::move(*key)); });
    if (!done) co_return done.error();
    log::info("master key replaced by " + req->path + "; credd needs it (key_file or credd.key) at its next start");
    co_return json_reply(200, wire::to_json(*req));
}

}  // namespace credctl::server
