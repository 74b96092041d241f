// Credential records for tests. sample_record(): every field set to a value
// of its own, for the tests that encode, store or lay out records
// (record_codec_test.cpp, store_format_test.cpp). record_tagged(): a record
// whose access token ("AT-" TAG) and subject tell records apart, for the
// store tests. key_of(): a master key made of one byte value. Plain values.
#pragma once

#include "daemon/store/sealer.hpp"
#include "daemon/store/store.hpp"

#include <string>

namespace credctl::test {

inline store::CredentialRecord sample_record() {
    store::CredentialRecord r;
    r.access_token = SecretBytes::from("AT-abcdef");
    r.access_expires_at = 1700000123;
    r.scope = "openid email offline_access";
    r.issuer = "https://issuer.example";
    r.subject = "subject-42";
    r.created_at = 1600000000;
    r.updated_at = 1650000000;
    r.rotation = 7;
    r.state = store::CredentialState::login_required;
    r.refreshed_at = 1640000000;
    return r;
}

inline SecretBytes key_of(unsigned char fill) {
    auto k = SecretBytes::zeroed(store::k_master_key_bytes);
    for (std::size_t i = 0; i < k.size(); ++i) k.data()[i] = static_cast<unsigned char>(fill ^ i);
    return k;
}

inline store::CredentialRecord record_tagged(const std::string& tag, const std::string& subject = "sub") {
    store::CredentialRecord r;
    r.access_token = SecretBytes::from("AT-" + tag);
    r.access_expires_at = 1700000000;
    r.scope = "openid";
    r.issuer = "https://issuer.example";
    r.subject = subject;
    r.created_at = 1;
    r.updated_at = 2;
    r.rotation = 3;
    return r;
}

}  // namespace credctl::test
