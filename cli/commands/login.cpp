// credctl login [PROVIDER]: get a refresh token and hand it to credd, by one
// of three paths (credctl(1)):
//   - the authorization-code flow with PKCE through a loopback redirect
//     (RFC 8252 §7.3), the browser started by credctl;
//   - --no-browser: the same, but the user opens the URL and may paste the
//     address the browser was sent to (SSH sessions);
//   - --device: the device authorization grant (RFC 8628).
// This is the one command that speaks TLS to a provider: it is linked into
// the helper program credctl-login only, which `credctl login` runs
// (login_handoff.cpp), so that credctl itself carries no TLS or OAuth code.
#include "cli/browser/browser.hpp"
#include "cli/commands/command.hpp"
#include "cli/commands/login_options.hpp"
#include "cli/commands/login_store.hpp"
#include "cli/loopback/loopback.hpp"
#include "common/crypto/crypto.hpp"
#include "common/oauth/device_flow.hpp"
#include "common/oauth/oauth_async.hpp"
#include "common/oauth/oauth_client.hpp"
#include "common/oauth/oidc_checks.hpp"
#include "common/oauth/run_blocking.hpp"
#include "common/text/printable.hpp"
#include "common/wire/wire.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <thread>

namespace credctl::cli {
namespace {

// What a login path hands back: the tokens and the nonce they must carry.
struct Obtained {
    oauth::TokenSet tokens;
    std::string nonce;  // empty: no nonce to check (device flow, no openid)
};

bool wants_openid(const ProviderConfig& p) {
    return std::find(p.scopes.begin(), p.scopes.end(), "openid") != p.scopes.end();
}

// A spinner only for a person watching a terminal who did not opt out.
bool indicator_wanted() {
    return ::isatty(STDERR_FILENO) == 1 && std::getenv("NO_COLOR") == nullptr;
}

// Sleeps between device-flow polls, turning a spinner when one is wanted.
void pause_polling(std::chrono::seconds how_long, bool indicator) {
    if (!indicator) {
        std::this_thread::sleep_for(how_long);
        return;
    }
    static constexpr std::string_view k_frames = "|/-\\";
    const auto until = std::chrono::steady_clock::now() + how_long;
    for (std::size_t i = 0; std::chrono::steady_clock::now() < until; ++i) {
        std::cerr << '\r' << k_frames[i % k_frames.size()] << " waiting for the login to finish " << std::flush;
        std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
            std::chrono::milliseconds(150), until - std::chrono::steady_clock::now()));
    }
    std::cerr << "\r\033[K" << std::flush;
}

http::Options http_options(const ProviderConfig& p) {
    http::Options o;
    o.ca_file = p.ca_file;
    return o;
}

Result<Obtained> redirect_login(const LoginOptions& o, const ProviderConfig& p, const oauth::Endpoints& e) {
    const auto port = o.port >= 0 ? static_cast<std::uint16_t>(o.port) : p.redirect_port;
    auto listener = LoopbackListener::bind(port);
    if (!listener) return listener.error();
    const auto pkce = oauth::make_pkce();
    const auto state = crypto::random_token(24);
    Obtained out;
    out.nonce = wants_openid(p) ? crypto::random_token(24) : std::string();
    const auto built = oauth::authorization_url(e, p, listener->redirect_uri(), state, out.nonce, pkce.challenge);
    if (!built) return built.error();
    const std::string& url = *built;
    std::cerr << "To log in to " << p.name << ", open this URL in a browser:\n\n  " << text::printable(url) << "\n\n";
    if (o.no_browser) {
        std::cerr << "If the browser runs on another machine, it ends on an address starting with\n  "
                  << listener->redirect_uri() << "\nthat does not load: paste that address here and press Enter.\n";
    } else if (auto b = open_browser(listener->launch(url)); !b) {
        std::cerr << "credctl: " << b.error().message << "; open the URL by hand\n";
    }
    std::cerr << "Waiting up to " << o.timeout_seconds << " s...\n";
    const WaitOptions wait{std::chrono::seconds(o.timeout_seconds), o.no_browser, indicator_wanted()};
    auto callback = listener->wait(state, wait);
    reap_browsers();
    if (!callback) return callback.error();
    if (callback->error == "invalid_target") return oauth::resource_refused("authorization endpoint", p.resource);
    if (!callback->error.empty()) {
        return make_error(Errc::login_required,
                          "the provider refused the login: " + callback->error +
                              (callback->error_description.empty() ? "" : " (" + callback->error_description + ")"));
    }
    if (auto iss = oauth::check_response_issuer(e, callback->iss); !iss) return iss.error();
    // Lvalues only into the coroutine: a prvalue argument is destroyed
    // twice by GCC 12 (PR 99576).
    const std::string redirect_uri = listener->redirect_uri();
    const auto opts = http_options(p);
    auto tokens =
        oauth::run_blocking(oauth::async_exchange_code(e, p, callback->code, redirect_uri, pkce.verifier, opts));
    if (!tokens) return tokens.error();
    out.tokens = std::move(*tokens);
    return out;
}

