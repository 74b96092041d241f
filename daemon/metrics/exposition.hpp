// The Prometheus text exposition format, version 0.0.4: what credd answers
// on GET /v1/metrics (docs/metrics.md). One Exposition collects families in
// the order they are written: a `# HELP` and a `# TYPE` line, then the
// family's samples, one per line, `name{label="value",...} value`.
//
// Escaping is the format's: in HELP text a backslash and a line feed
// (`\\`, `\n`); in label values those and the double quote (`\"`). Values
// are printed exactly for integers up to 2^53, in the shortest form that
// reads back to the same double otherwise, and `+Inf`, `-Inf`, `NaN`.
// Names (metrics and labels) are the caller's constants and are not checked.
//
// Used by the registry (registry.hpp) and credd's metrics
// (daemon_metrics.hpp). Thread-safety: an Exposition is one caller's.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace credctl::metrics {

enum class Type { counter, gauge, histogram };

// Label names and values of one sample, in order.
using LabelPairs = std::vector<std::pair<std::string, std::string>>;

[[nodiscard]] std::string escape_help(std::string_view text);
[[nodiscard]] std::string escape_label_value(std::string_view value);
[[nodiscard]] std::string format_value(double value);

class Exposition {
public:
    // Starts a family: its HELP and TYPE lines. `name` is the family's name
    // (a counter's ends in _total; a histogram's samples add _bucket, _sum
    // and _count to it).
    void family(std::string_view name, std::string_view help, Type type);
    // One sample line of the current family.
    void sample(std::string_view name, const LabelPairs& labels, double value);
    [[nodiscard]] const std::string& text() const { return text_; }

private:
    std::string text_;
};

}  // namespace credctl::metrics
