// toml++'s compiled part, built into credctl itself: Debian ships toml++ as
// a shared library only, and credctl links everything but glibc statically
// (cli/CMakeLists.txt) so that it starts as fast as a small C program.
// credctl_common is compiled against the same header with the same
// TOML_HEADER_ONLY=0, so these definitions are the ones its calls resolve to.
#define TOML_IMPLEMENTATION
#define TOML_ENABLE_FORMATTERS 0  // credctl only parses; the formatters alone need libm
#include <toml++/toml.h>
