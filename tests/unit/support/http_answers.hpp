// Answers of an HTTP exchange as the OAuth core's interpret_* functions
// receive them, for the unit tests of those functions. Plain values.
#pragma once

#include "common/oauth/http_client.hpp"

#include <string>
#include <utility>

namespace credctl::test {

// An exchange that got an answer (not retryable as a transport failure).
inline Attempt<http::Response> answered(int status, std::string body, std::string location = {}) {
    http::Response r;
    r.status = status;
    r.body = std::move(body);
    r.location = std::move(location);
    return {r, false};
}

}  // namespace credctl::test
