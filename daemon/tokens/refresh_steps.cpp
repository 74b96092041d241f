// The debug line of one refresh (credd --verbose): where its time went,
// step by step (token_service_impl.hpp, RefreshSteps).
#include "daemon/tokens/token_service_impl.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

namespace credctl::tokens {

std::string TokenService::Impl::refresh_steps_line(const store::CredentialKey& key, const Result<void>& result,
                                                   const RefreshSteps& s) {
    std::vector<std::pair<RefreshSteps::Point, const char*>> reached;
    for (const auto& [at, what] : {std::pair{s.flying, "store read"},
                                   {s.locked, "fleet lock and pending mark"},
                                   {s.exchanging, "steps started"},
                                   {s.marked, "pending mark"},
                                   {s.token_read, "refresh token read"},
                                   {s.answered, "provider"},
                                   {s.stored, "commit"},
                                   {s.back, "back on the I/O thread"}}) {
        if (at != RefreshSteps::Point{}) reached.emplace_back(at, what);
    }
    std::stable_sort(reached.begin(), reached.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    const auto ms = [](RefreshSteps::Point::duration d) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.2f", std::chrono::duration<double, std::milli>(d).count());
        return std::string(buf);
    };
    const RefreshSteps::Point end = reached.empty() ? s.asked : reached.back().first;
    std::string line = "refresh of " + resource(key) + ": " +
                       std::string(metrics::to_string(metrics::refresh_outcome(result))) + " in " + ms(end - s.asked) +
                       " ms:";
    RefreshSteps::Point before = s.asked;
    const char* separator = " ";
    for (const auto& [at, what] : reached) {
        line += std::string(separator) + what + " " + ms(at - before);
        before = at;
        separator = ", ";
    }
    return line;
}

}  // namespace credctl::tokens
