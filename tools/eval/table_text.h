/*
** table_text.h -- loading a table written by `attnroute_gen.py --text` into
** heap structures shaped exactly like the generated header's attnroute_table,
** so the runtime's own attnroute_router_init / attnroute_select can consult
** it.  The format (versioned first line "attnroute-table-text 2") is
** documented in gen/attnroute_gen/emit_text.py.  The parser is strict: any
** deviation from what the generator writes is an error naming the line.
*/
#ifndef AR_TABLE_TEXT_H
#define AR_TABLE_TEXT_H

#include <stddef.h>

#include "attnroute.h"

#define AR_TABLE_TEXT_MAGIC "attnroute-table-text"
#define AR_TABLE_TEXT_VERSION 2
/* Largest file accepted (a table is a few MiB at most). */
#define AR_TABLE_TEXT_MAX_BYTES ((size_t)256 << 20)

typedef struct ar_text_table {
  attnroute_table table; /* OUT: every pointer below is owned by this struct */
  attnroute_candidate *candidates;
  attnroute_class *classes;
} ar_text_table;

/* Parse `len` bytes of text (need not be NUL-terminated); `name` is used in
** messages ("NAME:LINE: ...").  Returns 0 with *out filled, or -1 with a
** message in err and *out empty (safe to free). */
int ar_table_text_parse(const char *text, size_t len, const char *name,
                        ar_text_table *out, char *err, size_t errlen);

/* Read a file and parse it.  0, or -1 with err. */
int ar_table_text_load(const char *path, ar_text_table *out, char *err, size_t errlen);

/* Free what a parse allocated; leaves *t empty.  NULL is ignored. */
void ar_table_text_free(ar_text_table *t);

#endif /* AR_TABLE_TEXT_H */
