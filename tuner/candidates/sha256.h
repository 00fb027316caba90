/*
** sha256.h -- SHA-256 for code-object content hashes (FIPS 180-4).
*/
#ifndef AR_SHA256_H
#define AR_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct ar_sha256 {
  uint32_t h[8];
  uint64_t length;    /* bytes hashed so far */
  uint8_t block[64];
  size_t used;        /* bytes in block */
} ar_sha256;

void ar_sha256_init(ar_sha256 *s);
void ar_sha256_update(ar_sha256 *s, const void *data, size_t len);
/* Finish and write 64 lowercase hex digits + NUL into hex. */
void ar_sha256_hex(ar_sha256 *s, char hex[65]);

/* Hash a whole file into hex; 0, or -1 with errno set. */
int ar_sha256_file(const char *path, char hex[65]);

#endif /* AR_SHA256_H */
