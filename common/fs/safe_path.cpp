#include "common/fs/safe_path.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string_view>
#include <vector>

namespace credctl::fs {
namespace {

// As many as the kernel's own path walk follows before ELOOP.
constexpr int k_max_symlinks = 40;

std::string octal_mode(mode_t mode) {
    std::array<char, 8> text{};
    std::snprintf(text.data(), text.size(), "%04o", static_cast<unsigned>(mode & 07777));
    return text.data();
}

std::string described(const std::string& dir, const struct stat& st) {
    return dir + " (owner uid " + std::to_string(st.st_uid) + ", mode " + octal_mode(st.st_mode) + ")";
}

bool trusted_owner(const struct stat& st, uid_t trusted) {
    return st.st_uid == 0 || st.st_uid == trusted;
}

std::string owners(uid_t trusted) {
    return trusted == 0 ? "root" : "root or uid " + std::to_string(trusted);
}

Error cannot_inspect(const std::string& name) {
    return make_error(Errc::internal, "cannot inspect " + name + ": " + std::strerror(errno));
}

// The components of `path` pushed onto the stack `todo` so that the first
// is taken first.
void push_components(std::vector<std::string>& todo, std::string_view path) {
    const std::size_t below = todo.size();
    while (!path.empty()) {
        const std::size_t slash = path.find('/');
        const std::string_view name = path.substr(0, slash);
        if (!name.empty()) todo.emplace_back(name);
        path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
    }
    std::reverse(todo.begin() + static_cast<std::ptrdiff_t>(below), todo.end());
}

std::string joined(const std::string& dir, std::string_view name) {
    return dir == "/" ? "/" + std::string(name) : dir + "/" + std::string(name);
}

// `dir` holds `entry`, a name on the way to `path`; `entry_st` is null when
// the name does not exist yet (another uid may create it first where the
// directory lets them: its creator checks what it finds).
Result<void> check_holder(const std::string& dir, const struct stat& st, const std::string& entry,
                          const struct stat* entry_st, uid_t trusted, const std::string& path) {
    const std::string rule = "; a directory on the way to " + path + " must be owned by " + owners(trusted);
    if (!trusted_owner(st, trusted))
        return make_error(Errc::internal, "directory " + described(dir, st) + " is owned by another uid" + rule);
    if ((st.st_mode & 022) == 0) return {};
    if ((st.st_mode & S_ISVTX) == 0) {
        return make_error(Errc::internal, "directory " + described(dir, st) +
                                              " is writable by other uids and not sticky" + rule +
                                              " and writable by no other uid, unless it is sticky");
    }
    if (entry_st != nullptr && !trusted_owner(*entry_st, trusted)) {
        return make_error(Errc::internal, entry + " is owned by uid " + std::to_string(entry_st->st_uid) +
                                              " in the sticky directory " + described(dir, st) +
                                              " that other uids may write; a name on the way to " + path +
                                              " in such a directory must be owned by " + owners(trusted));
    }
    return {};
}

Result<std::string> read_link(const std::string& link) {
    std::array<char, 4096> target{};
    const ssize_t n = ::readlink(link.c_str(), target.data(), target.size());
    if (n < 0) return cannot_inspect(link);
    if (n == 0 || static_cast<std::size_t>(n) == target.size()) {
        return make_error(Errc::internal, "symlink " + link + " has an empty or too long target");
    }
    return std::string(target.data(), static_cast<std::size_t>(n));
}

// What is left of the walk, joined below `at`: names that do not exist yet.
std::string with_rest(std::string at, std::vector<std::string>& todo) {
    while (!todo.empty()) {
        at = joined(at, todo.back());
        todo.pop_back();
    }
    return at;
}

}  // namespace

Result<std::string> check_ancestors(const std::string& path, uid_t trusted) {
    if (path.empty() || path[0] != '/') return make_error(Errc::internal, "not an absolute path: \"" + path + "\"");
    std::vector<std::string> todo;
    push_components(todo, path);
    // `at` is the directory reached, with no symlink in it: its parent
    // (for "..") is one already checked.
    std::string at = "/";
    struct stat at_st {};
    if (::lstat("/", &at_st) != 0) return cannot_inspect("/");
    int symlinks = 0;
    while (!todo.empty()) {
        const std::string name = std::move(todo.back());
        todo.pop_back();
        if (name == ".") continue;
        if (name == "..") {
            at = at.substr(0, std::max<std::size_t>(at.find_last_of('/'), 1));
            if (::lstat(at.c_str(), &at_st) != 0) return cannot_inspect(at);
            continue;
        }
        const std::string next = joined(at, name);
        struct stat st {};
        if (::lstat(next.c_str(), &st) != 0) {
            if (errno != ENOENT) return cannot_inspect(next);
            if (auto r = check_holder(at, at_st, next, nullptr, trusted, path); !r) return r.error();
            return with_rest(next, todo);
        }
        if (auto r = check_holder(at, at_st, next, &st, trusted, path); !r) return r.error();
        if (S_ISLNK(st.st_mode)) {
            if (++symlinks > k_max_symlinks) return make_error(Errc::internal, path + ": too many levels of symlinks");
            auto target = read_link(next);
            if (!target) return target.error();
            if ((*target)[0] == '/') {
                at = "/";
                if (::lstat("/", &at_st) != 0) return cannot_inspect("/");
            }
            push_components(todo, *target);
            continue;
        }
        if (!S_ISDIR(st.st_mode) && !todo.empty()) return make_error(Errc::internal, next + " is not a directory");
        at = next;
        at_st = st;
    }
    return at;
}

Result<void> check_private_dir(const std::string& dir, uid_t trusted) {
    auto real = check_ancestors(dir, trusted);
    if (!real) return real.error();
    struct stat st {};
    if (::lstat(real->c_str(), &st) != 0) return cannot_inspect(*real);
    if (!S_ISDIR(st.st_mode)) return make_error(Errc::internal, *real + " is not a directory");
    const std::string rule = "; it must be owned by " + owners(trusted) + " and writable by no other uid";
    if (!trusted_owner(st, trusted)) {
        return make_error(Errc::internal, "directory " + described(*real, st) + " is owned by another uid" + rule);
    }
    if ((st.st_mode & 022) != 0) {
        return make_error(Errc::internal, "directory " + described(*real, st) + " is writable by other uids" + rule);
    }
    return {};
}

}  // namespace credctl::fs
