// Tesseract's C API (Debian: libtesseract-dev; the English data comes with tesseract-ocr-eng).
#include <stddef.h>
#include <tesseract/capi.h>
