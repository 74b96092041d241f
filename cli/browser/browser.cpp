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

void reap_browsers() {
    for (pid_t pid : g_children) {
        int status = 0;
        ::waitpid(pid, &status, 0);
    }
    g_children.clear();
}

}  // namespace credctl::cli
