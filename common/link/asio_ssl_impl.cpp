// The non-template parts of Boost.Asio's SSL layer (see asio_impl.cpp): only
// the programs that speak TLS to a provider (credd, credctl-login) link them,
// and OpenSSL with them.
#include <boost/asio/ssl/impl/src.hpp>
