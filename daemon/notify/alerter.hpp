// Alerter: the word credd gives when a credential needs a login (docs/
// operations.md "When a login is needed"). On each state change reported by
// TokenService (events.hpp) that is worth it — a credential turned
// login_required, or its provider has failed its refreshes for longer than
// [notify] unavailable_after_seconds — and only the first time for that
// credential in that state (once_per_state.hpp), it:
// - logs one structured event with a stable message id (k_login_needed_id,
//   k_provider_unavailable_id) and the fields CREDCTL_USER,
//   CREDCTL_PROVIDER, CREDCTL_STATE, CREDCTL_REASON (log/structured.hpp);
// - runs [notify] command, when configured, with those four variables as
//   its whole environment (plus PATH; command_runner.hpp), bounded by
//   timeout_seconds; a failure (a non-zero exit, a signal, the timeout, a
//   command that cannot start) is logged as k_command_failed_id. An alert
//   starts no command, and logs why, when k_max_running_commands are
//   running, or when its user's credentials have spent their budget
//   (command_budget.hpp): any user can turn a credential of their own
//   login_required and valid again as fast as the provider answers.
// Nothing secret is known here: no token reaches the log or the command.
//
// Used by the server, which hands it to TokenService. Thread-safety: I/O
// thread only.
#pragma once

#include "daemon/notify/command_budget.hpp"
#include "daemon/notify/command_runner.hpp"
#include "daemon/notify/events.hpp"
#include "daemon/notify/once_per_state.hpp"
#include "daemon/notify/settings.hpp"

#include <functional>
#include <memory>
#include <set>

namespace credctl::notify {

// journald MESSAGE_ID= values: stable, never reused for another event.
constexpr const char* k_login_needed_id = "cbcb31fa6d184a078df530745078847b";
constexpr const char* k_provider_unavailable_id = "1f3682f2e1ee40b7bb0d8f5b2bb6634a";
constexpr const char* k_command_failed_id = "26f56b5374d043b5866cc2ab518f9d40";

class Alerter final : public Events {
public:
    // `io` must outlive the Alerter, and run for commands to be watched.
    // `clock` times the users' budgets.
    Alerter(boost::asio::io_context& io, Settings settings,
            CommandBudget::Clock clock = std::chrono::steady_clock::now);
    ~Alerter() override;
    Alerter(const Alerter&) = delete;
    Alerter& operator=(const Alerter&) = delete;

    void login_required(const std::string& user, const std::string& provider, Reason reason) override;
    void unavailable(const std::string& user, const std::string& provider, std::int64_t since,
                     std::int64_t now) override;
    void valid(const std::string& user, const std::string& provider) override;

    // Kills the commands still running and starts none after (credd is
    // stopping: its drain would wait for one, up to its timeout).
    void stop();
    // Commands started and not yet reaped.
    [[nodiscard]] std::size_t running() const { return running_.size(); }
    // Called with each command's outcome once it is reaped (tests).
    void on_outcome(std::function<void(const CommandOutcome&)> f) { on_outcome_ = std::move(f); }

private:
    void alert(const std::string& user, const std::string& provider, Alert state, Reason reason);
    void run(const std::string& user, const std::string& provider, Alert state, Reason reason);

    boost::asio::io_context& io_;
    Settings settings_;
    OncePerState once_;
    CommandBudget budget_;
    std::set<std::shared_ptr<RunningCommand>> running_;
    bool stopped_ = false;
    std::function<void(const CommandOutcome&)> on_outcome_;
};

}  // namespace credctl::notify
