// Policy decision and caller identification costs (docs/benchmarks.md).
//
//   build/default/bench/credctl_bench_policy [decisions]
//
// Builds a policy of 1,000 grants with 10 resource patterns each (10,000
// patterns: 8,000 exact, 1,000 with a wildcard user, 1,000 with a wildcard
// provider), then times decide() on random resources and callers, and
// times peer::identify() on a real Unix socket pair (SO_PEERCRED,
// SO_PEERGROUPS, SO_PEERPIDFD, /proc reads and the pidfd check).
#include "daemon/peer/peer.hpp"
#include "daemon/policy/policy.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

namespace {

using namespace credctl;
using Clock = std::chrono::steady_clock;

constexpr int k_grants = 1000;
constexpr int k_patterns_per_grant = 10;
constexpr int k_users = 500;
constexpr int k_providers = 50;

policy::Policy build_policy() {
    std::mt19937 rng(7);
    std::vector<policy::Grant> grants;
    for (int g = 0; g < k_grants; ++g) {
        policy::Grant grant;
        grant.name = "grant-" + std::to_string(g);
        grant.permissions = policy::bit(policy::Permission::token) | policy::bit(policy::Permission::read);
        for (int p = 0; p < k_patterns_per_grant; ++p) {
            std::string user = "user" + std::to_string(rng() % k_users);
            std::string provider = "provider" + std::to_string(rng() % k_providers);
            if (p == 8) user = "*";
            if (p == 9) provider = "*";
            grant.patterns.push_back({user, provider});
        }
        policy::ClientSelector client;
        client.uid = 10000 + static_cast<uid_t>(g);
        client.exe = "/opt/jobs/bin/job" + std::to_string(g);
        grant.clients.push_back(client);
        grants.push_back(std::move(grant));
    }
    return policy::make_policy(true, 0, std::move(grants));
}

void bench_decide(long n) {
    const auto policy = build_policy();
    std::mt19937 rng(11);
    std::vector<peer::PeerIdentity> callers(256);
    std::vector<policy::Resource> resources(4096);
    for (std::size_t i = 0; i < callers.size(); ++i) {
        callers[i].uid = 10000 + static_cast<uid_t>(rng() % k_grants);
        callers[i].user = "caller";
        callers[i].exe = "/opt/jobs/bin/job" + std::to_string(callers[i].uid - 10000);
    }
    for (auto& r : resources) {
        r = {"user" + std::to_string(rng() % k_users), "provider" + std::to_string(rng() % k_providers)};
    }
    long allowed = 0;
    const auto start = Clock::now();
    for (long i = 0; i < n; ++i) {
        const auto d =
            policy::decide(policy, callers[static_cast<std::size_t>(i) % callers.size()], policy::Permission::token,
                           resources[static_cast<std::size_t>(i * 7919) % resources.size()]);
        allowed += d.allowed ? 1 : 0;
    }
    const double ns = std::chrono::duration<double, std::nano>(Clock::now() - start).count() / static_cast<double>(n);
    std::printf("decide: %d grants, %d patterns: %.0f ns per decision (%ld decisions, %ld allowed)\n", k_grants,
                k_grants * k_patterns_per_grant, ns, n, allowed);
}

void bench_identify(long n, bool keep_exe) {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) std::exit(1);
    long verified = 0;
    const auto start = Clock::now();
    for (long i = 0; i < n; ++i) {
        auto id = peer::identify(fds[0], keep_exe);
        verified += id && id->verified ? 1 : 0;
    }
    const double us = std::chrono::duration<double, std::micro>(Clock::now() - start).count() / static_cast<double>(n);
    std::printf("identify%s: %.1f us per connection (%ld of %ld verified)\n", keep_exe ? " keeping the exe open" : "",
                us, verified, n);
    ::close(fds[0]);
    ::close(fds[1]);
}

}  // namespace

int main(int argc, char** argv) {
    const long n = argc > 1 ? std::atol(argv[1]) : 1000000;
    bench_decide(n);
    bench_identify(n / 100, false);
    bench_identify(n / 100, true);
    return 0;
}
