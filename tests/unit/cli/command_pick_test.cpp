#include "cli/commands/command_pick.hpp"

#include <gtest/gtest.h>

#include <array>
#include <vector>

namespace credctl::cli {
namespace {

constexpr std::array<std::string_view, 3> k_names{"login", "token", "exec"};
constexpr std::array<std::string_view, 2> k_value_options{"--socket", "--config"};

std::optional<std::size_t> pick(std::vector<const char*> args) {
    return named_subcommand(k_names, k_value_options, args);
}

TEST(CommandPick, FindsTheSubcommandNamedFirst) {
    EXPECT_EQ(pick({"token", "demo"}), 1u);
    EXPECT_EQ(pick({"exec", "demo", "--", "token"}), 2u);
}

TEST(CommandPick, SkipsGlobalOptionsAndTheValuesTheyTake) {
    EXPECT_EQ(pick({"-v", "--socket", "exec", "token", "demo"}), 1u);
    EXPECT_EQ(pick({"--config", "login", "exec", "demo"}), 2u);
    EXPECT_EQ(pick({"--socket=/run/credd.sock", "login"}), 0u);
}

TEST(CommandPick, AsksForAllWhenNoSubcommandIsNamed) {
    EXPECT_EQ(pick({}), std::nullopt);
    EXPECT_EQ(pick({"-v"}), std::nullopt);
    EXPECT_EQ(pick({"--version"}), std::nullopt);
    EXPECT_EQ(pick({"--socket", "token"}), std::nullopt);
}

TEST(CommandPick, AsksForAllWhenTheFirstWordIsNoSubcommand) {
    EXPECT_EQ(pick({"tokne", "demo"}), std::nullopt);
    EXPECT_EQ(pick({"demo", "token"}), std::nullopt);
}

TEST(CommandPick, AsksForAllWhenHelpOrEndOfOptionsComesFirst) {
    EXPECT_EQ(pick({"--help", "token"}), std::nullopt);
    EXPECT_EQ(pick({"-h", "token"}), std::nullopt);
    EXPECT_EQ(pick({"--", "token"}), std::nullopt);
    EXPECT_EQ(pick({"token", "--help"}), 1u);
}

}  // namespace
}  // namespace credctl::cli
