// Typed, located access to one TOML table, shared by the daemon's and the
// CLI's config loaders. Every error names the file, the line, the full key and
// the bad value: `credd.toml:14: limits.max_body_bytes: must be > 0: -1`.
//
// Only config loaders include this header (it pulls in toml++).
// Thread-safety: none needed; a Fields lives for one load.
#pragma once

#include "common/error/error.hpp"

#include <toml++/toml.h>

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace credctl::config {

// Parses a TOML file; the error carries the file name and line.
[[nodiscard]] Result<toml::table> parse_toml_file(const std::string& path);

class Fields {
public:
    // `prefix` is the dotted path of `table` ("" for the root).
    Fields(const toml::table& table, std::string file, std::string prefix);

    // Each getter: std::nullopt when absent, an error when of the wrong type.
    [[nodiscard]] Result<std::optional<std::string>> string(std::string_view key) const;
    [[nodiscard]] Result<std::optional<std::int64_t>> integer(std::string_view key, std::int64_t min,
                                                              std::int64_t max) const;
    // An integer or a floating-point number within [min, max].
    [[nodiscard]] Result<std::optional<double>> number(std::string_view key, double min, double max) const;
    [[nodiscard]] Result<std::optional<bool>> boolean(std::string_view key) const;
    [[nodiscard]] Result<std::optional<std::vector<std::string>>> strings(std::string_view key) const;
    // An absolute path, or an error naming the value. A path holding a NUL
    // byte (a TOML "\u0000") is refused: the system would cut it there.
    [[nodiscard]] Result<std::optional<std::string>> path(std::string_view key) const;
    // A sub-table, or nullptr when absent.
    [[nodiscard]] Result<const toml::table*> table(std::string_view key) const;

    // Rejects keys not in `known`, so that a typo is an error, not a default.
    [[nodiscard]] Result<void> only(std::initializer_list<std::string_view> known) const;
    [[nodiscard]] Result<void> only(const std::vector<std::string_view>& known) const;

    [[nodiscard]] Error error_at(std::string_view key, std::string_view what) const;
    [[nodiscard]] Fields child(const toml::table& table, std::string_view key) const;
    [[nodiscard]] const std::string& file() const { return file_; }

private:
    [[nodiscard]] std::string where(std::string_view key) const;

    const toml::table& table_;
    std::string file_;
    std::string prefix_;
};

}  // namespace credctl::config
