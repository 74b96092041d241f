// OncePerState: the memory that makes an alert fire at most once per
// credential per state change. A credential is alerted for a state the
// first time it is reported in it; reports of the same state after that
// are quiet until the credential is valid again (clear()), or turns into
// another state worth an alert.
//
// Kept in memory: after a restart a credential already in login_required is
// not alerted again (TokenService reports no change for it), while one that
// changes state is. Used by the Alerter. Thread-safety: one thread.
#pragma once

#include <cstddef>
#include <map>
#include <string>

namespace credctl::notify {

enum class Alert { login_required, provider_unavailable };
[[nodiscard]] const char* to_string(Alert state);

class OncePerState {
public:
    // True when `state` is new for the credential: it is then remembered.
    [[nodiscard]] bool first(const std::string& user, const std::string& provider, Alert state);
    // The credential is valid again: its next alert fires.
    void clear(const std::string& user, const std::string& provider);
    // Credentials remembered in an alerted state.
    [[nodiscard]] std::size_t size() const { return last_.size(); }

private:
    std::map<std::string, Alert> last_;  // by user NUL provider
};

}  // namespace credctl::notify
