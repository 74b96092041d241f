#include "common/oauth/form.hpp"

#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

namespace credctl::http {

std::string form_encode(std::string_view value) {
    boost::urls::encoding_opts opts;
    opts.space_as_plus = false;
    return boost::urls::encode(value, boost::urls::unreserved_chars, opts);
}

void append_form_encoded(SecretString& form, std::string_view value) {
    boost::urls::encoding_opts opts;
    opts.space_as_plus = false;
    const std::size_t size = boost::urls::encoded_size(value, boost::urls::unreserved_chars, opts);
    const std::size_t at = form.size();
    form.resize(at + size);
    boost::urls::encode(form.data() + at, size, value, boost::urls::unreserved_chars, opts);
}

}  // namespace credctl::http
