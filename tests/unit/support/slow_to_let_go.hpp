// SlowToLetGo: an allocator for an executor (asio::require(ex,
// asio::execution::allocator(SlowToLetGo<void>()))) that does what
// std::allocator does, counts its copies, and makes a copy destroyed on a
// thread marked slow_to_let_go_here wait 100 ms first. It makes visible
// the moment in which another thread still holds an executor (a store
// thread that has handed a block's result back, say).
// Test-only.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <thread>

namespace credctl::test {

inline std::atomic<int> slow_to_let_go_copies{0};  // of SlowToLetGo, whatever its type
inline thread_local bool slow_to_let_go_here = false;

template <class T>
struct SlowToLetGo {
    using value_type = T;
    SlowToLetGo() noexcept { ++slow_to_let_go_copies; }
    SlowToLetGo(const SlowToLetGo&) noexcept { ++slow_to_let_go_copies; }
    template <class U>
    SlowToLetGo(const SlowToLetGo<U>&) noexcept {  // NOLINT(google-explicit-constructor): rebinding
        ++slow_to_let_go_copies;
    }
    SlowToLetGo& operator=(const SlowToLetGo&) = default;
    ~SlowToLetGo() {
        if (slow_to_let_go_here) std::this_thread::sleep_for(std::chrono::milliseconds(100));
        --slow_to_let_go_copies;
    }
    T* allocate(std::size_t n) { return std::allocator<T>().allocate(n); }
    void deallocate(T* p, std::size_t n) { std::allocator<T>().deallocate(p, n); }
    template <class U>
    bool operator==(const SlowToLetGo<U>&) const noexcept {
        return true;
    }
};

}  // namespace credctl::test
