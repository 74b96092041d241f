// toml++'s compiled part, built into credctl and credd themselves: Debian
// ships toml++ as a shared library only, and both link it statically
// (credctl_static_link() in CMakeLists.txt). credctl_common is compiled
// against the same header with the same TOML_HEADER_ONLY=0, so these
// definitions are the ones its calls resolve to.
#define TOML_IMPLEMENTATION
#define TOML_ENABLE_FORMATTERS 0  // only parsing is used; the formatters alone need libm
#include <toml++/toml.h>
