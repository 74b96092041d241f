// The non-template parts of Boost.Asio and Boost.Beast, compiled once here
// instead of inline in every file that uses them: every target that links
// credctl_common is compiled with BOOST_ASIO_SEPARATE_COMPILATION and
// BOOST_BEAST_SEPARATE_COMPILATION (credctl_defs in CMakeLists.txt), which
// turns those headers into declarations. That takes a fifth to a quarter off
// the compile time of each file that serves or calls over HTTP. Asio's SSL
// layer is in asio_ssl_impl.cpp, so that a program without TLS (credctl)
// does not link OpenSSL.
#include <boost/asio/impl/src.hpp>
#include <boost/beast/src.hpp>
