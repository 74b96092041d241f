// Boost.JSON for values that hold secrets: a token endpoint's answer, a
// credential on its way to credd, a token on its way to a caller.
//
// zeroing_storage() is a memory resource that zeroes every block it frees.
// parse_secret_json() parses into it, the parser's own temporary memory
// included; serialize_secret_json() writes into a SecretString. A secret that
// passes through JSON this way leaves no copy in freed memory, and the code
// that handles it needs no manual wipe (secret_string.hpp).
//
// Thread-safety: the storage is stateless and may be shared by all threads.
#pragma once

#include "common/secret/secret_string.hpp"

#include <boost/json/storage_ptr.hpp>
#include <boost/json/value.hpp>
#include <boost/system/error_code.hpp>

#include <string_view>

namespace credctl {

[[nodiscard]] boost::json::storage_ptr zeroing_storage();

// Parses one complete JSON text. On error `ec` is set and the result is null.
[[nodiscard]] boost::json::value parse_secret_json(std::string_view text, boost::system::error_code& ec);

[[nodiscard]] SecretString serialize_secret_json(const boost::json::value& value);

}  // namespace credctl
