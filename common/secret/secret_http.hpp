// Beast types for HTTP messages that may carry secrets: a login's refresh
// token in a request to credd, a token in its answer, a refresh grant sent to
// a provider and the tokens it answers with. Bodies, header fields and read
// buffers all use ZeroingAllocator (secret_string.hpp), so the bytes of a
// message are zeroed when the message is freed, and whenever a buffer grows.
// Include only from .cpp files that already use Beast.
#pragma once

#include "common/secret/secret_string.hpp"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

namespace credctl {

using SecretBody = boost::beast::http::basic_string_body<char, std::char_traits<char>, ZeroingAllocator<char>>;
using SecretFields = boost::beast::http::basic_fields<ZeroingAllocator<char>>;
using SecretRequest = boost::beast::http::request<SecretBody, SecretFields>;
using SecretResponse = boost::beast::http::response<SecretBody, SecretFields>;
using SecretBuffer = boost::beast::basic_flat_buffer<ZeroingAllocator<char>>;

}  // namespace credctl
