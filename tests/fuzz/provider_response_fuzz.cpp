// What an OAuth provider answers, as credd and credctl interpret it
// (common/oauth): the token endpoint (code exchange and refresh), discovery,
// device authorization and its polls, revocation, and their errors. A
// hostile or broken provider must get an error value, never a crash, and
// what is accepted must hold the limits the interpreters promise (for
// discovery: endpoints that follow the endpoint rule).
//
// Input: one byte picks the interpreter, two bytes give the HTTP status
// (100 + n % 500), the rest is the body.
#include "common/net/endpoint_url.hpp"
#include "common/oauth/device_flow.hpp"
#include "common/oauth/oauth_client.hpp"
#include "fuzz_check.hpp"

#include <sodium.h>

using namespace credctl;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    return sodium_init() < 0 ? 1 : 0;
}

namespace {

constexpr std::int64_t k_max_expires_in_seconds = 366LL * 24 * 3600;  // oauth_client.cpp
constexpr std::int64_t k_max_device_expires_in = 24 * 3600;           // device_flow.cpp
constexpr std::int64_t k_max_interval = 300;                          // device_flow.cpp

bool provider_error(const Error& e) {
    return e.code == Errc::provider_unavailable || e.code == Errc::login_required;
}

void check_tokens(const Result<oauth::TokenSet>& t, bool for_refresh) {
    if (!t) {
        fuzz::check(provider_error(t.error()), "token errors are provider_unavailable or login_required");
        fuzz::check(for_refresh || t.error().code == Errc::provider_unavailable ||
                        t.error().message.find("resource") != std::string::npos,
                    "only a refresh or a refused resource asks for a new login");
        return;
    }
    fuzz::check(!t->access_token.empty(), "an accepted token answer has an access token");
    fuzz::check(t->token_type == "Bearer", "an accepted token answer is a bearer token");
    fuzz::check(t->expires_in >= 0 && t->expires_in <= k_max_expires_in_seconds, "expires_in within bounds");
}

http::Response response(int status, std::string_view body) {
    http::Response r;
    r.status = status;
    r.content_type = "application/json";
    r.body = std::string(body);
    return r;
}

ProviderConfig provider() {
    return {
        .name = "fuzz", .issuer = "https://issuer.example", .client_id = "credctl", .resource = "https://api.example"};
}

void discovery(int status, std::string_view body) {
    const ProviderConfig p = provider();
    const auto e = oauth::interpret_discovery(p, "https://issuer.example/.well-known/openid-configuration",
                                              {response(status, body), false});
    if (!e.result) {
        fuzz::check(e.result.error().code == Errc::provider_unavailable || e.result.error().code == Errc::bad_request,
                    "discovery errors are provider_unavailable");
        fuzz::check(!e.retryable || status >= 500 || status == 429, "only 5xx and 429 are retried");
        return;
    }
    fuzz::check(status == 200, "discovery accepts only 200");
    fuzz::check(e.result->issuer == p.issuer, "discovery keeps the configured issuer");
    fuzz::check(!e.result->authorization_endpoint.empty() && !e.result->token_endpoint.empty(),
                "discovery yields both endpoints");
    // The issuer is https: so is every endpoint it names, and each parses.
    for (const std::string* url : {&e.result->authorization_endpoint, &e.result->token_endpoint,
                                   &e.result->revocation_endpoint, &e.result->device_authorization_endpoint}) {
        fuzz::check(url->empty() || !net::endpoint_url_problem(*url, net::PlainHttp::refused),
                    "an https issuer's endpoints are https URLs with a host");
    }
    fuzz::check(oauth::authorization_url(*e.result, p, "http://127.0.0.1:1/cb", "s", "n", "c").has_value(),
                "an accepted authorization endpoint makes an authorization URL");
}

void device_authorization(int status, std::string_view body) {
    const auto a = oauth::parse_device_authorization(status, body, "https://api.example");
    if (!a) {
        fuzz::check(provider_error(a.error()), "device authorization errors are provider errors");
        return;
    }
    fuzz::check(status == 200, "device authorization accepts only 200");
    fuzz::check(!a->device_code.empty() && !a->user_code.empty() && !a->verification_uri.empty(),
                "device authorization has its three fields");
    fuzz::check(a->expires_in > 0 && a->expires_in <= k_max_device_expires_in, "device expires_in within bounds");
    fuzz::check(a->interval >= 1 && a->interval <= k_max_interval, "device interval within bounds");
}

void device_poll(int status, std::string_view body) {
    const auto r = oauth::parse_device_poll(status, body, "https://api.example");
    if (!r) {
        fuzz::check(provider_error(r.error()), "poll errors are provider errors");
        return;
    }
    if (r->state == oauth::PollState::done) {
        fuzz::check(!r->tokens.access_token.empty(), "a finished poll has an access token");
    } else {
        fuzz::check(status == 400 || status == 401, "pending and slow_down come only with 400 or 401");
    }
}

void token_answer(int status, std::string_view body, bool for_refresh) {
    check_tokens(oauth::parse_token_response(status, body, for_refresh, "https://api.example"), for_refresh);
    http::Response r = response(status, body);
    r.location = "https://elsewhere.example/";
    const auto a = oauth::interpret_token_answer({std::move(r), false}, for_refresh, "https://api.example");
    if (status >= 300 && status < 400) {
        fuzz::check(!a.result && !a.retryable, "a redirect from the token endpoint is refused for good");
    } else {
        check_tokens(a.result, for_refresh);
        fuzz::check(a.retryable == (status >= 500 || status == 429), "only 5xx and 429 are retried");
    }
}

void revocation(int status, std::string_view body) {
    oauth::Endpoints e;
    e.revocation_endpoint = "https://issuer.example/revoke";
    const auto r = oauth::interpret_revocation(e, {response(status, body), false});
    fuzz::check(r.has_value() == (status == 200), "revocation succeeds exactly on 200");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 3) return 0;
    const unsigned selector = data[0];
    const int status = 100 + (data[1] << 8 | data[2]) % 500;
    const auto body = fuzz::bytes(data + 3, size - 3);
    switch (selector % 6) {
        case 0:
            token_answer(status, body, false);
            break;
        case 1:
            token_answer(status, body, true);
            break;
        case 2:
            discovery(status, body);
            break;
        case 3:
            device_authorization(status, body);
            break;
        case 4:
            device_poll(status, body);
            break;
        default:
            revocation(status, body);
            break;
    }
    return 0;
}
