// credd's budget of open files: each connection, served or waiting, holds a
// descriptor. Used by the server at start (daemon/server/server.cpp).
// Thread-safety: raise_open_files() changes the process's limit; call it once.
#pragma once

#include <cstddef>
#include <cstdint>

namespace credctl::server {

// Raises the soft limit of open files to the hard one (systemd starts a
// service with a soft limit of 1024, which is also the default
// max_connections) and returns the soft limit now in force; warns when
// max_connections cannot fit under it.
[[nodiscard]] std::uint64_t raise_open_files(std::size_t max_connections);

// How many connections may wait for a slot of their uid (admission.hpp): the
// open files left once every served connection (two: its socket and its
// caller's executable), credd's own files and the closer's queue
// (closer.hpp) have theirs, so that waiting connections never
// take a served one's descriptor.
[[nodiscard]] std::size_t waiting_room(std::uint64_t open_files, std::size_t max_connections);

}  // namespace credctl::server
