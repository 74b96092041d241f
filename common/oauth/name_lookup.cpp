#include "common/oauth/name_lookup.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <system_error>
#include <thread>
#include <utility>

namespace credctl::http {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

std::atomic<int> g_running{0};
std::atomic<std::uint64_t> g_started{0};

// What a lookup's thread and its awaiters share. The thread signals the
// answer on an eventfd, never read, so that it stays readable for every
// awaiter, each waiting on a copy of it in its own io_context: nothing is
// posted to an io_context from another thread, which might be gone by then.
struct Pending {
    std::mutex mutex;
    Lookup answer;
    int event = -1;
    ~Pending() {
        if (event >= 0) ::close(event);
    }
};

// The lookups under way by "host:port": an awaiter of a name being looked
// up waits for that lookup rather than start another, so that a name whose
// DNS hangs holds one thread, however many exchanges ask for it. Never
// destroyed: a lookup's thread may still use it while the process exits.
struct Inflight {
    std::mutex mutex;
    std::map<std::string, std::weak_ptr<Pending>> lookups;
};
Inflight& inflight() {
    static auto* const table = new Inflight;
    return *table;
}

void resolve(const std::shared_ptr<Pending>& p, const std::string& host, const std::string& port) {
    Lookup answer;
    try {
        asio::io_context io;
        tcp::resolver resolver(io);
        const auto found = resolver.resolve(host, port, answer.error);
        if (!answer.error) {
            for (const auto& entry : found) answer.endpoints.push_back(entry.endpoint());
        }
    } catch (const std::exception&) {
        answer.error = asio::error::no_memory;
    }
    {
        std::lock_guard lock(p->mutex);
        p->answer = std::move(answer);
    }
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto n = ::write(p->event, &one, sizeof one);
}

// The lookup of `key` under way, or a new one started on its own thread;
// null when none can be started (*error says why).
std::shared_ptr<Pending> join_or_start(const std::string& host, const std::string& port,
                                       boost::system::error_code* error) {
    const std::string key = host + ":" + port;
    Inflight& table = inflight();
    std::lock_guard lock(table.mutex);
    if (auto it = table.lookups.find(key); it != table.lookups.end()) {
        if (auto p = it->second.lock()) return p;
        table.lookups.erase(it);
    }
    if (g_running.load() >= k_max_lookups) {
        *error = asio::error::host_not_found_try_again;
        return nullptr;
    }
    auto p = std::make_shared<Pending>();
    p->event = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (p->event < 0) {
        *error = boost::system::error_code(errno, boost::system::system_category());
        return nullptr;
    }
    try {
        std::thread([p, host, port, key, &table] {
            resolve(p, host, port);
            std::lock_guard done(table.mutex);
            if (auto it = table.lookups.find(key); it != table.lookups.end() && it->second.lock() == p) {
                table.lookups.erase(it);
            }
            --g_running;
        }).detach();
    } catch (const std::system_error& e) {
        *error = e.code();
        return nullptr;
    }
    ++g_running;
    ++g_started;
    table.lookups[key] = p;
    return p;
}

}  // namespace

int lookups_running() {
    return g_running.load();
}

std::uint64_t lookups_started() {
    return g_started.load();
}

asio::awaitable<Lookup> look_up(std::string host, std::string port, std::chrono::steady_clock::time_point deadline) {
    boost::system::error_code error;
    const auto p = join_or_start(host, port, &error);
    if (!p) co_return Lookup{error, {}};
    const int awaited = ::dup(p->event);
    if (awaited < 0) co_return Lookup{boost::system::error_code(errno, boost::system::system_category()), {}};
    auto ex = co_await asio::this_coro::executor;
    // Shared with the timer's handler, which may run after this frame ended
    // (the deadline passed as the answer came).
    std::shared_ptr<asio::posix::stream_descriptor> answered;
    try {
        answered = std::make_shared<asio::posix::stream_descriptor>(ex, awaited);
    } catch (...) {
        ::close(awaited);  // not taken: a failed assign leaves it open
        throw;
    }
    asio::steady_timer timer(ex, deadline);
    timer.async_wait([weak = std::weak_ptr(answered)](const boost::system::error_code& ec) {
        if (auto a = weak.lock(); a && !ec) a->cancel();
    });
    auto [ec] =
        co_await answered->async_wait(asio::posix::descriptor_base::wait_read, asio::as_tuple(asio::use_awaitable));
    timer.cancel();
    if (ec) co_return Lookup{asio::error::timed_out, {}};
    std::lock_guard lock(p->mutex);
    co_return p->answer;
}

}  // namespace credctl::http
