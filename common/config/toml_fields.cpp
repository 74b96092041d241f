#include "common/config/toml_fields.hpp"

#include <algorithm>
#include <sstream>

namespace credctl::config {

Result<toml::table> parse_toml_file(const std::string& path) {
    try {
        return toml::parse_file(path);
    } catch (const toml::parse_error& e) {
        return make_error(Errc::bad_request,
                          path + ":" + std::to_string(e.source().begin.line) + ": " + std::string(e.description()));
    }
}

Fields::Fields(const toml::table& table, std::string file, std::string prefix)
    : table_(table), file_(std::move(file)), prefix_(std::move(prefix)) {}

std::string Fields::where(std::string_view key) const {
    const toml::node* node = table_.get(key);
    const auto& src = node != nullptr ? node->source() : table_.source();
    std::string out = file_ + ":" + std::to_string(src.begin.line) + ": ";
    if (!prefix_.empty()) out += prefix_ + ".";
    out += key;
    return out;
}

Error Fields::error_at(std::string_view key, std::string_view what) const {
    return make_error(Errc::bad_request, where(key) + ": " + std::string(what));
}

Fields Fields::child(const toml::table& table, std::string_view key) const {
    return Fields(table, file_, prefix_.empty() ? std::string(key) : prefix_ + "." + std::string(key));
}

Result<std::optional<std::string>> Fields::string(std::string_view key) const {
    const toml::node* node = table_.get(key);
    if (node == nullptr) return std::optional<std::string>{};
    if (const auto* s = node->as_string()) return std::optional<std::string>{s->get()};
    return error_at(key, "must be a string");
}

Result<std::optional<std::int64_t>> Fields::integer(std::string_view key, std::int64_t min, std::int64_t max) const {
    const toml::node* node = table_.get(key);
    if (node == nullptr) return std::optional<std::int64_t>{};
    const auto* i = node->as_integer();
    if (i == nullptr) return error_at(key, "must be an integer");
    const std::int64_t v = i->get();
    if (v < min || v > max) {
        return error_at(
            key, "must be between " + std::to_string(min) + " and " + std::to_string(max) + ": " + std::to_string(v));
    }
    return std::optional<std::int64_t>{v};
}

Result<std::optional<double>> Fields::number(std::string_view key, double min, double max) const {
    const toml::node* node = table_.get(key);
    if (node == nullptr) return std::optional<double>{};
    const auto v = node->value<double>();  // an integer converts, anything else is nullopt
    if (!v || !node->is_number()) return error_at(key, "must be a number");
    if (!(*v >= min && *v <= max)) {  // NaN fails both
        std::ostringstream what;
        what << "must be between " << min << " and " << max << ": " << *v;
        return error_at(key, what.str());
    }
    return v;
}

Result<std::optional<bool>> Fields::boolean(std::string_view key) const {
    const toml::node* node = table_.get(key);
    if (node == nullptr) return std::optional<bool>{};
    if (const auto* b = node->as_boolean()) return std::optional<bool>{b->get()};
    return error_at(key, "must be true or false");
}

Result<std::optional<std::vector<std::string>>> Fields::strings(std::string_view key) const {
    const toml::node* node = table_.get(key);
    if (node == nullptr) return std::optional<std::vector<std::string>>{};
    const auto* arr = node->as_array();
    if (arr == nullptr) return error_at(key, "must be an array of strings");
    std::vector<std::string> out;
    for (const auto& el : *arr) {
        const auto* s = el.as_string();
        if (s == nullptr) return error_at(key, "must be an array of strings");
        out.push_back(s->get());
    }
    return std::optional<std::vector<std::string>>{std::move(out)};
}

Result<std::optional<std::string>> Fields::path(std::string_view key) const {
    auto s = string(key);
    if (!s || !*s) return s;
    if ((*s)->empty() || (**s)[0] != '/') return error_at(key, "not an absolute path: \"" + **s + "\"");
    if (const auto nul = (*s)->find('\0'); nul != std::string::npos) {
        return error_at(key, "holds a NUL byte: \"" + (*s)->substr(0, nul) + "\\u0000...\"");
    }
    return s;
}

Result<const toml::table*> Fields::table(std::string_view key) const {
    const toml::node* node = table_.get(key);
    if (node == nullptr) return static_cast<const toml::table*>(nullptr);
    if (const auto* t = node->as_table()) return t;
    return error_at(key, "must be a table");
}

Result<void> Fields::only(std::initializer_list<std::string_view> known) const {
    return only(std::vector<std::string_view>(known));
}

Result<void> Fields::only(const std::vector<std::string_view>& known) const {
    for (const auto& [k, v] : table_) {
        if (std::find(known.begin(), known.end(), k.str()) == known.end()) {
            return error_at(k.str(), "unknown key");
        }
    }
    return {};
}

}  // namespace credctl::config
