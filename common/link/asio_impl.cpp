// The non-template parts of Boost.Asio (its SSL layer included) and
// Boost.Beast, compiled once here instead of inline in every file that
// uses them: every target that links credctl_common is compiled with
// BOOST_ASIO_SEPARATE_COMPILATION and BOOST_BEAST_SEPARATE_COMPILATION
// (credctl_defs in CMakeLists.txt), which turns those headers into
// declarations. That takes a fifth to a quarter off the compile time of
// each file that serves or calls over HTTP.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
