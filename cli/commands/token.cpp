// credctl token's options and help for CLI11; the command itself is
// token_run.cpp's.
#include "cli/commands/command.hpp"
#include "cli/commands/token_options.hpp"
#include "cli/output/token_format.hpp"

#include <memory>

namespace credctl::cli {

void add_token_ask_options(CLI::App& sub, TokenAsk& ask) {
    sub.add_option("--min-valid", ask.min_valid, "The token must stay valid this many seconds (default 60)")
        ->check(CLI::Range(0, 86400));
    sub.add_option("--timeout", ask.timeout,
                   "Wait at most this many seconds (e.g. 2.5) for a refresh at the provider (default: as long as "
                   "credd retries it); then exit 5, provider_unavailable")
        ->check(CLI::Range(0.001, 3600.0));
}

void add_token_options(CLI::App& sub, TokenOptions& o) {
    sub.add_option("provider", o.provider, "Provider name")->required();
    sub.add_option("action", o.git_action, "With -o git-credential: the action git appends (get, store, erase)")
        ->check(CLI::IsMember({"get", "store", "erase"}));
    sub.add_option("--user", o.user, "Whose credential (default: yours, as credd names your uid)");
    add_token_ask_options(sub, o.ask);
    sub.add_option("--scope", o.ask.scope, "Ask for a token with fewer scopes (space-separated), cached apart");
    sub.add_option("-o,--output", o.output,
                   "raw (default), json, env, header, credential-process, git-credential, exec-credential")
        ->check(CLI::IsMember(token_format_names()));
    sub.add_option("--env", o.env_name, "With -o env: the variable that holds the token (default CREDCTL_ACCESS_TOKEN)")
        ->check(env_name_problem);
}

void add_token(CLI::App& sub, const Globals& g, Runner& runner) {
    auto o = std::make_shared<TokenOptions>();
    add_token_options(sub, *o);
    sub.footer(
        "Examples:\n"
        "  credctl token -o header github | curl -H @- https://api.github.com/user\n"
        "  eval \"$(credctl token -o env --env GITHUB_TOKEN github)\"\n"
        "  git config credential.https://github.com.helper '!credctl token -o git-credential github'\n"
        "  credctl token --user alice --min-valid 300 -o json github\n"
        "  credctl token --timeout 5 github   # give up after 5 s if the provider is slow");
    runner = [&g, o] { return run_token(g, *o); };
}

}  // namespace credctl::cli
