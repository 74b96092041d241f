#include "common/oauth/oauth_async.hpp"

#include <boost/asio/awaitable.hpp>

namespace credctl::oauth {
namespace asio = boost::asio;

asio::awaitable<Attempt<http::Response>> async_post_form(const std::string& url, const ProviderConfig& p,
                                                         SecretString form, const http::Options& options,
                                                         http::Connection* connection) {
    auto req = form_request(url, p, std::move(form));
    if (!req) co_return Attempt<http::Response>{req.error(), false};
    const http::Request& sent = *req;
    co_return co_await http::async_exchange(sent, options, connection);
}

asio::awaitable<Attempt<Endpoints>> async_discover(const ProviderConfig& p, const http::Options& options) {
    if (!needs_discovery(p)) co_return interpret_discovery(p, {}, Attempt<http::Response>{});
    const http::Request req = discovery_request(p);
    const Attempt<http::Response> out = co_await http::async_exchange(req, options);
    co_return interpret_discovery(p, req.url, out);
}

asio::awaitable<Result<TokenSet>> async_exchange_code(const Endpoints& e, const ProviderConfig& p,
                                                      std::string_view code, std::string_view redirect_uri,
                                                      std::string_view code_verifier, const http::Options& options) {
    SecretString form = code_exchange_form(p, code, redirect_uri, code_verifier);
    Attempt<http::Response> out = co_await async_post_form(e.token_endpoint, p, std::move(form), options);
    co_return interpret_token_answer(std::move(out), false, p.resource).result;
}

asio::awaitable<Attempt<TokenSet>> async_refresh(const Endpoints& e, const ProviderConfig& p,
                                                 const SecretBytes& refresh_token,
                                                 const std::vector<std::string>& scopes, const http::Options& options,
                                                 http::Connection* connection) {
    SecretString form = refresh_form(p, refresh_token, scopes);
    Attempt<http::Response> out = co_await async_post_form(e.token_endpoint, p, std::move(form), options, connection);
    co_return interpret_token_answer(std::move(out), true, p.resource);
}

asio::awaitable<Result<void>> async_revoke(const Endpoints& e, const ProviderConfig& p,
                                           const SecretBytes& refresh_token, const http::Options& options) {
    if (e.revocation_endpoint.empty()) {
        co_return make_error(Errc::not_found, "provider " + p.name + " offers no revocation endpoint");
    }
    SecretString form = revocation_form(refresh_token);
    Attempt<http::Response> out = co_await async_post_form(e.revocation_endpoint, p, std::move(form), options);
    co_return interpret_revocation(e, std::move(out));
}

}  // namespace credctl::oauth
