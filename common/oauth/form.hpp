// application/x-www-form-urlencoded encoding (RFC 3986 unreserved characters
// kept, every other byte percent-encoded, space as %20): OAuth request
// bodies and the query of a daemon request. Apart from the HTTPS client
// (http_client.hpp) so that a program that only asks credd, such as
// `credctl token`, does not link TLS.
// Thread-safety: pure functions.
#pragma once

#include "common/secret/secret_string.hpp"

#include <string>
#include <string_view>

namespace credctl::http {

// application/x-www-form-urlencoded encoding of one value.
[[nodiscard]] std::string form_encode(std::string_view value);
// The same, appended to `form` in place: for secret values, so that no
// encoded copy is left in a temporary.
void append_form_encoded(SecretString& form, std::string_view value);

}  // namespace credctl::http
