#include "daemon/peer/cgroup.hpp"

#include <array>

namespace credctl::peer {
namespace {

// systemd.unit(5): the unit types that own processes.
constexpr std::array<std::string_view, 3> k_process_unit_suffixes{".service", ".scope", ".socket"};
constexpr std::string_view k_slice_suffix = ".slice";
// unit_name_is_valid() in systemd: UNIT_NAME_MAX includes the terminating NUL.
constexpr std::size_t k_max_unit_name_bytes = 255;

// The characters systemd allows in a unit name (VALID_CHARS, plus '@' for
// instances), and at least one character before the type suffix.
bool is_unit_name_with_suffix(std::string_view name, std::string_view suffix) {
    if (name.size() <= suffix.size() || name.size() > k_max_unit_name_bytes || !name.ends_with(suffix)) {
        return false;
    }
    for (char c : name) {
        const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum && std::string_view(":-_.\\@").find(c) == std::string_view::npos) return false;
    }
    return true;
}

// cg_unescape(): systemd prefixes '_' to a unit's cgroup name that would
// clash with a kernel file name ("cpu.x", "tasks") or starts with '_' or '.'.
std::string_view unescape(std::string_view component) {
    return component.starts_with('_') ? component.substr(1) : component;
}

}  // namespace

bool is_process_unit_name(std::string_view name) {
    for (auto suffix : k_process_unit_suffixes) {
        if (is_unit_name_with_suffix(name, suffix)) return true;
    }
    return false;
}

std::optional<std::string> unit_from_cgroup_path(std::string_view path) {
    std::size_t pos = 0;
    while (pos < path.size()) {
        const auto slash = path.find('/', pos);
        const auto end = slash == std::string_view::npos ? path.size() : slash;
        const auto component = unescape(path.substr(pos, end - pos));
        pos = end + 1;
        if (component.empty()) continue;  // the leading '/'
        if (is_unit_name_with_suffix(component, k_slice_suffix)) continue;
        // The first component that is not a slice is the owner, whatever is
        // below it; if it is no unit, the process is in no unit.
        if (is_process_unit_name(component)) return std::string(component);
        return std::nullopt;
    }
    return std::nullopt;
}

std::optional<std::string> unit_from_cgroup(std::string_view text) {
    std::optional<std::string> unified;
    std::optional<std::string> named;
    std::size_t pos = 0;
    while (pos < text.size()) {
        const auto nl = text.find('\n', pos);
        const auto line = text.substr(pos, (nl == std::string_view::npos ? text.size() : nl) - pos);
        pos = nl == std::string_view::npos ? text.size() : nl + 1;
        // hierarchy-ID:controller-list:cgroup-path (cgroups(7))
        const auto first = line.find(':');
        const auto second = first == std::string_view::npos ? first : line.find(':', first + 1);
        if (second == std::string_view::npos) continue;
        const auto controllers = line.substr(first + 1, second - first - 1);
        const auto path = line.substr(second + 1);
        if (line.substr(0, first) == "0" && controllers.empty()) unified = unit_from_cgroup_path(path);
        if (controllers == "name=systemd") named = unit_from_cgroup_path(path);
    }
    return unified ? unified : named;
}

}  // namespace credctl::peer
