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

// What the lookup's thread and its awaiter share. The thread signals the
// answer on an eventfd, which the awaiter's io_context waits on: nothing is
// posted to an io_context from another thread, which might be gone by then.
struct Pending {
    std::mutex mutex;
    Lookup answer;
    int event = -1;
    ~Pending() {
        if (event >= 0) ::close(event);
    }
};

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

}  // namespace

int lookups_running() {
    return g_running.load();
}

std::uint64_t lookups_started() {
    return g_started.load();
}

asio::awaitable<Lookup> look_up(std::string host, std::string port, std::chrono::steady_clock::time_point deadline) {
    if (g_running.fetch_add(1) >= k_max_lookups) {
        --g_running;
        co_return Lookup{asio::error::host_not_found_try_again, {}};
    }
    auto p = std::make_shared<Pending>();
    p->event = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    const int awaited = p->event < 0 ? -1 : ::dup(p->event);
    if (awaited < 0) {
        --g_running;
        co_return Lookup{boost::system::error_code(errno, boost::system::system_category()), {}};
    }
    auto ex = co_await asio::this_coro::executor;
    // Shared with the timer's handler, which may run after this frame ended
    // (the deadline passed as the answer came).
    const auto answered = std::make_shared<asio::posix::stream_descriptor>(ex, awaited);
    ++g_started;
    try {
        std::thread([p, host = std::move(host), port = std::move(port)] {
            resolve(p, host, port);
            --g_running;
        }).detach();
    } catch (const std::system_error& e) {
        --g_running;
        co_return Lookup{e.code(), {}};
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
    co_return std::move(p->answer);
}

}  // namespace credctl::http
