// What `credctl token` reads from whoever runs it (cli/commands/
// token_input.hpp): git's credential request on standard input and
// kubectl's KUBERNETES_EXEC_INFO. Git gets a token only over https or plain
// http to this machine; the answer to git stays two lines whose values
// carry no byte that git's line protocol cannot hold; the
// ExecCredential is JSON in one of the two versions credctl writes.
//
// Input: the first byte picks the source. Even: the rest is git's standard
// input. Odd: the rest, up to a NUL (an environment value cannot hold one),
// is KUBERNETES_EXEC_INFO.
#include "cli/commands/token_input.hpp"
#include "cli/output/token_format.hpp"
#include "fuzz_check.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>

using namespace credctl;

namespace {

void git(std::string_view in) {
    std::string text(in);
    const std::unique_ptr<std::FILE, int (*)(std::FILE*)> stdin_text(::fmemopen(text.data(), text.size(), "r"),
                                                                     &std::fclose);
    fuzz::check(stdin_text != nullptr, "fmemopen opens the input");
    const cli::GitRequest request = cli::read_git_request(stdin_text.get());
    const bool answered = cli::git_request_may_have_token(request);
    fuzz::check(!answered || request.protocol.empty() || request.protocol == "https" || request.protocol == "http",
                "only https, or http to this machine, is answered");
    fuzz::check(!answered || request.protocol != "http" || !request.host.empty(),
                "plain http is answered only for a named loopback host");
    cli::TokenView view;
    view.access_token = "token";
    if (!request.username.empty()) view.git_username = request.username;
    const SecretString out = cli::format_token(cli::TokenFormat::git_credential, view);
    fuzz::check(std::count(out.begin(), out.end(), '\n') == 2, "the answer to git is two lines");
    fuzz::check(out.find('\0') == std::string::npos && out.find('\r') == std::string::npos,
                "the answer to git holds no NUL or carriage return");
    fuzz::check(out.ends_with("\npassword=token\n"), "the token is the password line");
}

void kube(std::string_view in) {
    const std::string info(in.substr(0, in.find('\0')));
    const std::string version = cli::exec_api_version(info.c_str());
    fuzz::check(version == "client.authentication.k8s.io/v1" || version == "client.authentication.k8s.io/v1beta1",
                "the answer is in a version credctl writes");
    cli::TokenView view;
    view.access_token = "token";
    view.exec_api_version = version;
    const SecretString out = cli::format_token(cli::TokenFormat::exec_credential, view);
    boost::system::error_code ec;
    const auto v = boost::json::parse(out, ec);
    fuzz::check(!ec && v.is_object(), "the ExecCredential is a JSON object");
    fuzz::check(v.as_object().at("apiVersion").as_string() == version, "the ExecCredential has the version asked");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    return fuzz::one_of_two(data, size, git, kube);
}
