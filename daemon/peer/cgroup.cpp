#include "daemon/peer/cgroup.hpp"

#include <array>

namespace credctl::peer {
namespace {

// systemd.unit(5): the unit types that own processes.
constexpr std::array<std::string_view, 3> k_process_unit_suffixes{".service", ".scope", ".socket"};

bool is_unit_name(std::string_view component) {
    for (auto suffix : k_process_unit_suffixes) {
        if (component.size() > suffix.size() && component.ends_with(suffix)) return true;
    }
    return false;
}

// The last unit-named component of a cgroup path; a delegated unit may have
// sub-cgroups of its own below it ("/x.service/worker").
std::optional<std::string> innermost_unit(std::string_view path) {
    std::optional<std::string> unit;
    std::size_t pos = 0;
    while (pos < path.size()) {
        const auto slash = path.find('/', pos);
        const auto end = slash == std::string_view::npos ? path.size() : slash;
        const auto component = path.substr(pos, end - pos);
        if (is_unit_name(component)) unit = std::string(component);
        pos = end + 1;
    }
    return unit;
}

}  // namespace

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
        if (line.substr(0, first) == "0" && controllers.empty()) unified = innermost_unit(path);
        if (controllers == "name=systemd") named = innermost_unit(path);
    }
    return unified ? unified : named;
}

}  // namespace credctl::peer
