#include "cli/proc_text.hpp"

#include <cstdio>

namespace credctl::cli {

std::string read_proc_text(const char* path) {
    std::string out;
    std::FILE* f = std::fopen(path, "re");
    if (f == nullptr) return out;
    char buf[8192];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) out.append(buf, n);
    std::fclose(f);
    return out;
}

bool next_proc_row(std::string_view& table, ProcRow& row) {
    if (table.empty()) return false;
    const auto end = table.find('\n');
    const std::string_view line = table.substr(0, end);
    table = end == std::string_view::npos ? std::string_view{} : table.substr(end + 1);
    row.n = 0;
    for (std::size_t at = 0; row.n < row.cols.size();) {
        at = line.find_first_not_of(' ', at);
        if (at == std::string_view::npos) break;
        const auto stop = line.find(' ', at);
        row.cols[row.n++] = line.substr(at, stop == std::string_view::npos ? std::string_view::npos : stop - at);
        at = stop;
    }
    return true;
}

}  // namespace credctl::cli
