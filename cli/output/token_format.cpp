#include "cli/output/token_format.hpp"

#include <sodium.h>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <array>
#include <ctime>
#include <utility>

namespace credctl::cli {
namespace {

constexpr std::array<std::pair<std::string_view, TokenFormat>, 7> k_formats{{
    {"raw", TokenFormat::raw},
    {"json", TokenFormat::json},
    {"env", TokenFormat::env},
    {"header", TokenFormat::header},
    {"credential-process", TokenFormat::credential_process},
    {"git-credential", TokenFormat::git_credential},
    {"exec-credential", TokenFormat::exec_credential},
}};

// Zeroes every string in `v` after it has been serialized: one of them is
// the token, and Boost.JSON frees without wiping.
void wipe(boost::json::value& v) {
    if (auto* s = v.if_string()) {
        sodium_memzero(s->data(), s->size());
    } else if (auto* o = v.if_object()) {
        for (auto& kv : *o) wipe(kv.value());
    }
}

std::string serialize_and_wipe(boost::json::value v) {
    std::string out = boost::json::serialize(v) + "\n";
    wipe(v);
    return out;
}

std::string json(const TokenView& t) {
    return serialize_and_wipe(boost::json::object{{"access_token", t.access_token},
                                                  {"token_type", t.token_type},
                                                  {"expires_at", t.expires_at},
                                                  {"scope", t.scope}});
}

std::string env(const TokenView& t) {
    // `export` on each line so that `eval "$(credctl token -o env P)"` hands
    // the variables to the programs the script runs next.
    std::string out = "export " + std::string(t.env_name) + "=" + shell_quote(t.access_token) + "\n";
    out += "export CREDCTL_TOKEN_TYPE=" + shell_quote(t.token_type) + "\n";
    out += "export CREDCTL_EXPIRES_AT=" + std::to_string(t.expires_at) + "\n";
    return out;
}

// AWS CLI/SDK "Sourcing credentials with an external process": Version 1,
// AccessKeyId and SecretAccessKey required, Expiration in ISO 8601. The
// bearer token is the secret; the key id names whose credential it is.
std::string credential_process(const TokenView& t) {
    boost::json::object o{{"Version", 1},
                          {"AccessKeyId", std::string(t.user) + "/" + std::string(t.provider)},
                          {"SecretAccessKey", t.access_token},
                          {"SessionToken", t.access_token}};
    if (t.expires_at > 0) o["Expiration"] = rfc3339_utc(t.expires_at);
    return serialize_and_wipe(std::move(o));
}

// gitcredentials(7): "key=value" lines on stdout answer a `get`. git 2.41+
// also reads password_expiry_utc; older versions ignore unknown keys.
std::string git_credential(const TokenView& t) {
    std::string out = "username=" + std::string(t.git_username) + "\n";
    out += "password=" + std::string(t.access_token) + "\n";
    if (t.expires_at > 0) out += "password_expiry_utc=" + std::to_string(t.expires_at) + "\n";
    return out;
}

// client-go credential plugins: an ExecCredential whose status carries the
// bearer token and when it expires, so kubectl asks again only then.
std::string exec_credential(const TokenView& t) {
    boost::json::object status{{"token", t.access_token}};
    if (t.expires_at > 0) status["expirationTimestamp"] = rfc3339_utc(t.expires_at);
    return serialize_and_wipe(boost::json::object{
        {"apiVersion", t.exec_api_version}, {"kind", "ExecCredential"}, {"status", std::move(status)}});
}

}  // namespace

const std::vector<std::string>& token_format_names() {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> v;
        for (const auto& f : k_formats) v.emplace_back(f.first);
        return v;
    }();
    return names;
}

Result<TokenFormat> parse_token_format(std::string_view name) {
    for (const auto& [n, f] : k_formats) {
        if (n == name) return f;
    }
    return make_error(Errc::usage, "unknown output format: \"" + std::string(name) + "\"");
}

std::string format_token(TokenFormat format, const TokenView& t) {
    switch (format) {
        case TokenFormat::raw:
            return std::string(t.access_token) + "\n";
        case TokenFormat::json:
            return json(t);
        case TokenFormat::env:
            return env(t);
        case TokenFormat::header:
            return "Authorization: " + std::string(t.token_type) + " " + std::string(t.access_token) + "\n";
        case TokenFormat::credential_process:
            return credential_process(t);
        case TokenFormat::git_credential:
            return git_credential(t);
        case TokenFormat::exec_credential:
            return exec_credential(t);
    }
    return {};
}

std::string rfc3339_utc(std::int64_t epoch_seconds) {
    const auto t = static_cast<std::time_t>(epoch_seconds);
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

std::string shell_quote(std::string_view s) {
    std::string out = "'";
    for (const char c : s) {
        if (c == '\'') {
            out += "'\\''";
        } else {
            out += c;
        }
    }
    return out + "'";
}

bool safe_token(std::string_view token) {
    for (const char c : token) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f) return false;
    }
    return !token.empty();
}

bool valid_env_name(std::string_view name) {
    if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
    for (const char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
        if (!ok) return false;
    }
    return true;
}

std::string env_name_problem(const std::string& name) {
    return valid_env_name(name) ? std::string() : "not a variable name: " + name;
}

}  // namespace credctl::cli
