// credd's answer as credctl reads it (cli/client/reply_parse.hpp): status
// line, header fields and body, with the reply size limit, then the body as
// the problem document credctl turns a refusal into. A socket served by
// something else must give an error value, never a crash or an answer
// larger than the limit.
#include "cli/client/reply_parse.hpp"
#include "common/wire/wire.hpp"
#include "fuzz_check.hpp"

using namespace credctl;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto in = fuzz::bytes(data, size);
    const auto reply = cli::parse_reply(in);
    if (!reply) {
        fuzz::check(reply.error().code == Errc::daemon_unreachable, "an unreadable answer is daemon_unreachable");
        return 0;
    }
    if (!*reply) return 0;
    fuzz::check((*reply)->body.size() <= cli::k_max_reply_bytes, "the body is within the reply limit");
    fuzz::check((*reply)->body.size() <= in.size(), "the body comes from the bytes read");
    fuzz::check((*reply)->status >= 0 && (*reply)->status <= 999, "the status has three digits");
    if ((*reply)->status >= 300) {
        const Error e = wire::parse_problem((*reply)->status, (*reply)->body);
        fuzz::check(errc_from_string(to_string(e.code)) == e.code, "a refusal maps onto a code of the list");
    }
    return 0;
}
