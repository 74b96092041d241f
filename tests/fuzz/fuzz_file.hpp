// A file for the fuzz targets whose parser reads a path (the config
// loaders): one per process, in a private directory, rewritten per input,
// removed with its directory when destroyed.
//
// Used by tests/fuzz/*_config_fuzz.cpp. Thread-safety: one thread.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>

namespace credctl::fuzz {

class ScratchFile {
public:
    explicit ScratchFile(const std::string& name) {
        char dir[] = "/tmp/credctl-fuzz-XXXXXX";
        if (::mkdtemp(dir) == nullptr) std::abort();
        dir_ = dir;
        path_ = dir_ + "/" + name;
    }
    ~ScratchFile() {
        ::unlink(path_.c_str());
        ::rmdir(dir_.c_str());
    }
    ScratchFile(const ScratchFile&) = delete;
    ScratchFile& operator=(const ScratchFile&) = delete;

    const std::string& write(std::string_view text) {
        std::ofstream out(path_, std::ios::binary | std::ios::trunc);
        out.write(text.data(), static_cast<std::streamsize>(text.size()));
        return path_;
    }

private:
    std::string dir_;
    std::string path_;
};

}  // namespace credctl::fuzz
