// CNGHTTP2: the system nghttp2 (Debian 12: 1.52.0) exposed to Swift.
// Macro-only helpers that Swift cannot import get static inline wrappers here.
#ifndef TRIBUTARY_CNGHTTP2_SHIM_H
#define TRIBUTARY_CNGHTTP2_SHIM_H
#include <nghttp2/nghttp2.h>
#endif
