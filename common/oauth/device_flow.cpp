#include "common/oauth/device_flow.hpp"

#include "common/oauth/form.hpp"
#include "common/oauth/oauth_async.hpp"
#include "common/secret/secret_json.hpp"

namespace credctl::oauth {
namespace {

namespace json = boost::json;

// RFC 8628 does not bound these; a day is far beyond any real device code.
constexpr std::int64_t k_max_device_expires_in = 24 * 3600;
constexpr std::int64_t k_max_interval = 300;

std::string str(const json::object& o, std::string_view key) {
    if (const auto* v = o.if_contains(key); v != nullptr && v->is_string()) return std::string(v->as_string());
    return {};
}

}  // namespace

Result<DeviceAuthorization> parse_device_authorization(int status, std::string_view body, std::string_view resource) {
    boost::system::error_code ec;
    json::value v = parse_secret_json(body, ec);
    if (ec || !v.is_object()) {
        return make_error(Errc::provider_unavailable,
                          "device authorization endpoint answered HTTP " + std::to_string(status) + " without JSON");
    }
    auto& o = v.as_object();
    if (status != 200) {
        const std::string err = str(o, "error");
        if (err == "invalid_target") return resource_refused("device authorization endpoint", resource);
        return make_error(Errc::provider_unavailable,
                          "device authorization refused: " + (err.empty() ? "HTTP " + std::to_string(status) : err));
    }
    DeviceAuthorization a;
    auto* code = o.if_contains("device_code");
    a.user_code = str(o, "user_code");
    a.verification_uri = str(o, "verification_uri");
    if (code == nullptr || !code->is_string() || code->as_string().empty() || a.user_code.empty() ||
        a.verification_uri.empty()) {
        return make_error(Errc::provider_unavailable,
                          "device authorization answer lacks device_code, user_code or verification_uri");
    }
    a.device_code = SecretBytes::from(code->as_string());
    a.verification_uri_complete = str(o, "verification_uri_complete");
    const auto* exp = o.if_contains("expires_in");
    if (exp == nullptr || !exp->is_int64() || exp->as_int64() <= 0 || exp->as_int64() > k_max_device_expires_in) {
        return make_error(Errc::provider_unavailable, "device authorization answer has an invalid expires_in");
    }
    a.expires_in = exp->as_int64();
    if (const auto* iv = o.if_contains("interval"); iv != nullptr) {
        if (!iv->is_int64() || iv->as_int64() < 1 || iv->as_int64() > k_max_interval) {
            return make_error(Errc::provider_unavailable, "device authorization answer has an invalid interval");
        }
        a.interval = iv->as_int64();
    }
    return a;
}

boost::asio::awaitable<Result<DeviceAuthorization>> async_start_device_authorization(const Endpoints& e,
                                                                                     const ProviderConfig& p,
                                                                                     const http::Options& options) {
    if (e.device_authorization_endpoint.empty()) {
        co_return make_error(Errc::provider_unavailable,
                             "provider " + p.name + " offers no device authorization endpoint");
    }
    SecretString form = device_authorization_form(p);  // no prvalue into a coroutine (GCC PR 99576)
    auto out = co_await async_post_form(e.device_authorization_endpoint, p, std::move(form), options);
    if (!out.result) co_return out.result.error();
    co_return parse_device_authorization(out.result->status, out.result->body, p.resource);
}

SecretString device_authorization_form(const ProviderConfig& p) {
    std::string scopes;
    for (const auto& s : p.scopes) scopes += (scopes.empty() ? "" : " ") + s;
    SecretString form("scope=");
    http::append_form_encoded(form, scopes);
    append_resource(form, p);  // RFC 8707 §2.1: the device grant is an authorization request too
    return form;
}

SecretString device_poll_form(const ProviderConfig& p, const SecretBytes& device_code) {
    SecretString form("grant_type=");
    http::append_form_encoded(form, "urn:ietf:params:oauth:grant-type:device_code");
    form += "&device_code=";
    http::append_form_encoded(form, device_code.reveal());
    append_resource(form, p);  // RFC 8707 §2.2
    return form;
}

Result<PollResult> parse_device_poll(int status, std::string_view body, std::string_view resource) {
    if (status == 400 || status == 401) {
        boost::system::error_code ec;
        const json::value v = parse_secret_json(body, ec);
        const std::string err = (!ec && v.is_object()) ? str(v.as_object(), "error") : "";
        if (err == "authorization_pending") return PollResult{PollState::pending, {}};
        if (err == "slow_down") return PollResult{PollState::slow_down, {}};
        if (err == "access_denied")
            return make_error(Errc::login_required, "the login was denied on the verification page");
        if (err == "expired_token") {
            return make_error(Errc::login_required, "the device code expired before the login was completed");
        }
    }
    auto t = parse_token_response(status, body, false, resource);
    if (!t) return t.error();
    return PollResult{PollState::done, std::move(*t)};
}

boost::asio::awaitable<Result<PollResult>> async_poll_device_token(const Endpoints& e, const ProviderConfig& p,
                                                                   const SecretBytes& device_code,
                                                                   const http::Options& options) {
    SecretString form = device_poll_form(p, device_code);  // no prvalue into a coroutine (GCC PR 99576)
    auto out = co_await async_post_form(e.token_endpoint, p, std::move(form), options);
    // A network blip while polling is not the end of the login: poll again.
    if (!out.result) co_return out.retryable ? Result<PollResult>(PollResult{}) : out.result.error();
    co_return parse_device_poll(out.result->status, out.result->body, p.resource);
}

Result<TokenSet> wait_for_device_token(const DeviceAuthorization& a, const Poller& poll,
                                       const std::function<void(std::chrono::seconds)>& sleep) {
    std::int64_t interval = a.interval;
    std::int64_t waited = 0;
    for (;;) {
        if (waited + interval > a.expires_in) {
            return make_error(Errc::login_required, "the device code expired before the login was completed");
        }
        sleep(std::chrono::seconds(interval));
        waited += interval;
        auto r = poll();
        if (!r) return r.error();
        if (r->state == PollState::done) return std::move(r->tokens);
        if (r->state == PollState::slow_down) interval += k_device_slow_down_seconds;
    }
}

}  // namespace credctl::oauth
