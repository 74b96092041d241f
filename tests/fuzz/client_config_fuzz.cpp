// credctl's own config file (cli/client/client_config.hpp): what is
// accepted holds an absolute socket path or none, and written back out as
// TOML loads to the same values. Every refusal names the file.
#include "cli/client/client_config.hpp"
#include "fuzz_check.hpp"
#include "fuzz_file.hpp"

#include <toml++/toml.h>

#include <sstream>

using namespace credctl;

namespace {

// Removed at exit, with its directory.
fuzz::ScratchFile& scratch() {
    static fuzz::ScratchFile file("credctl.toml");
    return file;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    (void)scratch();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto first = cli::read_client_config(scratch().write(fuzz::bytes(data, size)));
    if (!first) {
        fuzz::check(first.error().message.find("credctl.toml:") != std::string::npos, "a refused config names the file",
                    first.error().message);
        return 0;
    }
    fuzz::check(first->socket.empty() || first->socket.front() == '/', "the socket is an absolute path or none");
    fuzz::check(first->socket.find('\0') == std::string::npos, "the socket path holds no NUL");
    toml::table out;
    if (!first->socket.empty()) out.insert("socket", first->socket);
    out.insert("autostart", first->autostart);
    std::ostringstream text;
    text << out;
    const auto second = cli::read_client_config(scratch().write(text.str()));
    fuzz::check(second.has_value(), "an accepted config written back out is accepted again");
    fuzz::check(second->socket == first->socket && second->autostart == first->autostart,
                "an accepted config written back out has the same values");
    return 0;
}
