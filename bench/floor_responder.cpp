#include "bench/floor_responder.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <sodium.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iterator>
#include <vector>

namespace bench {
namespace {

struct Caller {
    uid_t uid = 0;
    pid_t pid = 0;
    std::string user;
    std::string exe;
    std::string unit;
};

void append_json_string(std::string& out, std::string_view s) {
    out += '"';
    for (const char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        if (static_cast<unsigned char>(c) < 0x20) {
            char esc[8];
            std::snprintf(esc, sizeof esc, "\\u%04x", c);
            out += esc;
        } else {
            out += c;
        }
    }
    out += '"';
}

class Floor : public Responder {
public:
    Floor(const std::string& answer, const std::string& audit_file) {
        if (sodium_init() < 0) std::abort();
        audit_fd_ = ::open(audit_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        const auto body_at = answer.find("\r\n\r\n") + 4;
        head_ = answer.substr(0, body_at);
        const std::string key = "\"access_token\":\"";
        const auto token_at = answer.find(key, body_at) + key.size();
        const auto token_end = answer.find('"', token_at);
        before_ = answer.substr(body_at, token_at - body_at);
        after_ = answer.substr(token_end);
        const std::string token = answer.substr(token_at, token_end - token_at);
        crypto_aead_xchacha20poly1305_ietf_keygen(key_.data());
        randombytes_buf(nonce_.data(), nonce_.size());
        sealed_.resize(token.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES);
        crypto_aead_xchacha20poly1305_ietf_encrypt(sealed_.data(), nullptr,
                                                   reinterpret_cast<const unsigned char*>(token.data()), token.size(),
                                                   nullptr, 0, nullptr, nonce_.data(), key_.data());
        expires_at_ = std::time(nullptr) + 3600;
    }

    void accepted(int fd) override {
        Caller c;
        ucred cred{};
        socklen_t len = sizeof cred;
        ::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len);
        c.uid = cred.uid;
        c.pid = cred.pid;
        passwd pw{};
        passwd* found = nullptr;
        std::array<char, 4096> pw_buf{};
        if (::getpwuid_r(cred.uid, &pw, pw_buf.data(), pw_buf.size(), &found) == 0 && found != nullptr) {
            c.user = pw.pw_name;
        }
        std::array<char, 4096> exe{};
        const std::string proc = "/proc/" + std::to_string(cred.pid);
        const ssize_t n = ::readlink((proc + "/exe").c_str(), exe.data(), exe.size() - 1);
        if (n > 0) c.exe.assign(exe.data(), static_cast<std::size_t>(n));
        std::ifstream cgroup(proc + "/cgroup");
        std::getline(cgroup, c.unit);
        c.unit = c.unit.substr(c.unit.rfind('/') + 1);
        if (callers_.size() <= static_cast<std::size_t>(fd)) callers_.resize(static_cast<std::size_t>(fd) + 1);
        callers_[static_cast<std::size_t>(fd)] = std::move(c);
    }

    void answer(int fd, std::string_view head, std::string& out) override {
        const Caller& c = callers_[static_cast<std::size_t>(fd)];
        // "GET /v1/users/USER/credentials/PROVIDER/token HTTP/1.1"
        const auto target = head.substr(4, head.find(' ', 4) - 4);
        const std::string_view prefix = "/v1/users/";
        auto rest = target.substr(prefix.size());
        const auto user = rest.substr(0, rest.find('/'));
        rest = rest.substr(user.size() + std::string_view("/credentials/").size());
        const auto provider = rest.substr(0, rest.find('/'));
        const bool token_route = target.substr(0, prefix.size()) == prefix && rest.substr(provider.size()) == "/token";
        const bool allowed = token_route && user == c.user;
        audit(c, user, provider, allowed);
        std::vector<unsigned char> token(sealed_.size());
        unsigned long long token_len = 0;
        const bool opened =
            crypto_aead_xchacha20poly1305_ietf_decrypt(token.data(), &token_len, nullptr, sealed_.data(),
                                                       sealed_.size(), nullptr, 0, nonce_.data(), key_.data()) == 0;
        if (!allowed || !opened || std::time(nullptr) >= expires_at_) std::abort();
        sodium_memzero(out.data(), out.size());
        out = head_;
        out += before_;
        out.append(reinterpret_cast<const char*>(token.data()), token_len);
        out += after_;
        sodium_memzero(token.data(), token.size());
    }

    void batch_done() override {
        if (audit_.empty()) return;
        if (::write(audit_fd_, audit_.data(), audit_.size()) < 0) std::abort();
        audit_.clear();
    }

private:
    void audit(const Caller& c, std::string_view user, std::string_view provider, bool allowed) {
        timespec now{};
        ::clock_gettime(CLOCK_REALTIME, &now);
        tm utc{};
        ::gmtime_r(&now.tv_sec, &utc);
        char time[40];
        const std::size_t at = std::strftime(time, sizeof time, "%Y-%m-%dT%H:%M:%S", &utc);
        std::snprintf(time + at, sizeof time - at, ".%03ldZ", now.tv_nsec / 1000000);
        // Random bytes for 64 ids at a time, as credd draws them.
        if (pool_used_ == pool_.size()) {
            randombytes_buf(pool_.data(), pool_.size());
            pool_used_ = 0;
        }
        char id_hex[17];
        sodium_bin2hex(id_hex, sizeof id_hex, pool_.data() + pool_used_, 8);
        pool_used_ += 8;
        const std::string resource = "credentials/" + std::string(user) + "/" + std::string(provider);
        audit_ += "{\"time\":\"" + std::string(time) + "\",\"request_id\":\"" + id_hex +
                  "\",\"pid\":" + std::to_string(c.pid) + ",\"uid\":" + std::to_string(c.uid) + ",\"user\":";
        append_json_string(audit_, c.user);
        audit_ += ",\"exe\":";
        append_json_string(audit_, c.exe);
        audit_ += ",\"unit\":";
        append_json_string(audit_, c.unit);
        audit_ += ",\"resource\":";
        append_json_string(audit_, resource);
        audit_ += ",\"permission\":\"credentials:token\",\"decision\":\"";
        audit_ += allowed ? "allow\",\"grant\":\"owner\",\"reason\":\"owner\"}\n" : "deny\"}\n";
    }

    std::vector<Caller> callers_;
    std::array<unsigned char, 64 * 8> pool_{};
    std::size_t pool_used_ = pool_.size();
    std::array<unsigned char, crypto_aead_xchacha20poly1305_ietf_KEYBYTES> key_{};
    std::array<unsigned char, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES> nonce_{};
    std::vector<unsigned char> sealed_;
    std::time_t expires_at_ = 0;
    std::string head_;
    std::string before_;
    std::string after_;
    std::string audit_;
    int audit_fd_ = -1;
};

}  // namespace

std::unique_ptr<Responder> floor_responder(const std::string& answer, const std::string& audit_file) {
    return std::make_unique<Floor>(answer, audit_file);
}

}  // namespace bench
