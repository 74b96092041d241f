#include "daemon/peer/exe_hasher.hpp"

#include "common/crypto/crypto.hpp"
#include "temp_dir.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <future>
#include <mutex>
#include <vector>

namespace credctl::peer {
namespace {

using Outcome = ExeHasher::Outcome;

std::shared_ptr<const OpenExe> open_file(const std::string& path) {
    return std::make_shared<const OpenExe>(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
}

Outcome hash_now(ExeHasher& hasher, uid_t uid, std::optional<uid_t> owner, const std::string& path) {
    std::promise<Outcome> result;
    hasher.submit(uid, owner, open_file(path), [&result](Outcome o) { result.set_value(std::move(o)); });
    return result.get_future().get();
}

Outcome hash_now(ExeHasher& hasher, uid_t uid, const std::string& path) {
    return hash_now(hasher, uid, std::nullopt, path);
}

struct FakeClock {
    std::chrono::steady_clock::time_point now{};
    ExeHasher::Clock fn() {
        return [this] { return now; };
    }
};

TEST(ExeHasher, HashesOnItsThreadAndReportsTheDigest) {
    test::TempDir dir;
    ExeHasher hasher;
    const auto out = hash_now(hasher, 1000, dir.write("bin", "program"));
    EXPECT_EQ(out.digest, crypto::hex(crypto::sha256("program")));
    EXPECT_EQ(out.refused, "");
}

TEST(ExeHasher, RefusesAUidOverItsBudgetUntilTheMinuteHasPassed) {
    test::TempDir dir;
    FakeClock clock;
    ExeHasher hasher(10, clock.fn());
    EXPECT_TRUE(hash_now(hasher, 1000, dir.write("a", "12345678")).digest);
    const std::string second = dir.write("b", "abcdefgh");
    const auto over = hash_now(hasher, 1000, second);
    EXPECT_FALSE(over.digest);
    EXPECT_EQ(over.refused, "uid 1000 is over its budget of executable hashing (0 MiB a minute)");
    EXPECT_TRUE(hash_now(hasher, 2000, second).digest) << "another uid has its own budget";
    EXPECT_TRUE(hash_now(hasher, 1000, dir.file("a")).digest) << "a cached digest costs no budget";
    clock.now += std::chrono::seconds(61);
    EXPECT_TRUE(hash_now(hasher, 1000, second).digest);
}

TEST(ExeHasher, SubordinateUidsOfOneOwnerShareOneBudgetApartFromTheOwnersOwn) {
    test::TempDir dir;
    FakeClock clock;
    ExeHasher hasher(10, clock.fn());
    EXPECT_TRUE(hash_now(hasher, 100000, 1000, dir.write("a", "12345678")).digest);
    const std::string second = dir.write("b", "abcdefgh");
    const auto over = hash_now(hasher, 100001, 1000, second);
    EXPECT_FALSE(over.digest) << "another subordinate uid of the same owner";
    EXPECT_EQ(over.refused,
              "uid 100001 is over the budget of executable hashing that the subordinate uids of uid 1000 share "
              "(0 MiB a minute)");
    EXPECT_TRUE(hash_now(hasher, 200000, 2000, second).digest) << "another owner's subordinate uids";
    EXPECT_TRUE(hash_now(hasher, 1000, dir.write("c", "ABCDEFGH")).digest) << "the owner's own uid";
    clock.now += std::chrono::seconds(61);
    EXPECT_TRUE(hash_now(hasher, 100001, 1000, dir.write("d", "01234567")).digest);
}

TEST(ExeHasher, RefusesAFileOverTheSizeCapWithoutReadingIt) {
    test::TempDir dir;
    const std::string path = dir.write("big", "x");
    std::filesystem::resize_file(path, ExeHashCache::k_max_exe_bytes + 1);  // sparse
    ExeHasher hasher;
    const auto out = hash_now(hasher, 1000, path);
    EXPECT_FALSE(out.digest);
    EXPECT_EQ(out.refused, "the executable is larger than 128 MiB and is not hashed: " +
                               std::to_string(ExeHashCache::k_max_exe_bytes + 1) + " bytes");
}

TEST(ExeHasher, AUidWithManyJobsDelaysAnotherUidByAtMostOneJob) {
    test::TempDir dir;
    const std::string path = dir.write("bin", "p");
    ExeHasher hasher;
    std::promise<void> gate;
    auto opened = gate.get_future().share();
    std::mutex m;
    std::vector<std::string> order;
    std::promise<void> all_done;
    int left = 4;
    auto record = [&](std::string who) {
        return [&, who](Outcome) {
            if (who == "a1") opened.wait();  // holds the worker while the rest queue up
            const std::lock_guard lock(m);
            order.push_back(who);
            if (--left == 0) all_done.set_value();
        };
    };
    hasher.submit(1000, std::nullopt, open_file(path), record("a1"));
    hasher.submit(1000, std::nullopt, open_file(path), record("a2"));
    hasher.submit(1000, std::nullopt, open_file(path), record("a3"));
    hasher.submit(2000, std::nullopt, open_file(path), record("b1"));
    gate.set_value();
    all_done.get_future().wait();
    EXPECT_EQ(order, (std::vector<std::string>{"a1", "b1", "a2", "a3"}));
}

TEST(ExeHasher, SubordinateUidsOfOneOwnerTakeOneTurn) {
    test::TempDir dir;
    const std::string path = dir.write("bin", "p");
    ExeHasher hasher;
    std::promise<void> started;
    std::promise<void> gate;
    auto opened = gate.get_future().share();
    std::mutex m;
    std::vector<std::string> order;
    std::promise<void> all_done;
    int left = 4;
    auto record = [&](std::string who) {
        return [&, who](Outcome) {
            if (who == "a1") {  // holds the worker, once it has taken a1, while the rest queue up
                started.set_value();
                opened.wait();
            }
            const std::lock_guard lock(m);
            order.push_back(who);
            if (--left == 0) all_done.set_value();
        };
    };
    // Each its own uid, as the processes of a user's container are.
    hasher.submit(100000, 1000, open_file(path), record("a1"));
    started.get_future().wait();
    hasher.submit(100001, 1000, open_file(path), record("a2"));
    hasher.submit(100002, 1000, open_file(path), record("a3"));
    hasher.submit(2000, std::nullopt, open_file(path), record("b1"));
    gate.set_value();
    all_done.get_future().wait();
    EXPECT_EQ(order, (std::vector<std::string>{"a1", "b1", "a2", "a3"}));
}

}  // namespace
}  // namespace credctl::peer
