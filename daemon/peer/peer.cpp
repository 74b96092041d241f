#include "daemon/peer/peer.hpp"

#include "common/config/local_user.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace credctl::peer {

Result<PeerIdentity> identify(int socket_fd) {
    struct ucred cred {};
    socklen_t len = sizeof cred;
    if (::getsockopt(socket_fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || len != sizeof cred) {
        return make_error(Errc::internal, std::string("cannot read peer credentials: ") + std::strerror(errno));
    }
    PeerIdentity id;
    id.pid = cred.pid;
    id.uid = cred.uid;
    id.gid = cred.gid;
    id.user = config::user_name(cred.uid);
    return id;
}

}  // namespace credctl::peer
