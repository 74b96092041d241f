#include "daemon/metrics/exposition.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>

namespace credctl::metrics {
namespace {

// Every integer up to this is a double exactly, and is printed as one.
constexpr double k_max_exact_integer = 9007199254740992.0;  // 2^53

std::string escape(std::string_view in, bool quote) {
    std::string out;
    out.reserve(in.size());
    for (const char c : in) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '"' && quote) {
            out += "\\\"";
        } else {
            out += c;
        }
    }
    return out;
}

std::string_view type_name(Type t) {
    switch (t) {
        case Type::counter:
            return "counter";
        case Type::gauge:
            return "gauge";
        case Type::histogram:
            return "histogram";
    }
    return "untyped";
}

}  // namespace

std::string escape_help(std::string_view text) {
    return escape(text, false);
}

std::string escape_label_value(std::string_view value) {
    return escape(value, true);
}

std::string format_value(double value) {
    if (std::isnan(value)) return "NaN";
    if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
    if (std::trunc(value) == value && std::fabs(value) <= k_max_exact_integer) {
        return std::to_string(static_cast<std::int64_t>(value));
    }
    char buffer[32];
    const auto r = std::to_chars(buffer, buffer + sizeof buffer, value);
    return std::string(buffer, r.ptr);
}

void Exposition::family(std::string_view name, std::string_view help, Type type) {
    text_ += "# HELP ";
    text_ += name;
    text_ += ' ';
    text_ += escape_help(help);
    text_ += "\n# TYPE ";
    text_ += name;
    text_ += ' ';
    text_ += type_name(type);
    text_ += '\n';
}

void Exposition::sample(std::string_view name, const LabelPairs& labels, double value) {
    text_ += name;
    if (!labels.empty()) {
        text_ += '{';
        for (std::size_t i = 0; i < labels.size(); ++i) {
            if (i != 0) text_ += ',';
            text_ += labels[i].first;
            text_ += "=\"";
            text_ += escape_label_value(labels[i].second);
            text_ += '"';
        }
        text_ += '}';
    }
    text_ += ' ';
    text_ += format_value(value);
    text_ += '\n';
}

}  // namespace credctl::metrics
