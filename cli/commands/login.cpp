// credctl login [PROVIDER]: the authorization-code flow with PKCE through a
// loopback redirect (RFC 8252), then the refresh token goes to credd.
#include "cli/browser/browser.hpp"
#include "cli/commands/command.hpp"
#include "cli/loopback/loopback.hpp"
#include "common/crypto/crypto.hpp"
#include "common/oauth/oauth_client.hpp"
#include "common/wire/wire.hpp"

#include <sodium.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>

namespace credctl::cli {
namespace {

struct LoginOptions {
    std::string provider;
    std::string user;
    bool no_browser = false;
    int port = -1;
    int timeout_seconds = 300;
};

Result<ProviderConfig> pick_provider(const DaemonClient& client, const std::string& name) {
    auto reply = client.call("GET", "/v1/providers");
    if (!reply) return reply.error();
    auto providers = wire::parse_providers(reply->body);
    if (!providers) return providers.error();
    if (name.empty()) {
        if (providers->size() == 1) return providers->front();
        return make_error(Errc::usage, "credd knows " + std::to_string(providers->size()) +
                                           " providers; name one (see: credctl providers)");
    }
    for (auto& p : *providers) {
        if (p.name == name) return std::move(p);
    }
    return make_error(Errc::not_found, "credd has no provider named " + name + " (see: credctl providers)");
}

bool wants_openid(const ProviderConfig& p) {
    return std::find(p.scopes.begin(), p.scopes.end(), "openid") != p.scopes.end();
}

// OpenID Connect Core §3.1.3.7: issuer, audience and nonce of the ID token.
Result<std::string> check_id_token(const oauth::TokenSet& t, const oauth::Endpoints& e, const ProviderConfig& p,
                                   const std::string& nonce) {
    if (t.id_token.empty()) return make_error(Errc::provider_unavailable, "provider returned no ID token for scope openid");
    auto claims = oauth::parse_id_token_claims(t.id_token);
    if (!claims) return claims.error();
    if (!e.issuer.empty() && claims->issuer != e.issuer) {
        return make_error(Errc::provider_unavailable, "ID token issuer \"" + claims->issuer + "\" is not " + e.issuer);
    }
    if (std::find(claims->audience.begin(), claims->audience.end(), p.client_id) == claims->audience.end()) {
        return make_error(Errc::provider_unavailable, "ID token is not addressed to client " + p.client_id);
    }
    if (claims->nonce.size() != nonce.size() ||
        sodium_memcmp(claims->nonce.data(), nonce.data(), nonce.size()) != 0) {
        return make_error(Errc::provider_unavailable, "ID token nonce does not match this login");
    }
    return claims->subject;
}

Result<void> run_login(const Globals& g, const LoginOptions& o) {
    auto client = make_client(g);
    if (!client) return client.error();
    // Checked again when the refresh token is sent; this spares the user a
    // login whose result could only be refused.
    if (auto r = client->verify_peer(); !r) return r.error();
    const auto user = o.user.empty() ? current_user() : Result<std::string>(o.user);
    if (!user) return user.error();
    auto provider = pick_provider(*client, o.provider);
    if (!provider) return provider.error();
    http::Options http_opts;
    auto endpoints = oauth::discover(*provider, http_opts);
    if (!endpoints) return endpoints.error();

    const auto port = o.port >= 0 ? static_cast<std::uint16_t>(o.port) : provider->redirect_port;
    auto listener = LoopbackListener::bind(port);
    if (!listener) return listener.error();
    const auto pkce = oauth::make_pkce();
    const auto state = crypto::random_token(24);
    const auto nonce = wants_openid(*provider) ? crypto::random_token(24) : std::string();
    const auto url = oauth::authorization_url(*endpoints, *provider, listener->redirect_uri(), state, nonce,
                                              pkce.challenge);
    std::cerr << "To log in to " << provider->name << ", open this URL in a browser:\n\n  " << url << "\n\n";
    if (!o.no_browser) {
        if (auto b = open_browser(url); !b) std::cerr << "credctl: " << b.error().message << "; open the URL by hand\n";
    }
    std::cerr << "Waiting for the browser (up to " << o.timeout_seconds << " s)...\n";
    auto callback = listener->wait(state, std::chrono::seconds(o.timeout_seconds));
    reap_browsers();
    if (!callback) return callback.error();
    if (!callback->error.empty()) {
        return make_error(Errc::login_required, "the provider refused the login: " + callback->error +
                                                    (callback->error_description.empty() ? "" : " (" + callback->error_description + ")"));
    }
    // RFC 9207: the answer must come from the issuer we sent the user to.
    if (endpoints->iss_parameter_supported && callback->iss != endpoints->issuer) {
        return make_error(Errc::login_required, "authorization response names issuer \"" + callback->iss +
                                                    "\", expected " + endpoints->issuer);
    }
    auto tokens = oauth::exchange_code(*endpoints, *provider, callback->code, listener->redirect_uri(), pkce.verifier,
                                       http_opts);
    sodium_memzero(callback->code.data(), callback->code.size());
    if (!tokens) return tokens.error();
    if (tokens->refresh_token.empty()) {
        return make_error(Errc::provider_unavailable,
                          "provider " + provider->name + " issued no refresh token (does it need scope offline_access?)");
    }
    std::string subject;
    if (!nonce.empty()) {
        auto sub = check_id_token(*tokens, *endpoints, *provider, nonce);
        if (!sub) return sub.error();
        subject = *sub;
    }
    wire::StoreCredential cred;
    cred.refresh_token = std::move(tokens->refresh_token);
    cred.access_token = std::move(tokens->access_token);
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch()).count();
    cred.access_expires_at = tokens->expires_in > 0 ? now + tokens->expires_in : 0;
    cred.scope = tokens->scope;
    cred.issuer = endpoints->issuer;
    cred.subject = subject;
    std::string body = wire::to_json(cred);
    auto put = client->call("PUT", credential_path(*user, provider->name), body);
    sodium_memzero(body.data(), body.size());
    if (!put) return put.error();
    std::cerr << "Logged in to " << provider->name << (subject.empty() ? "" : " as " + subject)
              << "; credd keeps credentials/" << *user << "/" << provider->name << "\n";
    return {};
}

}  // namespace

void add_login(CLI::App& sub, const Globals& g, Runner& runner) {
    auto o = std::make_shared<LoginOptions>();
    sub.add_option("provider", o->provider, "Provider name (optional when credd knows only one)");
    sub.add_option("--user", o->user, "Logical user the credential belongs to (default: your login name)");
    sub.add_flag("--no-browser", o->no_browser, "Only print the URL; do not start a browser");
    sub.add_option("--port", o->port, "Loopback port for the redirect (default: the provider's, else ephemeral)")
        ->check(CLI::Range(0, 65535));
    sub.add_option("--timeout", o->timeout_seconds, "Seconds to wait for the browser")->check(CLI::Range(1, 3600));
    sub.footer("Examples:\n  credctl login github\n  BROWSER=firefox credctl login corp\n  credctl login --no-browser corp");
    runner = [&g, o] { return run_login(g, *o); };
}

}  // namespace credctl::cli
