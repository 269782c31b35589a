#include "pngrows.h"

#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct wa_png_reader {
    png_structp png;
    png_infop info;
    const uint8_t *data;
    size_t size;
    size_t offset;
    uint32_t width;
    uint32_t height;
    int interlaced;
    int warned;
    char message[256];
};

static void wa_read(png_structp png, png_bytep out, size_t length) {
    wa_png_reader *reader = png_get_io_ptr(png);
    if (length > reader->size - reader->offset) {
        png_error(png, "the file ends inside its image data");
    }
    memcpy(out, reader->data + reader->offset, length);
    reader->offset += length;
}

static void wa_error(png_structp png, png_const_charp message) {
    wa_png_reader *reader = png_get_error_ptr(png);
    snprintf(reader->message, sizeof reader->message, "%s", message);
    png_longjmp(png, 1);
}

static void wa_warning(png_structp png, png_const_charp message) {
    wa_png_reader *reader = png_get_error_ptr(png);
    reader->warned = 1;
    snprintf(reader->message, sizeof reader->message, "%s", message);
}

wa_png_reader *wa_png_open(const uint8_t *data, size_t size, char *error, size_t error_size) {
    wa_png_reader *reader = calloc(1, sizeof *reader);
    if (reader == NULL) {
        snprintf(error, error_size, "out of memory");
        return NULL;
    }
    reader->data = data;
    reader->size = size;
    reader->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, reader, wa_error, wa_warning);
    if (reader->png == NULL || (reader->info = png_create_info_struct(reader->png)) == NULL) {
        snprintf(error, error_size, "libpng could not start");
        wa_png_close(reader);
        return NULL;
    }
    if (setjmp(png_jmpbuf(reader->png))) {
        snprintf(error, error_size, "%s", reader->message[0] ? reader->message : "libpng could not read the header");
        wa_png_close(reader);
        return NULL;
    }
    png_set_read_fn(reader->png, reader, wa_read);
    png_read_info(reader->png, reader->info);
    png_uint_32 width = 0, height = 0;
    int depth = 0, colour = 0, interlace = 0;
    png_get_IHDR(reader->png, reader->info, &width, &height, &depth, &colour, &interlace, NULL, NULL);
    // Everything out as 8-bit RGBA: palette and low-depth grey expanded, transparency as alpha,
    // 16-bit scaled (taken as sRGB, as cameras write it), grey to RGB, opaque alpha added.
    png_set_expand(reader->png);
    png_set_scale_16(reader->png);
    png_set_gray_to_rgb(reader->png);
    png_set_add_alpha(reader->png, 0xFF, PNG_FILLER_AFTER);
    if (interlace != PNG_INTERLACE_NONE) {
        png_set_interlace_handling(reader->png);
    }
    png_read_update_info(reader->png, reader->info);
    if (png_get_rowbytes(reader->png, reader->info) != (size_t)width * 4) {
        snprintf(error, error_size, "the PNG's rows do not convert to 8-bit RGBA");
        wa_png_close(reader);
        return NULL;
    }
    reader->width = width;
    reader->height = height;
    reader->interlaced = interlace != PNG_INTERLACE_NONE;
    return reader;
}

uint32_t wa_png_width(const wa_png_reader *reader) { return reader->width; }
uint32_t wa_png_height(const wa_png_reader *reader) { return reader->height; }
int wa_png_interlaced(const wa_png_reader *reader) { return reader->interlaced; }
const char *wa_png_error(const wa_png_reader *reader) { return reader->message; }
int wa_png_warned(const wa_png_reader *reader) { return reader->warned; }

int wa_png_read_row(wa_png_reader *reader, uint8_t *row) {
    if (setjmp(png_jmpbuf(reader->png))) {
        return -1;
    }
    png_read_row(reader->png, row, NULL);
    return 0;
}

int wa_png_read_image(wa_png_reader *reader, uint8_t *pixels) {
    png_bytep *rows = malloc(sizeof(png_bytep) * reader->height);
    if (rows == NULL) {
        snprintf(reader->message, sizeof reader->message, "out of memory");
        return -1;
    }
    for (uint32_t y = 0; y < reader->height; y++) {
        rows[y] = pixels + (size_t)y * reader->width * 4;
    }
    if (setjmp(png_jmpbuf(reader->png))) {
        free(rows);
        return -1;
    }
    png_read_image(reader->png, rows);
    free(rows);
    return 0;
}

void wa_png_close(wa_png_reader *reader) {
    if (reader == NULL) {
        return;
    }
    if (reader->png != NULL) {
        png_destroy_read_struct(&reader->png, reader->info != NULL ? &reader->info : NULL, NULL);
    }
    free(reader);
}
