#include "cli/output/token_format.hpp"

#include "common/secret/secret_json.hpp"

#include <boost/json/value.hpp>

#include <algorithm>
#include <array>
#include <chrono>
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

namespace json = boost::json;

// One line of JSON. The object is built in zeroing storage: one of its
// strings is the token.
SecretString json_line(const json::value& v) {
    SecretString out = serialize_secret_json(v);
    out += '\n';
    return out;
}

SecretString json_format(const TokenView& t) {
    json::object o(zeroing_storage());
    o["access_token"] = t.access_token;
    o["token_type"] = t.token_type;
    o["expires_at"] = t.expires_at;
    o["scope"] = t.scope;
    return json_line(o);
}

void append_shell_quoted(SecretString& out, std::string_view s) {
    out += '\'';
    for (const char c : s) {
        if (c == '\'') {
            out += "'\\''";
        } else {
            out += c;
        }
    }
    out += '\'';
}

SecretString env(const TokenView& t) {
    // `export` on each line so that `eval "$(credctl token -o env P)"` hands
    // the variables to the programs the script runs next.
    SecretString out("export ");
    out += t.env_name;
    out += '=';
    append_shell_quoted(out, t.access_token);
    out += "\nexport CREDCTL_TOKEN_TYPE=";
    append_shell_quoted(out, t.token_type);
    out += "\nexport CREDCTL_EXPIRES_AT=";
    out += std::to_string(t.expires_at);
    out += '\n';
    return out;
}

// AWS CLI/SDK "Sourcing credentials with an external process": Version 1,
// AccessKeyId and SecretAccessKey required, Expiration in ISO 8601. The
// bearer token is the secret; the key id names whose credential it is.
SecretString credential_process(const TokenView& t) {
    json::object o(zeroing_storage());
    o["Version"] = 1;
    o["AccessKeyId"] = std::string(t.user) + "/" + std::string(t.provider);
    o["SecretAccessKey"] = t.access_token;
    o["SessionToken"] = t.access_token;
    if (t.expires_at > 0) o["Expiration"] = rfc3339_utc(t.expires_at);
    return json_line(o);
}

// gitcredentials(7): "key=value" lines on stdout answer a `get`. git 2.41+
// also reads password_expiry_utc; older versions ignore unknown keys.
SecretString git_credential(const TokenView& t) {
    SecretString out("username=");
    out += t.git_username;
    out += "\npassword=";
    out += t.access_token;
    out += '\n';
    if (t.expires_at > 0) {
        out += "password_expiry_utc=";
        out += std::to_string(t.expires_at);
        out += '\n';
    }
    return out;
}

// client-go credential plugins: an ExecCredential whose status carries the
// bearer token and when it expires, so kubectl asks again only then.
SecretString exec_credential(const TokenView& t) {
    json::object o(zeroing_storage());
    o["apiVersion"] = t.exec_api_version;
    o["kind"] = "ExecCredential";
    auto& status = o["status"].emplace_object();
    status["token"] = t.access_token;
    if (t.expires_at > 0) status["expirationTimestamp"] = rfc3339_utc(t.expires_at);
    return json_line(o);
}

// "PREFIX TOKEN\n".
SecretString line(std::string_view prefix, std::string_view token) {
    SecretString out(prefix);
    out += token;
    out += '\n';
    return out;
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

SecretString format_token(TokenFormat format, const TokenView& t) {
    switch (format) {
        case TokenFormat::raw:
            return line({}, t.access_token);
        case TokenFormat::json:
            return json_format(t);
        case TokenFormat::env:
            return env(t);
        case TokenFormat::header:
            return line("Authorization: " + std::string(t.token_type) + " ", t.access_token);
        case TokenFormat::credential_process:
            return credential_process(t);
        case TokenFormat::git_credential:
            return git_credential(t);
        case TokenFormat::exec_credential:
            return exec_credential(t);
    }
    return {};
}

// The civil calendar by arithmetic, and the digits by hand: gmtime_r would
// first read /etc/localtime (glibc sets up the time zone for it too), and
// printf's machinery is pages of libc that no other part of a plain line
// touches; this runs once per kubectl call.
std::string rfc3339_utc(std::int64_t epoch_seconds) {
    using namespace std::chrono;
    // Past 9999-12-31T23:59:59Z the year would take five digits.
    constexpr std::int64_t k_last = 253402300799;
    const sys_seconds at{seconds{std::clamp<std::int64_t>(epoch_seconds, 0, k_last)}};
    const auto day = floor<days>(at);
    const year_month_day date{day};
    const hh_mm_ss time{at - day};
    std::string out = "0000-00-00T00:00:00Z";
    const auto put = [&out](std::size_t end, long long value) {
        for (std::size_t i = end; value > 0; value /= 10) out[--i] = static_cast<char>('0' + value % 10);
    };
    put(4, static_cast<int>(date.year()));
    put(7, static_cast<unsigned>(date.month()));
    put(10, static_cast<unsigned>(date.day()));
    put(13, time.hours().count());
    put(16, time.minutes().count());
    put(19, time.seconds().count());
    return out;
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
