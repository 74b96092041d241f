#include "daemon/notify/alerter.hpp"

#include "common/log/log.hpp"
#include "common/log/structured.hpp"

#include <array>

namespace credctl::notify {
namespace {

std::string resource(const std::string& user, const std::string& provider) {
    return "credentials/" + user + "/" + provider;
}

// One row per Reason: its name (CREDCTL_REASON, the journal) and what the
// alert's message says happened.
struct ReasonText {
    Reason reason;
    std::string_view name;
    std::string_view what_happened;
};

constexpr std::array<ReasonText, 3> k_reasons{{
    {Reason::invalid_grant, "invalid_grant", "the provider rejected its refresh token"},
    {Reason::rotation_interrupted, "rotation_interrupted", "a refresh was interrupted before its answer was stored"},
    {Reason::provider_unavailable, "provider_unavailable", "its provider has been unavailable"},
}};

// The row of `reason`; provider_unavailable's (the last) for a value out of
// the enum.
const ReasonText& text_of(Reason reason) {
    for (const auto& row : k_reasons) {
        if (row.reason == reason) return row;
    }
    return k_reasons.back();
}

std::string what_happened(Reason reason) {
    return std::string(text_of(reason).what_happened);
}

}  // namespace

std::string_view to_string(Reason reason) {
    return text_of(reason).name;
}

Events& no_events() {
    struct None final : Events {
        void login_required(const std::string&, const std::string&, Reason) override {}
        void unavailable(const std::string&, const std::string&, std::int64_t, std::int64_t) override {}
        void valid(const std::string&, const std::string&) override {}
    };
    static None none;
    return none;
}

Alerter::Alerter(boost::asio::io_context& io, Settings settings, CommandBudget::Clock clock)
    : io_(io), settings_(std::move(settings)), budget_(k_commands_per_user, k_command_refill, std::move(clock)) {}

Alerter::~Alerter() {
    stop();
}

void Alerter::login_required(const std::string& user, const std::string& provider, Reason reason) {
    alert(user, provider, Alert::login_required, reason);
}

void Alerter::unavailable(const std::string& user, const std::string& provider, std::int64_t since, std::int64_t now) {
    if (now - since < settings_.unavailable_after.count()) return;
    alert(user, provider, Alert::provider_unavailable, Reason::provider_unavailable);
}

void Alerter::valid(const std::string& user, const std::string& provider) {
    once_.clear(user, provider);
}

void Alerter::stop() {
    stopped_ = true;
    for (const auto& r : running_) kill_command(*r);
}

void Alerter::alert(const std::string& user, const std::string& provider, Alert state, Reason reason) {
    if (!once_.first(user, provider, state)) return;
    const std::array<log::Field, 4> fields{{{"CREDCTL_USER", user},
                                            {"CREDCTL_PROVIDER", provider},
                                            {"CREDCTL_STATE", to_string(state)},
                                            {"CREDCTL_REASON", to_string(reason)}}};
    const bool login = state == Alert::login_required;
    std::string message =
        resource(user, provider) + (login ? " needs a login: " : " is not refreshed: ") + what_happened(reason);
    if (!login) message += " for " + std::to_string(settings_.unavailable_after.count()) + " s or more";
    log::event(log::Level::warning, login ? k_login_needed_id : k_provider_unavailable_id, message, fields);
    if (settings_.command.empty()) return;
    const std::string not_run = "notify command " + settings_.command[0] + " not run for " + resource(user, provider);
    if (stopped_) return log::info("credd is stopping: " + not_run);
    if (running_.size() >= k_max_running_commands) {
        return log::warning(not_run + ": " + std::to_string(running_.size()) + " commands are running already");
    }
    if (!budget_.take(user)) {
        return log::warning(not_run + ": the credentials of " + user + " started " + std::to_string(budget_.burst()) +
                            " commands lately; one more may start every " + std::to_string(budget_.refill().count()) +
                            " s");
    }
    run(user, provider, state, reason);
}

void Alerter::run(const std::string& user, const std::string& provider, Alert state, Reason reason) {
    Command c;
    c.argv = settings_.command;
    c.env = {{"CREDCTL_USER", user},
             {"CREDCTL_PROVIDER", provider},
             {"CREDCTL_STATE", to_string(state)},
             {"CREDCTL_REASON", std::string(to_string(reason))}};
    c.timeout = settings_.timeout;
    auto slot = std::make_shared<std::shared_ptr<RunningCommand>>();
    auto done = [this, slot, user, provider, state, reason, timeout = c.timeout](CommandOutcome out) {
        if (*slot) running_.erase(*slot);
        if (!out.ok()) {
            const std::array<log::Field, 5> fields{{{"CREDCTL_USER", user},
                                                    {"CREDCTL_PROVIDER", provider},
                                                    {"CREDCTL_STATE", to_string(state)},
                                                    {"CREDCTL_REASON", to_string(reason)},
                                                    {"CREDCTL_COMMAND", settings_.command[0]}}};
            log::event(log::Level::error, k_command_failed_id,
                       "notify command " + settings_.command[0] + " for " + resource(user, provider) + " " +
                           describe(out, timeout),
                       fields);
        }
        if (on_outcome_) on_outcome_(out);
    };
    auto running = run_command(io_, c, std::move(done));
    if (running) {
        *slot = running;
        running_.insert(std::move(running));
    }
}

}  // namespace credctl::notify
