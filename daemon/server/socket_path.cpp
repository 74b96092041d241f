#include "daemon/server/socket_path.hpp"

#include "common/fs/safe_path.hpp"
#include "common/net/unix_socket.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace credctl::server {
namespace {

Result<void> prepare_directory(const std::string& dir, unsigned socket_mode) {
    const mode_t mode = socket_mode == 0600 ? 0700 : 0711;
    if (::mkdir(dir.c_str(), mode) == 0) {
        // mkdir(2) applies the process umask (077 in credd): set the mode.
        if (::chmod(dir.c_str(), mode) != 0) return make_error(Errc::internal, "cannot set the mode of " + dir);
        return {};
    }
    if (errno != EEXIST)
        return make_error(Errc::internal, "cannot create socket directory " + dir + ": " + std::strerror(errno));
    struct stat st {};
    if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
        return make_error(Errc::internal, "socket directory " + dir + " is not a directory");
    }
    const bool shared_sticky = (st.st_mode & S_ISVTX) != 0 && st.st_uid == 0;  // e.g. /tmp
    if (!shared_sticky && (st.st_uid != ::geteuid() || (st.st_mode & 022) != 0)) {
        return make_error(Errc::internal, "socket directory " + dir + " must be owned by uid " +
                                              std::to_string(::geteuid()) + " and not writable by others");
    }
    return {};
}

}  // namespace

Result<void> prepare_socket_path(const std::string& path, unsigned socket_mode) {
    if (path.empty() || path[0] != '/' || path.size() >= sizeof(sockaddr_un::sun_path)) {
        return make_error(Errc::internal, "socket path must be absolute and shorter than 108 bytes: \"" + path + "\"");
    }
    const auto slash = path.find_last_of('/');
    if (slash != 0) {
        // No uid but root and us may change a directory above the socket's
        // (docs/design.md "Directories credd trusts"): one that could would
        // swap in a directory of its own before the bind, or after it.
        const std::string dir = path.substr(0, slash);
        if (auto r = fs::check_ancestors(dir, ::geteuid()); !r) {
            return make_error(Errc::internal, "socket " + path + ": " + r.error().message);
        }
        if (auto r = prepare_directory(dir, socket_mode); !r) return r;
    }
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
        if (errno == ENOENT) return {};
        return make_error(Errc::internal, "cannot inspect " + path + ": " + std::strerror(errno));
    }
    if (!S_ISSOCK(st.st_mode)) return make_error(Errc::internal, path + " exists and is not a socket; not removing it");
    if (st.st_uid != ::geteuid())
        return make_error(Errc::internal, path + " is a socket of another user; not removing it");
    if (net::unix_socket_answers(path))
        return make_error(Errc::internal, "another daemon is already listening on " + path);
    if (::unlink(path.c_str()) != 0) return make_error(Errc::internal, "cannot remove stale socket " + path);
    return {};
}

Result<void> listen_on(boost::asio::local::stream_protocol::acceptor& acceptor, const std::string& path,
                       unsigned socket_mode) {
    using local = boost::asio::local::stream_protocol;
    if (auto r = prepare_socket_path(path, socket_mode); !r) return r;
    boost::system::error_code ec;
    acceptor.open(local(), ec);
    // bind(2) creates the socket with 0777 less the umask: the umask alone
    // gives it its final mode, from the first instant. A chmod(2) by path
    // afterwards would follow whatever is at the path by then. The umask is
    // the process's: the threads already started (the closer's, the
    // hasher's, the store's, an etcd watch) create no file while credd has
    // not yet listened.
    const mode_t old_mask = ::umask(~static_cast<mode_t>(socket_mode) & 0777);
    if (!ec) acceptor.bind(local::endpoint(path), ec);
    ::umask(old_mask);
    if (!ec) acceptor.listen(boost::asio::socket_base::max_listen_connections, ec);
    if (ec) return make_error(Errc::internal, "cannot listen on " + path + ": " + ec.message());
    return {};
}

}  // namespace credctl::server
