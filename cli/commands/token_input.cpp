#include "cli/commands/token_input.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <string_view>

namespace credctl::cli {
namespace {

bool has_control_character(std::string_view s) {
    return std::any_of(s.begin(), s.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u < 0x20 || u == 0x7f;
    });
}

}  // namespace

std::string read_git_username(std::istream& in) {
    std::string line;
    std::string username;
    while (std::getline(in, line) && !line.empty()) {
        if (line.rfind("username=", 0) == 0 && !has_control_character(line)) username = line.substr(9);
    }
    return username;
}

std::string exec_api_version(const char* info) {
    std::string version = "client.authentication.k8s.io/v1";
    if (info == nullptr) return version;
    boost::system::error_code ec;
    auto v = boost::json::parse(info, ec);
    if (ec || !v.is_object()) return version;
    if (const auto* a = v.as_object().if_contains("apiVersion"); a != nullptr && a->is_string()) {
        const std::string wanted(a->as_string());
        if (wanted == "client.authentication.k8s.io/v1beta1") version = wanted;
    }
    return version;
}

}  // namespace credctl::cli
