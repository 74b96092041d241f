// credd.toml from a string: load_text() writes it to a temporary directory
// and loads it as credd does; refusal() is why loading it fails, with a
// failed expectation if it loads.
#pragma once

#include "daemon/config/daemon_config.hpp"

#include "temp_dir.hpp"

#include <gtest/gtest.h>

#include <string>

namespace credctl::test {

inline Result<daemon::DaemonConfig> load_text(const std::string& text) {
    TempDir dir;
    return daemon::load_daemon_config(dir.write("credd.toml", text));
}

inline Error refusal(const std::string& text) {
    auto c = load_text(text);
    EXPECT_FALSE(c.has_value()) << "loaded: " << text;
    return c ? Error{Errc::internal, "it loaded"} : c.error();
}

}  // namespace credctl::test
