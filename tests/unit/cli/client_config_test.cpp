#include "cli/client/client_config.hpp"

#include "temp_dir.hpp"

#include <gtest/gtest.h>

namespace credctl::cli {
namespace {

using credctl::test::TempDir;

TEST(ClientConfig, ReadsSocketAndAutostartWithTheirDefaults) {
    struct Read {
        const char* file;
        std::string socket;
        bool autostart;
    };
    const Read reads[] = {
        {"socket = \"/run/x.sock\"\nautostart = true\n", "/run/x.sock", true},
        {"", "", false},  // an empty file gives the defaults
    };
    TempDir dir;
    for (const auto& r : reads) {
        const auto c = read_client_config(dir.write("credctl.toml", r.file));
        ASSERT_TRUE(c.has_value()) << r.file << ": " << c.error().message;
        EXPECT_EQ(c->socket, r.socket) << r.file;
        EXPECT_EQ(c->autostart, r.autostart) << r.file;
    }
}

TEST(ClientConfig, ErrorsNameFileLineKeyAndValue) {
    TempDir dir;
    const auto relative = read_client_config(dir.write("credctl.toml", "\nsocket = \"run/x.sock\"\n"));
    ASSERT_FALSE(relative.has_value());
    EXPECT_EQ(relative.error().message, "credctl.toml:2: socket: not an absolute path: \"run/x.sock\"");
    const auto unknown = read_client_config(dir.write("credctl.toml", "sockets = \"/x\"\n"));
    ASSERT_FALSE(unknown.has_value());
    EXPECT_NE(unknown.error().message.find("credctl.toml:1: sockets"), std::string::npos) << unknown.error().message;
    const auto typed = read_client_config(dir.write("credctl.toml", "autostart = \"yes\"\n"));
    ASSERT_FALSE(typed.has_value());
    EXPECT_NE(typed.error().message.find("credctl.toml:1: autostart"), std::string::npos) << typed.error().message;
}

TEST(ClientConfig, SocketPathHoldingANulIsRefused) {
    // The system would cut the path at the NUL: the socket used would not be
    // the one the file names.
    TempDir dir;
    const auto c = read_client_config(dir.write("credctl.toml", "socket = \"/run/a\\u0000/b.sock\"\n"));
    ASSERT_FALSE(c.has_value());
    EXPECT_EQ(c.error().message, "credctl.toml:1: socket: holds a NUL byte: \"/run/a\\u0000...\"");
}

}  // namespace
}  // namespace credctl::cli
