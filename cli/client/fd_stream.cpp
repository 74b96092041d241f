#include "cli/client/fd_stream.hpp"

#include <sys/socket.h>
#include <unistd.h>
#include <boost/asio/error.hpp>

#include <cerrno>

namespace credctl::cli {

FdStream& FdStream::operator=(FdStream&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = other.fd_;
        other.fd_ = -1;
    }
    return *this;
}

FdStream::~FdStream() {
    if (fd_ >= 0) ::close(fd_);
}

std::size_t FdStream::read_vectors(const Vectors& v, boost::system::error_code& ec) {
    ec = {};
    if (v.bytes == 0) return 0;
    ssize_t n = 0;
    do {
        n = ::readv(fd_, v.iov.data(), v.count);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        ec.assign(errno, boost::system::system_category());
        return 0;
    }
    if (n == 0) ec = boost::asio::error::eof;
    return static_cast<std::size_t>(n);
}

std::size_t FdStream::write_vectors(const Vectors& v, boost::system::error_code& ec) {
    ec = {};
    if (v.bytes == 0) return 0;
    msghdr msg{};
    msg.msg_iov = const_cast<iovec*>(v.iov.data());  // sendmsg does not write it
    msg.msg_iovlen = static_cast<std::size_t>(v.count);
    ssize_t n = 0;
    do {
        n = ::sendmsg(fd_, &msg, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        ec.assign(errno, boost::system::system_category());
        return 0;
    }
    return static_cast<std::size_t>(n);
}

std::size_t FdStream::or_throw(std::size_t (FdStream::*transfer)(const Vectors&, boost::system::error_code&),
                               const Vectors& v) {
    boost::system::error_code ec;
    const std::size_t n = (this->*transfer)(v, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
}

}  // namespace credctl::cli
