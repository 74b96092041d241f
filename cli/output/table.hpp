// Aligned text tables for list-like commands (list, status, providers).
// Cells are printed escaped (common/text/printable.hpp).
// Thread-safety: plain value.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace credctl::cli {

class Table {
public:
    explicit Table(std::vector<std::string> header) { rows_.push_back(std::move(header)); }
    void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
    void print(std::ostream& out) const;

private:
    std::vector<std::vector<std::string>> rows_;
};

// "2026-11-29 06:30:15Z" for UTC epoch seconds; "-" for 0.
[[nodiscard]] std::string format_time(long long epoch_seconds);

}  // namespace credctl::cli
