#include "daemon/notify/once_per_state.hpp"

namespace credctl::notify {
namespace {

std::string key_of(const std::string& user, const std::string& provider) {
    return user + '\0' + provider;
}

}  // namespace

const char* to_string(Alert state) {
    return state == Alert::login_required ? "login_required" : "provider_unavailable";
}

bool OncePerState::first(const std::string& user, const std::string& provider, Alert state) {
    auto [it, inserted] = last_.try_emplace(key_of(user, provider), state);
    if (inserted) return true;
    if (it->second == state) return false;
    it->second = state;
    return true;
}

void OncePerState::clear(const std::string& user, const std::string& provider) {
    last_.erase(key_of(user, provider));
}

}  // namespace credctl::notify
