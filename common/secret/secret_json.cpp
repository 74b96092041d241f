#include "common/secret/secret_json.hpp"

#include <boost/json/memory_resource.hpp>
#include <boost/json/parser.hpp>
#include <boost/json/serializer.hpp>

#include <array>
#include <new>

namespace credctl {
namespace {

namespace json = boost::json;

// Boost.JSON gives back every block with the size it asked for, so the
// whole block is zeroed.
class ZeroingResource final : public json::memory_resource {
    void* do_allocate(std::size_t bytes, std::size_t alignment) override {
        if (alignment <= __STDCPP_DEFAULT_NEW_ALIGNMENT__) return ::operator new(bytes);
        return ::operator new(bytes, std::align_val_t(alignment));
    }
    void do_deallocate(void* p, std::size_t bytes, std::size_t alignment) override {
        sodium_memzero(p, bytes);
        if (alignment <= __STDCPP_DEFAULT_NEW_ALIGNMENT__) {
            ::operator delete(p);
        } else {
            ::operator delete(p, std::align_val_t(alignment));
        }
    }
    [[nodiscard]] bool do_is_equal(const json::memory_resource& other) const noexcept override {
        return this == &other;
    }
};

}  // namespace

json::storage_ptr zeroing_storage() {
    // Never destroyed: values parsed into it may outlive static destruction.
    static auto* const resource = new ZeroingResource;
    return json::storage_ptr(resource);
}

json::value parse_secret_json(std::string_view text, boost::system::error_code& ec) {
    json::parser parser(zeroing_storage());
    parser.reset(zeroing_storage());
    parser.write(text.data(), text.size(), ec);
    if (ec) return nullptr;
    return parser.release();
}

SecretString serialize_secret_json(const json::value& value) {
    json::serializer serializer;  // its stack holds pointers, not the strings
    serializer.reset(&value);
    SecretString out;
    std::array<char, 512> chunk{};
    while (!serializer.done()) out += serializer.read(chunk.data(), chunk.size());
    sodium_memzero(chunk.data(), chunk.size());
    return out;
}

}  // namespace credctl
