// The route table (daemon/server/routes.hpp) against docs/api.md's route
// tables, both ways, and the table's matching of paths.
#include "daemon/server/routes.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <string>

namespace credctl::server {
namespace {

using policy::Permission;

// "GET /v1/status" -> permission, from each row of docs/api.md whose first
// cell is a backquoted method and path; the query is not part of the path.
std::map<std::string, std::string> documented_routes() {
    std::ifstream in(std::string(CREDCTL_SOURCE_DIR) + "/docs/api.md");
    EXPECT_TRUE(in) << "cannot read docs/api.md";
    const std::regex row(R"(^\| `(GET|PUT|POST|DELETE|PATCH) (/[^`?]*)[^`]*` \| ([^|]*)\|)");
    std::map<std::string, std::string> out;
    for (std::string line; std::getline(in, line);) {
        std::smatch m;
        if (!std::regex_search(line, m, row)) continue;
        const std::string cell = m[3];
        std::smatch perm;
        std::string permission = cell.find("any local caller") != std::string::npos ? "local" : "?";
        if (std::regex_search(cell, perm, std::regex("^ *`([^`]+)`"))) permission = perm[1];
        EXPECT_TRUE(out.emplace(std::string(m[1]) + " " + std::string(m[2]), permission).second) << line;
    }
    return out;
}

std::string key_of(const Route& r) {
    return std::string(r.method) + " " + std::string(r.pattern);
}

TEST(Routes, EveryRouteIsDocumentedWithItsPermission) {
    const auto documented = documented_routes();
    for (const auto& r : routes()) {
        const auto it = documented.find(key_of(r));
        ASSERT_NE(it, documented.end()) << key_of(r) << " is missing from docs/api.md";
        EXPECT_EQ(it->second, policy::to_string(r.permission)) << key_of(r);
    }
}

TEST(Routes, EveryDocumentedRouteIsInTheTable) {
    std::set<std::string> served;
    for (const auto& r : routes()) served.insert(key_of(r));
    const auto documented = documented_routes();
    EXPECT_EQ(documented.size(), routes().size()) << "docs/api.md's tables were not parsed as expected";
    for (const auto& [route, permission] : documented) {
        EXPECT_TRUE(served.count(route)) << route << " (docs/api.md) is not served";
    }
}

TEST(Routes, EveryRouteIsAuditedUnlessOpenToEveryLocalCaller) {
    for (const auto& r : routes()) {
        EXPECT_EQ(r.audit == Audit::no, r.permission == Permission::any_local) << key_of(r);
        EXPECT_NE(r.handler, nullptr) << key_of(r);
    }
}

TEST(Routes, PerUserRoutesAreCheckedOnThePathsUserAndProvider) {
    const auto m = find_route("GET", "/v1/users/alice/credentials/github/token");
    ASSERT_NE(m.route, nullptr);
    EXPECT_EQ(m.route->permission, Permission::token);
    EXPECT_EQ(m.user, "alice");
    EXPECT_EQ(m.provider, "github");
    EXPECT_EQ(policy::to_string(resource_of(m)), "credentials/alice/github");
}

TEST(Routes, AdministrationIsCheckedOnEveryonesCredentials) {
    const auto m = find_route("POST", "/v1/admin/backup");
    ASSERT_NE(m.route, nullptr);
    EXPECT_EQ(m.route->permission, Permission::admin);
    const auto resource = resource_of(m);
    EXPECT_EQ(resource.user, "*");
    EXPECT_EQ(resource.provider, "*");
}

TEST(Routes, AKnownPathUnderAnotherMethodIsToldApartFromAnUnknownPath) {
    const auto wrong_method = find_route("PATCH", "/v1/users/alice/credentials/github");
    EXPECT_EQ(wrong_method.route, nullptr);
    EXPECT_TRUE(wrong_method.path_known);
    for (const char* path : {"/v1/nope", "/v1/users/alice", "/v1/status/", "/v1/users/alice/credentials/a/b/c", "/",
                             "/v1/users/alice/credentials/github/token/x/y/z", "/v1/status/////////////////"}) {
        const auto unknown = find_route("GET", path);
        EXPECT_EQ(unknown.route, nullptr) << path;
        EXPECT_FALSE(unknown.path_known) << path;
    }
}

// An empty segment names no one: it matched {provider} as "", which the
// decision took for every provider ("credentials/alice/*" in its line).
TEST(Routes, AnEmptyUserOrProviderSegmentMatchesNoRoute) {
    for (const auto& [method, path] :
         {std::pair{"GET", "/v1/users/alice/credentials//token"}, std::pair{"PUT", "/v1/users/alice/credentials/"},
          std::pair{"DELETE", "/v1/users/alice/credentials/"}, std::pair{"GET", "/v1/users//credentials"}}) {
        const auto m = find_route(method, path);
        EXPECT_EQ(m.route, nullptr) << method << " " << path;
        EXPECT_FALSE(m.path_known) << path;
    }
}

TEST(Routes, SameMethodAndPathFindTheSameRouteAsTheTableOrder) {
    for (const auto& r : routes()) {
        std::string path(r.pattern);
        for (const auto& [from, to] : {std::pair{"{user}", "alice"}, std::pair{"{provider}", "github"}}) {
            if (const auto at = path.find(from); at != std::string::npos)
                path.replace(at, std::string(from).size(), to);
        }
        const auto m = find_route(r.method, path);
        EXPECT_EQ(m.route, &r) << key_of(r);
    }
}

}  // namespace
}  // namespace credctl::server
