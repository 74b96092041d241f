// Which subcommand a credctl command line names, found before CLI11 parses
// it, so that main registers the options of that subcommand alone: building
// the options of all ten cost credctl more than the token it fetches
// (docs/benchmarks.md, "credctl start-up"). Used by cli/main.cpp only.
//
// The scan is deliberately simple: the first argument that is not an option
// or the value of a global option that takes one is the subcommand's name.
// When that argument names no subcommand, or -h/--help comes first, or
// there is none, the answer is "all": CLI11 then parses against every
// subcommand and reports usage errors and help exactly as it always has.
// Thread-safety: pure function.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string_view>

namespace credctl::cli {

// The index in `names` of the subcommand that `args` (argv without argv[0])
// names, or std::nullopt for "register all". `value_options` are the global
// options that take their value in the next argument ("--socket").
[[nodiscard]] std::optional<std::size_t> named_subcommand(std::span<const std::string_view> names,
                                                          std::span<const std::string_view> value_options,
                                                          std::span<const char* const> args);

}  // namespace credctl::cli
