// What TokenService tells about the states of credentials (a narrow hook:
// one call at each place where a state changes, daemon/tokens), and the
// no-op receiver used when nobody listens. The Alerter (alerter.hpp) is the
// production receiver.
//
// Thread-safety: called on the I/O thread only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace credctl::notify {

// Why a credential needs attention; the words are CREDCTL_REASON's values.
enum class Reason {
    invalid_grant,         // the provider rejected the refresh token
    rotation_interrupted,  // credd stopped between a refresh and its commit
    provider_unavailable,  // refreshes have failed for a transient reason
};
[[nodiscard]] std::string_view to_string(Reason reason);

class Events {
public:
    virtual ~Events() = default;
    // The credential of `user` at `provider` turned login_required.
    virtual void login_required(const std::string& user, const std::string& provider, Reason reason) = 0;
    // A refresh failed for a transient reason; its refreshes have failed
    // since `since` (epoch seconds), and it is `now`.
    virtual void unavailable(const std::string& user, const std::string& provider, std::int64_t since,
                             std::int64_t now) = 0;
    // The credential is valid again: a new login, or a refresh that worked.
    virtual void valid(const std::string& user, const std::string& provider) = 0;
};

// A receiver that does nothing; lives as long as the program.
[[nodiscard]] Events& no_events();

}  // namespace credctl::notify
