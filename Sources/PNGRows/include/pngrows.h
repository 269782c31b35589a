// Row-by-row PNG reading over libpng's low-level API, for Walkaround's Imaging module.
//
// libpng reports errors with longjmp. Every function here sets its own setjmp point before it
// calls into libpng and returns an error code instead, so a longjmp never crosses a Swift frame:
// Swift calls these functions between rows, never from inside libpng.
#ifndef WALKAROUND_PNGROWS_H
#define WALKAROUND_PNGROWS_H

#include <stddef.h>
#include <stdint.h>

typedef struct wa_png_reader wa_png_reader;

/// Opens a PNG held in memory and reads its header; rows come out as 8-bit RGBA (palette, grey,
/// 16-bit and missing alpha converted). NULL when the header cannot be read (message in `error`).
wa_png_reader *wa_png_open(const uint8_t *data, size_t size, char *error, size_t error_size);

uint32_t wa_png_width(const wa_png_reader *reader);
uint32_t wa_png_height(const wa_png_reader *reader);
/// Whether the file is Adam7-interlaced: then rows cannot be read one at a time.
int wa_png_interlaced(const wa_png_reader *reader);

/// Reads the next row (width × 4 bytes) into `row`. 0 on success, -1 on a libpng error.
int wa_png_read_row(wa_png_reader *reader, uint8_t *row);

/// Reads the whole (interlaced) image into `rows`, height rows of width × 4 bytes. 0 or -1.
int wa_png_read_image(wa_png_reader *reader, uint8_t *pixels);

/// The last error's message.
const char *wa_png_error(const wa_png_reader *reader);

/// Whether libpng warned (a bad CRC in an ancillary chunk, extra data): such a file is damaged.
int wa_png_warned(const wa_png_reader *reader);

void wa_png_close(wa_png_reader *reader);

#endif
