// The output formats of `credctl token -o FORMAT` (credctl(1) OUTPUT FORMATS):
// each one is what a well-known consumer reads — a shell, a JSON parser,
// git's credential-helper protocol, the AWS `credential_process` contract
// (Version 1) and the Kubernetes `ExecCredential` of client-go exec plugins.
//
// Used by cli/commands/token.cpp; tested by tests/unit/cli and by the
// end-to-end script that feeds each format to its consumer.
// Thread-safety: pure functions. The output holds the token: it is a
// SecretString, zeroed when freed (common/secret).
#pragma once

#include "common/error/error.hpp"
#include "common/secret/secret_string.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace credctl::cli {

enum class TokenFormat { raw, json, env, header, credential_process, git_credential, exec_credential };

// What a format may show. `access_token` is borrowed for the call.
struct TokenView {
    std::string_view access_token;
    std::string_view token_type = "Bearer";
    std::int64_t expires_at = 0;  // UTC epoch seconds; 0 when unknown
    std::string_view scope;
    std::string_view user;
    std::string_view provider;
    std::string_view env_name = "CREDCTL_ACCESS_TOKEN";  // -o env
    std::string_view git_username = "oauth2";            // -o git-credential
    std::string_view exec_api_version = "client.authentication.k8s.io/v1";
};

// Every format name, in --help order ("raw", "json", ..., "exec-credential").
[[nodiscard]] const std::vector<std::string>& token_format_names();

// Errors: usage, naming the unknown format.
[[nodiscard]] Result<TokenFormat> parse_token_format(std::string_view name);

// The full output, newline-terminated.
[[nodiscard]] SecretString format_token(TokenFormat format, const TokenView& token);

// "2026-11-29T06:30:15Z" (RFC 3339, UTC).
[[nodiscard]] std::string rfc3339_utc(std::int64_t epoch_seconds);

// 'it'\''s' — safe for eval in any POSIX shell, whatever the bytes.
[[nodiscard]] std::string shell_quote(std::string_view s);

// False when `token` holds a control character: printed in a header or a
// git credential line it could inject another header or key.
[[nodiscard]] bool safe_token(std::string_view token);

// True for a portable environment variable name ([A-Za-z_][A-Za-z0-9_]*).
[[nodiscard]] bool valid_env_name(std::string_view name);
// For a CLI11 option check: "" when `name` is valid, else the message.
[[nodiscard]] std::string env_name_problem(const std::string& name);

}  // namespace credctl::cli
