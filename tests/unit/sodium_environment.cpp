// Initialises libsodium once before any test allocates a SecretBytes.
#include <gtest/gtest.h>
#include <sodium.h>

namespace {

class SodiumEnvironment : public ::testing::Environment {
public:
    void SetUp() override { ASSERT_GE(sodium_init(), 0) << "libsodium failed to initialise"; }
};

[[maybe_unused]] ::testing::Environment* const g_sodium_env =
    ::testing::AddGlobalTestEnvironment(new SodiumEnvironment);

}  // namespace
