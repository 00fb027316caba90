/*
** attnroute_table_export.c -- the one source of a compiled table: a shared
** library exporting one generated table as attnroute_table_export()
** (ATTNROUTE_TABLE_EXPORT_SYMBOL in attnroute.h), for engines that load
** tables at run time (dlopen + dlsym, or Python's attnroute.Table).
**
** Compiled by gen/attnroute_gen.py --library and by
** attnroute_generate_table(... LIBRARY ...) with two definitions:
**   ATTNROUTE_TABLE_EXPORT_HEADER  the generated header, as a quoted path
**   ATTNROUTE_TABLE_EXPORT_NAME    the table's C identifier (--name)
** The library holds data only and needs nothing from libattnroute.
*/
#include "attnroute.h"

#if !defined(ATTNROUTE_TABLE_EXPORT_HEADER) || !defined(ATTNROUTE_TABLE_EXPORT_NAME)
#error "define ATTNROUTE_TABLE_EXPORT_HEADER and ATTNROUTE_TABLE_EXPORT_NAME"
#endif
#include ATTNROUTE_TABLE_EXPORT_HEADER

#if defined(_WIN32)
#define ATTNROUTE_TABLE_EXPORT_DECL __declspec(dllexport)
#elif defined(__GNUC__)
#define ATTNROUTE_TABLE_EXPORT_DECL __attribute__((visibility("default")))
#else
#define ATTNROUTE_TABLE_EXPORT_DECL
#endif

/* The table this library holds; never NULL. */
ATTNROUTE_TABLE_EXPORT_DECL const attnroute_table *attnroute_table_export(void);
const attnroute_table *attnroute_table_export(void) { return &ATTNROUTE_TABLE_EXPORT_NAME; }
