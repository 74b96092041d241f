#include "daemon/store/record_codec.hpp"

#include <cstring>

namespace credctl::store {
namespace {

class Writer {
public:
    explicit Writer(SecretBytes& out) : out_(out) {}
    void bytes(const void* p, std::size_t n) {
        if (n != 0) std::memcpy(out_.data() + pos_, p, n);
        pos_ += n;
    }
    void u64(std::uint64_t v) {
        unsigned char b[8];
        for (int i = 0; i < 8; ++i) b[i] = static_cast<unsigned char>(v >> (8 * i));
        bytes(b, 8);
    }
    void str(const void* p, std::size_t n) {
        unsigned char b[4];
        for (int i = 0; i < 4; ++i) b[i] = static_cast<unsigned char>(n >> (8 * i));
        bytes(b, 4);
        bytes(p, n);
    }
    void str(std::string_view s) { str(s.data(), s.size()); }
    void secret(const SecretBytes& s) { str(s.data(), s.size()); }

private:
    SecretBytes& out_;
    std::size_t pos_ = 0;
};

class Reader {
public:
    explicit Reader(const SecretBytes& in) : in_(in) {}
    bool ok() const { return ok_; }
    bool at_end() const { return pos_ == in_.size(); }
    std::uint64_t u64() {
        if (!need(8)) return 0;
        std::uint64_t v = 0;
        for (int i = 0; i < 8; ++i)
            v |= static_cast<std::uint64_t>(in_.data()[pos_ + static_cast<std::size_t>(i)]) << (8 * i);
        pos_ += 8;
        return v;
    }
    std::size_t len() {
        if (!need(4)) return 0;
        std::size_t n = 0;
        for (int i = 0; i < 4; ++i)
            n |= static_cast<std::size_t>(in_.data()[pos_ + static_cast<std::size_t>(i)]) << (8 * i);
        pos_ += 4;
        return need(n) ? n : 0;
    }
    std::string str() {
        const std::size_t n = len();
        std::string s(reinterpret_cast<const char*>(in_.data() + pos_), ok_ ? n : 0);
        pos_ += ok_ ? n : 0;
        return s;
    }
    SecretBytes secret() {
        const std::size_t n = len();
        if (!ok_) return {};
        SecretBytes s(in_.data() + pos_, n);
        pos_ += n;
        return s;
    }

private:
    bool need(std::size_t n) {
        if (!ok_ || in_.size() - pos_ < n) ok_ = false;
        return ok_;
    }
    const SecretBytes& in_;
    std::size_t pos_ = 0;
    bool ok_ = true;
};

}  // namespace

SecretBytes encode_record(const CredentialRecord& r, std::string_view sealed_refresh_token) {
    const std::size_t size = 4 * 5 + 8 * 5 + 1 * 8 + sealed_refresh_token.size() + r.access_token.size() +
                             r.scope.size() + r.issuer.size() + r.subject.size();
    auto out = SecretBytes::zeroed(size);
    Writer w(out);
    w.str(sealed_refresh_token);
    w.secret(r.access_token);
    w.u64(static_cast<std::uint64_t>(r.access_expires_at));
    w.str(r.scope);
    w.str(r.issuer);
    w.str(r.subject);
    w.u64(static_cast<std::uint64_t>(r.created_at));
    w.u64(static_cast<std::uint64_t>(r.updated_at));
    w.u64(r.rotation);
    w.u64(static_cast<std::uint64_t>(r.state));
    w.u64(static_cast<std::uint64_t>(r.refreshed_at));
    return out;
}

Result<DecodedRecord> decode_record(const SecretBytes& plaintext) {
    Reader rd(plaintext);
    DecodedRecord out;
    out.sealed_refresh_token = rd.str();
    auto& r = out.record;
    r.access_token = rd.secret();
    r.access_expires_at = static_cast<std::int64_t>(rd.u64());
    r.scope = rd.str();
    r.issuer = rd.str();
    r.subject = rd.str();
    r.created_at = static_cast<std::int64_t>(rd.u64());
    r.updated_at = static_cast<std::int64_t>(rd.u64());
    r.rotation = rd.u64();
    const auto state = rd.u64();
    // Field 11 came later: a record that ends after the state was written
    // before it, and was last refreshed no later than it was last updated.
    r.refreshed_at = rd.ok() && rd.at_end() ? r.updated_at : static_cast<std::int64_t>(rd.u64());
    if (!rd.ok() || !rd.at_end() || state > 2) return make_error(Errc::internal, "record plaintext is malformed");
    r.state = static_cast<CredentialState>(state);
    return out;
}

}  // namespace credctl::store
