// COpenSSL: the system OpenSSL 3 exposed to Swift.
// C macros that Swift cannot import (BIO_pending, SSL_CTX_set_min_proto_version, ...)
// get static inline wrappers here.
#ifndef TRIBUTARY_COPENSSL_SHIM_H
#define TRIBUTARY_COPENSSL_SHIM_H
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/bio.h>
#include <openssl/x509.h>
#include <openssl/pem.h>
#include <openssl/evp.h>
#include <openssl/crypto.h>

static inline long tributary_BIO_pending(BIO *b) { return BIO_pending(b); }
static inline long tributary_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int v) { return SSL_CTX_set_min_proto_version(ctx, v); }
static inline long tributary_SSL_CTX_set_max_proto_version(SSL_CTX *ctx, int v) { return SSL_CTX_set_max_proto_version(ctx, v); }
static inline long tributary_SSL_set_tlsext_host_name(SSL *s, const char *name) { return SSL_set_tlsext_host_name(s, name); }
static inline long tributary_SSL_CTX_set_mode(SSL_CTX *ctx, long mode) { return SSL_CTX_set_mode(ctx, mode); }
#include <openssl/x509v3.h>
#include <openssl/tls1.h>
static inline long tributary_SSL_CTX_add_extra_chain_cert(SSL_CTX *ctx, X509 *x509) { return SSL_CTX_add_extra_chain_cert(ctx, x509); }
static inline long tributary_SSL_CTX_set_session_cache_mode(SSL_CTX *ctx, long mode) { return SSL_CTX_set_session_cache_mode(ctx, mode); }
#endif
