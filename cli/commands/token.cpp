// credctl token [PROVIDER]: print an access token for scripts.
#include "cli/commands/command.hpp"
#include "common/oauth/http_client.hpp"
#include "common/wire/wire.hpp"

#include <sodium.h>
#include <unistd.h>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <memory>
#include <string>

namespace credctl::cli {
namespace {

struct TokenOptions {
    std::string provider;
    std::string user;
    int min_valid = -1;
    std::string output = "raw";
    std::string scope;  // down-scoping, space-separated
};

void write_all(const std::string& s) {
    std::size_t off = 0;
    while (off < s.size()) {
        const ssize_t n = ::write(STDOUT_FILENO, s.data() + off, s.size() - off);
        if (n <= 0) return;
        off += static_cast<std::size_t>(n);
    }
}

Result<void> run_token(const Globals& g, const TokenOptions& o) {
    auto client = make_client(g);
    if (!client) return client.error();
    const auto user = o.user.empty() ? current_user() : Result<std::string>(o.user);
    if (!user) return user.error();
    std::string target = credential_path(*user, o.provider) + "/token";
    if (o.min_valid >= 0) target += "?min_valid=" + std::to_string(o.min_valid);
    if (!o.scope.empty()) target += (o.min_valid >= 0 ? "&scope=" : "?scope=") + http::form_encode(o.scope);
    auto reply = client->call("GET", target);
    if (!reply) return reply.error();
    auto token = wire::parse_access_token(reply->body);
    sodium_memzero(reply->body.data(), reply->body.size());
    if (!token) return token.error();
    std::string out;
    if (o.output == "json") {
        boost::json::object j{{"access_token", token->access_token.reveal()},
                              {"token_type", token->token_type},
                              {"expires_at", token->expires_at},
                              {"scope", token->scope}};
        out = boost::json::serialize(j) + "\n";
        auto& a = j["access_token"].as_string();
        sodium_memzero(a.data(), a.size());
    } else if (o.output == "header") {
        out = "Authorization: Bearer " + std::string(token->access_token.reveal()) + "\n";
    } else {
        out = std::string(token->access_token.reveal()) + "\n";
    }
    write_all(out);
    sodium_memzero(out.data(), out.size());
    return {};
}

}  // namespace

void add_token(CLI::App& sub, const Globals& g, Runner& runner) {
    auto o = std::make_shared<TokenOptions>();
    sub.add_option("provider", o->provider, "Provider name")->required();
    sub.add_option("--user", o->user, "Whose credential (default: your login name)");
    sub.add_option("--min-valid", o->min_valid, "The token must stay valid this many seconds (default 60)")
        ->check(CLI::Range(0, 86400));
    sub.add_option("--scope", o->scope, "Ask for a token with fewer scopes (space-separated), cached apart");
    sub.add_option("-o,--output", o->output, "raw (default): the token alone; json; header")
        ->check(CLI::IsMember({"raw", "json", "header"}));
    sub.footer("Examples:\n  curl -H \"Authorization: Bearer $(credctl token github)\" https://api.github.com/user\n"
               "  credctl token --user alice --min-valid 300 github");
    runner = [&g, o] { return run_token(g, *o); };
}

}  // namespace credctl::cli
