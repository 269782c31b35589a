// libpng 1.6 (Debian: libpng-dev). Swift never calls libpng directly: the PNGRows C target wraps
// its row API with setjmp, so libpng's longjmp on an error never crosses a Swift frame.
#include <png.h>
