// FdStream: a blocking stream over a connected socket's descriptor, for
// DaemonClient's requests (asio::write) and reads of answers.
//
// credctl asks one question and reads one answer. An Asio socket needs an
// io_context, whose reactor makes and closes an eventfd, an epoll instance
// and a timerfd at every start: a tenth of credctl's system calls for
// nothing a blocking descriptor cannot do (docs/benchmarks.md, "credctl
// start-up"). A timeout, if the caller sets one on the socket
// (SO_RCVTIMEO, SO_SNDTIMEO), is an error (EAGAIN), not a wait.
//
// Meets Asio's and Beast's SyncReadStream and SyncWriteStream. Writes use
// MSG_NOSIGNAL: a daemon that closed early gives EPIPE, never SIGPIPE. A
// read of 0 bytes is the end of the stream (asio::error::eof). Owns the
// descriptor; move-only. Thread-safety: one object per thread.
#pragma once

#include <sys/types.h>
#include <sys/uio.h>
#include <boost/asio/buffer.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>

#include <array>
#include <cstddef>

namespace credctl::cli {

class FdStream {
public:
    explicit FdStream(int fd = -1) noexcept : fd_(fd) {}
    FdStream(FdStream&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
    FdStream& operator=(FdStream&& other) noexcept;
    FdStream(const FdStream&) = delete;
    FdStream& operator=(const FdStream&) = delete;
    ~FdStream();

    [[nodiscard]] int native_handle() const noexcept { return fd_; }

    template <class MutableBuffers>
    std::size_t read_some(const MutableBuffers& buffers, boost::system::error_code& ec) {
        return read_vectors(gather(buffers), ec);
    }
    template <class ConstBuffers>
    std::size_t write_some(const ConstBuffers& buffers, boost::system::error_code& ec) {
        return write_vectors(gather(buffers), ec);
    }
    template <class MutableBuffers>
    std::size_t read_some(const MutableBuffers& buffers) {
        return or_throw(&FdStream::read_vectors, gather(buffers));
    }
    template <class ConstBuffers>
    std::size_t write_some(const ConstBuffers& buffers) {
        return or_throw(&FdStream::write_vectors, gather(buffers));
    }

private:
    // A write hands over a few buffers at a time (a head, a body);
    // what does not fit goes in the next call, as a short write may anyway.
    static constexpr std::size_t k_max_vectors = 16;
    struct Vectors {
        std::array<iovec, k_max_vectors> iov{};
        int count = 0;
        std::size_t bytes = 0;
    };

    template <class Buffers>
    static Vectors gather(const Buffers& buffers) {
        Vectors v;
        auto it = boost::asio::buffer_sequence_begin(buffers);
        const auto end = boost::asio::buffer_sequence_end(buffers);
        for (; it != end && v.count < static_cast<int>(k_max_vectors); ++it) {
            const auto b = boost::asio::buffer(*it);
            if (b.size() == 0) continue;
            v.iov[static_cast<std::size_t>(v.count++)] =
                iovec{const_cast<void*>(static_cast<const void*>(b.data())), b.size()};
            v.bytes += b.size();
        }
        return v;
    }
    std::size_t read_vectors(const Vectors& v, boost::system::error_code& ec);
    std::size_t write_vectors(const Vectors& v, boost::system::error_code& ec);
    std::size_t or_throw(std::size_t (FdStream::*transfer)(const Vectors&, boost::system::error_code&),
                         const Vectors& v);

    int fd_;
};

}  // namespace credctl::cli
