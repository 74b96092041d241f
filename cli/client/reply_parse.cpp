#include "cli/client/reply_parse.hpp"

#include <algorithm>
#include <charconv>

namespace credctl::cli {
namespace {

Error unreadable(const std::string& why) {
    return make_error(Errc::daemon_unreachable, "credd's answer cannot be read: " + why);
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

// RFC 9110 tchar: the characters of a field name.
bool is_tchar(char c) {
    if (is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
    return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

char ascii_lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// Field names and the tokens of their values compare without case.
bool same_name(std::string_view a, std::string_view b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                      [](char x, char y) { return ascii_lower(x) == ascii_lower(y); });
}

// What a reason phrase or a field value may hold (RFC 9112): tabs, spaces,
// visible characters and obs-text, no other control character.
bool is_text(char c) {
    const auto u = static_cast<unsigned char>(c);
    return u == '\t' || (u >= 0x20 && u != 0x7f);
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// "HTTP/1.x NNN reason" (the reason may be empty): the status, or -1.
int status_of(std::string_view line) {
    if (line.size() < 13 || line.substr(0, 7) != "HTTP/1." || (line[7] != '0' && line[7] != '1') || line[8] != ' ' ||
        !is_digit(line[9]) || !is_digit(line[10]) || !is_digit(line[11]) || line[12] != ' ') {
        return -1;
    }
    for (const char c : line.substr(13)) {
        if (!is_text(c)) return -1;
    }
    return (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
}

struct Head {
    int status = 0;
    std::optional<std::size_t> length;
};

// The fields after the status line, up to the blank line (excluded).
Result<Head> fields_of(std::string_view fields, int status) {
    Head head{status, std::nullopt};
    while (!fields.empty()) {
        const auto end = fields.find("\r\n");
        const std::string_view line = fields.substr(0, end);
        fields.remove_prefix(end == std::string_view::npos ? fields.size() : end + 2);
        const auto colon = line.find(':');
        if (colon == 0 || colon == std::string_view::npos) return unreadable("a malformed header field");
        const std::string_view name = line.substr(0, colon);
        for (const char c : name) {
            if (!is_tchar(c)) return unreadable("a malformed header field");
        }
        const std::string_view value = trim(line.substr(colon + 1));
        for (const char c : value) {
            if (!is_text(c)) return unreadable("a malformed header field");
        }
        if (same_name(name, "Transfer-Encoding")) return unreadable("a Transfer-Encoding (credd sends lengths)");
        // The fields HTTP parsers read a meaning into, as credd sends them.
        if (same_name(name, "Connection") && !same_name(value, "close") && !same_name(value, "keep-alive")) {
            return unreadable("a Connection field other than close or keep-alive");
        }
        if (same_name(name, "Upgrade") || same_name(name, "Proxy-Connection"))
            return unreadable("an Upgrade or Proxy-Connection field");
        if (!same_name(name, "Content-Length")) continue;
        std::size_t length = 0;
        const auto [rest, ec] = std::from_chars(value.data(), value.data() + value.size(), length);
        if (ec != std::errc() || rest != value.data() + value.size()) {
            return unreadable("a malformed Content-Length");
        }
        if (head.length) return unreadable("two Content-Length fields");
        head.length = length;
    }
    return head;
}

}  // namespace

Result<std::optional<ReadReply>> read_reply(std::string_view bytes, bool closed, std::size_t* needed) {
    if (needed != nullptr) *needed = 0;
    // What is there of the status line is checked at once: a socket served
    // by something else is refused without waiting for more.
    constexpr std::string_view k_http = "HTTP/";
    if (bytes.substr(0, k_http.size()) != k_http.substr(0, std::min(bytes.size(), k_http.size()))) {
        return unreadable("not an HTTP answer");
    }
    const auto line_end = bytes.find("\r\n");
    const int status = line_end == std::string_view::npos ? 0 : status_of(bytes.substr(0, line_end));
    if (status < 0) return unreadable("a malformed status line");
    const auto head_end = bytes.find("\r\n\r\n");
    if (head_end == std::string_view::npos || head_end + 4 > k_max_reply_head_bytes) {
        if (bytes.size() >= k_max_reply_head_bytes) return unreadable("a head over the size limit");
        return std::optional<ReadReply>();
    }
    if (status < 200) return unreadable("an interim answer");
    const std::string_view fields =
        line_end == head_end ? std::string_view() : bytes.substr(line_end + 2, head_end - line_end - 2);
    auto head = fields_of(fields, status);
    if (!head) return head.error();
    const std::size_t body_start = head_end + 4;
    const bool no_body = status == 204 || status == 304;
    const std::size_t length = no_body ? 0 : head->length.value_or(bytes.size() - body_start);
    if (length > k_max_reply_bytes) return unreadable("an answer over the size limit");
    if (!head->length && !no_body && !closed) return std::optional<ReadReply>();
    if (bytes.size() - body_start < length) {
        if (needed != nullptr) *needed = body_start + length;
        return std::optional<ReadReply>();
    }
    ReadReply out;
    out.reply.status = status;
    out.reply.body = SecretString(bytes.substr(body_start, length));
    out.consumed = body_start + length;
    return std::optional<ReadReply>(std::move(out));
}

Result<std::optional<DaemonReply>> parse_reply(std::string_view bytes) {
    auto r = read_reply(bytes, true);
    if (!r) return r.error();
    if (!*r) return std::optional<DaemonReply>();
    return std::optional<DaemonReply>(std::move((*r)->reply));
}

}  // namespace credctl::cli