Result<Obtained> device_login(const LoginOptions& o, const ProviderConfig& p, const oauth::Endpoints& e) {
    const auto opts = http_options(p);
    auto auth = oauth::run_blocking(oauth::async_start_device_authorization(e, p, opts));
    if (!auth) return auth.error();
    std::cerr << "To log in to " << p.name << ", open " << text::printable(auth->verification_uri)
              << " on any device and enter the code\n\n  " << text::printable(auth->user_code) << "\n\n";
    if (!auth->verification_uri_complete.empty()) {
        std::cerr << "or open this URL, which carries the code:\n  " << text::printable(auth->verification_uri_complete)
                  << "\n\n";
    }
    auth->expires_in = std::min<std::int64_t>(auth->expires_in, o.timeout_seconds);
    std::cerr << "Waiting up to " << auth->expires_in << " s...\n";
    const oauth::Poller poll = [&] {
        return oauth::run_blocking(oauth::async_poll_device_token(e, p, auth->device_code, opts));
    };
    const bool indicator = indicator_wanted();
    auto tokens =
        oauth::wait_for_device_token(*auth, poll, [indicator](std::chrono::seconds s) { pause_polling(s, indicator); });
    if (!tokens) return tokens.error();
    return Obtained{std::move(*tokens), {}};
}

// The provider as credd names it, on a checked connection closed before the
// browser starts (nothing of credd's is inherited by it).
Result<ProviderConfig> provider_for_login(const DaemonClient& client, const LoginOptions& o) {
    auto conn = client.connect();
    if (!conn) return conn.error();
    auto provider = pick_provider(*conn, o.provider);
    if (!provider) return provider.error();
    if (provider->client_auth != ClientAuth::none) {
        if (o.client_secret_file.empty()) {
            return make_error(Errc::usage, "provider " + provider->name + " uses " + to_string(provider->client_auth) +
                                               "; pass --client-secret-file FILE (the file credd is configured with)");
        }
        provider->client_secret_file = o.client_secret_file;
    }
    return provider;
}

Result<void> run_login(const Globals& g, const LoginOptions& o) {
    auto client = make_client(g);
    if (!client) return client.error();
    const auto user = o.user.empty() ? caller_name(*client) : Result<std::string>(o.user);
    if (!user) return user.error();
    auto provider = provider_for_login(*client, o);
    if (!provider) return provider.error();
    const auto opts = http_options(*provider);
    auto endpoints = oauth::run_blocking(oauth::async_discover(*provider, opts)).result;
    if (!endpoints) return endpoints.error();
    auto got = o.device ? device_login(o, *provider, *endpoints) : redirect_login(o, *provider, *endpoints);
    if (!got) return got.error();
    auto& tokens = got->tokens;
    if (tokens.refresh_token.empty()) {
        return make_error(
            Errc::provider_unavailable,
            "provider " + provider->name + " issued no refresh token (does it need scope offline_access?)");
    }
    std::string subject;
    if (wants_openid(*provider)) {
        auto sub = oauth::check_id_token(tokens, *endpoints, *provider, got->nonce, std::chrono::system_clock::now());
        if (!sub) return sub.error();
        subject = *sub;
    }
    wire::StoreCredential cred;
    cred.refresh_token = std::move(tokens.refresh_token);
    cred.access_token = std::move(tokens.access_token);
    const auto now =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    cred.access_expires_at = tokens.expires_in > 0 ? now + tokens.expires_in : 0;
    cred.scope = tokens.scope.value_or("");  // "" when the provider did not say
    cred.issuer = endpoints->issuer;
    cred.subject = subject;
    if (auto r = store_login(*client, {&*provider, *user, o.allow_new_subject}, cred); !r) return r.error();
    std::cerr << "Logged in to " << provider->name << (subject.empty() ? "" : " as " + text::printable(subject))
              << "; credd keeps credentials/" << *user << "/" << provider->name << "\n";
    return {};
}

}  // namespace

void add_login(CLI::App& sub, const Globals& g, Runner& runner) {
    auto o = std::make_shared<LoginOptions>();
    add_login_options(sub, *o);
    runner = [&g, o] { return run_login(g, *o); };
}

}  // namespace credctl::cli
