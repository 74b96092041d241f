// The options of `credctl login`, declared once for the two programs that
// parse them: credctl, which checks them and hands the command line to
// credctl-login (login_handoff.cpp), and credctl-login, which runs the login
// (login.cpp).
#pragma once

#include <CLI/App.hpp>

#include <string>

namespace credctl::cli {

struct LoginOptions {
    std::string provider;
    std::string user;
    bool no_browser = false;
    bool device = false;
    int port = -1;
    int timeout_seconds = 300;
    std::string client_secret_file;  // confidential clients: credd does not send the path
    bool allow_new_subject = false;
};

// Adds login's arguments, options and help footer to `sub`, bound to `o`.
void add_login_options(CLI::App& sub, LoginOptions& o);

}  // namespace credctl::cli
