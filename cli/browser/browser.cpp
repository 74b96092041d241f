#include "cli/browser/browser.hpp"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <vector>

extern char** environ;

namespace credctl::cli {
namespace {
std::vector<pid_t> g_children;
}

Result<void> open_browser(const std::string& url) {
    const char* browser = std::getenv("BROWSER");
    std::vector<std::string> args;
    if (browser != nullptr && browser[0] != '\0') {
        // $BROWSER may hold a command with arguments: let sh split it.
        args = {"/bin/sh", "-c", std::string(browser) + " \"$1\"", "sh", url};
    } else {
        args = {"xdg-open", url};
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    // The browser must not write into a pipe that a script reads the token from.
    posix_spawn_file_actions_adddup2(&actions, STDERR_FILENO, STDOUT_FILENO);
    pid_t pid = 0;
    const int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) return make_error(Errc::internal, "cannot start a browser (" + args[0] + ")");
    g_children.push_back(pid);
    return {};
}

// A launcher may run as long as the browser does (firefox when none runs):
// waiting for it would hold up the code's exchange until the user quits the
// browser, and the code expires meanwhile (a minute at many providers). One
// still running is left alone: when credctl exits, init (or the session's
// subreaper) adopts and reaps it.
void reap_browsers() {
    std::erase_if(g_children, [](pid_t pid) {
        int status = 0;
        return ::waitpid(pid, &status, WNOHANG) != 0;
    });
}

}  // namespace credctl::cli
