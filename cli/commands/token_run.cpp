// credctl token PROVIDER: print an access token in the format its consumer
// reads (cli/output/token_format.hpp), and the token fetch that `exec`
// shares. Served in credctl itself for a plain line (cli/front.cpp), so
// no CLI11 here: the options are token.cpp's.
#include "cli/commands/token_input.hpp"
#include "cli/commands/token_options.hpp"
#include "cli/output/token_format.hpp"
#include "common/oauth/form.hpp"
#include "common/wire/wire.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

namespace credctl::cli {
namespace {

// A token cut short or not written at all must not exit 0: the script
// that reads it would go on with what it got.
Result<void> write_all(std::string_view s) {
    std::size_t off = 0;
    while (off < s.size()) {
        const ssize_t n = ::write(STDOUT_FILENO, s.data() + off, s.size() - off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            const int err = n < 0 ? errno : EIO;
            return make_error(Errc::internal,
                              std::string("cannot write the token to standard output: ") + std::strerror(err));
        }
        off += static_cast<std::size_t>(n);
    }
    return {};
}

// How a credd that does not know wire::k_caller_user refuses it.
bool refused_as_a_name(const Error& e) {
    return e.code == Errc::bad_request && e.message.rfind("invalid user or provider name in ", 0) == 0;
}

}  // namespace

Result<void> run_token(const Globals& g, const TokenOptions& o) {
    auto format = parse_token_format(o.output);
    if (!format) return format.error();
    std::string git_user;
    if (*format == TokenFormat::git_credential && !o.git_action.empty()) {
        const GitRequest request = read_git_request(stdin);
        // Only `get` is answered: credd, not git, stores and forgets tokens.
        // Nothing printed: git goes on to its next helper, or asks.
        if (o.git_action != "get" || !git_request_may_have_token(request)) return {};
        if (request.protocol == "http" && !loopback_server_is_users(request, ::getuid())) return {};
        git_user = request.username;
    }
    // credd names the caller (wire::k_caller_user); only credential-process
    // prints the name, so only it asks credd for the name first.
    std::string user = o.user.empty() ? std::string(wire::k_caller_user) : o.user;
    const bool named = *format == TokenFormat::credential_process;
    auto token = fetch_access_token(g, user, o.provider, o.ask, named ? &user : nullptr);
    if (!token) return token.error();
    const std::string api_version = exec_api_version(std::getenv("KUBERNETES_EXEC_INFO"));
    TokenView view;
    view.access_token = token->access_token.reveal();
    view.token_type = token->token_type;
    view.expires_at = token->expires_at;
    view.scope = token->scope;
    view.user = user;
    view.provider = o.provider;
    view.env_name = o.env_name;
    if (!git_user.empty()) view.git_username = git_user;
    view.exec_api_version = api_version;
    return write_all(format_token(*format, view));
}

Result<wire::AccessToken> fetch_access_token(const Globals& g, const std::string& user, const std::string& provider,
                                             const TokenAsk& ask, std::string* named) {
    // Checked here, so that credd's "invalid user or provider name" can
    // only mean it took ~ for a name (below).
    if (!wire::valid_name(provider)) return make_error(Errc::usage, "invalid provider name: " + provider);
    if (user != wire::k_caller_user && !wire::valid_name(user))
        return make_error(Errc::usage, "invalid user name: " + user);
    auto client = make_client(g);
    if (!client) return client.error();
    std::string whose = user;
    if (named != nullptr && whose == wire::k_caller_user) {
        auto name = caller_name(*client);
        if (!name) return name.error();
        whose = std::move(*name);
    }
    if (named != nullptr) *named = whose;
    std::string query;
    const auto add = [&query](const std::string& name, const std::string& value) {
        query += (query.empty() ? "?" : "&") + name + "=" + value;
    };
    if (ask.min_valid >= 0) add("min_valid", std::to_string(ask.min_valid));
    if (!ask.scope.empty()) add("scope", http::form_encode(ask.scope));
    if (ask.timeout > 0) add("timeout_ms", std::to_string(static_cast<long long>(ask.timeout * 1000 + 0.5)));
    const auto ask_for = [&](const std::string& name) {
        return client->call("GET", credential_path(name, provider) + "/token" + query);
    };
    auto reply = ask_for(whose);
    if (!reply && whose == wire::k_caller_user && refused_as_a_name(reply.error())) {
        // A credd from before ~ (a per-user daemon still running the binary
        // an upgrade replaced) takes it for a name: ask by the one it knows.
        const auto name = caller_name(*client);
        if (!name) return name.error();
        reply = ask_for(*name);
    }
    if (!reply) return reply.error();
    auto token = wire::parse_access_token(reply->body);
    if (token && !safe_token(token->access_token.reveal())) {
        return make_error(Errc::provider_unavailable, "the provider's access token for " + provider +
                                                          " is empty or holds control characters; not printing it");
    }
    return token;
}

}  // namespace credctl::cli
