// libpng 1.6 (Debian: libpng-dev). Walkaround uses only the simplified png_image API, which
// reports errors through return values instead of longjmp.
#include <png.h>
