#include "daemon/store/record_key.hpp"

namespace credctl::store {

std::string record_key(const CredentialKey& k) {
    std::string s = k.user;
    s.push_back('\0');
    s += k.provider;
    return s;
}

std::optional<CredentialKey> split_record_key(std::string_view key) {
    const auto nul = key.find('\0');
    if (nul == std::string_view::npos) return std::nullopt;
    return CredentialKey{std::string(key.substr(0, nul)), std::string(key.substr(nul + 1))};
}

}  // namespace credctl::store
