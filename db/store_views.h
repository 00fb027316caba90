/*
** store_views.h -- keeping an existing db's views those of db/schema.sql.
**
** Views are derived (no data), so a db written by an older build gets this
** build's views when it is opened for writing: every view defined after the
** "-- Views" line of the embedded schema whose stored SQL differs (or which
** is missing) is dropped and created again, in one transaction.  Views the
** schema does not define are left alone.
*/
#ifndef AR_STORE_VIEWS_H
#define AR_STORE_VIEWS_H

#include <sqlite3.h>
#include <stddef.h>

/* Returns SQLITE_OK (nothing to do, or done), or an SQLite code with a
** message in err. */
int ar_store_refresh_views(sqlite3 *db, const char *schema_sql, char *err, size_t errlen);

#endif /* AR_STORE_VIEWS_H */
