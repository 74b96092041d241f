// One credential record with every field set to a value of its own, for the
// tests that encode, store or lay out records (record_codec_test.cpp,
// store_format_test.cpp). A plain value.
#pragma once

#include "daemon/store/store.hpp"

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

}  // namespace credctl::test
