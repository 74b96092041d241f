#include "cli/commands/status_text.hpp"

#include "cli/output/table.hpp"

#include <sstream>
#include <string>

namespace credctl::cli {
namespace {

const char* yes_no(bool b) {
    return b ? "yes" : "no";
}

}  // namespace

void print_store(std::ostream& out, const wire::Status& s) {
    out << "store:        " << s.store << "\n";
    if (!s.store_backend.empty()) out << "backend:      " << s.store_backend << "\n";
    if (!s.store_state.empty()) out << "store state:  " << s.store_state << "\n";
    if (s.store_endpoints.empty()) return;
    Table t({"ENDPOINT", "ANSWERS", "READS", "DETAIL"});
    for (const auto& e : s.store_endpoints) t.add({e.url, yes_no(e.answers), yes_no(e.reads), e.detail});
    std::ostringstream table;
    t.print(table);
    out << "etcd members:\n";
    std::istringstream lines(table.str());
    for (std::string line; std::getline(lines, line);) out << "  " << line << "\n";
}

}  // namespace credctl::cli
