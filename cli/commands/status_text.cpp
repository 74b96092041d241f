#include "cli/commands/status_text.hpp"

#include "cli/output/table.hpp"

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

namespace credctl::cli {
namespace {

const char* yes_no(bool b) {
    return b ? "yes" : "no";
}

// "1.10.2" as numbers, to compare; empty when it is not such a version.
std::vector<unsigned long> version_numbers(const std::string& v) {
    std::vector<unsigned long> out;
    for (std::size_t i = 0; i <= v.size();) {
        const std::size_t end = std::min(v.find('.', i), v.size());
        const std::string part = v.substr(i, end - i);
        if (part.empty() || part.size() > 9 || part.find_first_not_of("0123456789") != std::string::npos) return {};
        out.push_back(std::stoul(part));
        i = end + 1;
    }
    return out;
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

std::string version_note(const std::string& credctl_version, const std::string& credd_version) {
    if (credd_version == credctl_version) return "";
    const auto ours = version_numbers(credctl_version);
    const auto theirs = version_numbers(credd_version);
    const std::string head = "note:         this credctl is " + credctl_version + ", credd " + credd_version;
    if (ours.empty() || theirs.empty()) return head + "\n";
    if (theirs < ours) {
        return head +
               " is older; restart credd to run the installed one\n"
               "              (systemctl restart credd, or systemctl --user restart credd for your own)\n";
    }
    return head + " is newer; use the credctl installed with it\n";
}

}  // namespace credctl::cli
