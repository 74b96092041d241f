#include "cli/output/table.hpp"

#include "common/text/printable.hpp"

#include <ctime>

namespace credctl::cli {

void Table::print(std::ostream& out) const {
    // Cells quote credd and providers (a subject, a scope): escaped, each
    // stays in its place on its line.
    std::vector<std::vector<std::string>> rows;
    for (const auto& row : rows_) {
        auto& cells = rows.emplace_back();
        for (const auto& cell : row) cells.push_back(text::printable(cell));
    }
    std::vector<std::size_t> width;
    for (const auto& row : rows) {
        for (std::size_t i = 0; i < row.size(); ++i) {
            if (width.size() <= i) width.push_back(0);
            width[i] = std::max(width[i], row[i].size());
        }
    }
    for (const auto& row : rows) {
        std::string line;
        for (std::size_t i = 0; i < row.size(); ++i) {
            line += row[i];
            if (i + 1 < row.size()) line += std::string(width[i] - row[i].size() + 2, ' ');
        }
        out << line << '\n';
    }
}

std::string format_time(long long epoch_seconds) {
    if (epoch_seconds == 0) return "-";
    const std::time_t t = static_cast<std::time_t>(epoch_seconds);
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%SZ", &tm);
    return buf;
}

}  // namespace credctl::cli
