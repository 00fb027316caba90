/*
** store_upgrade.h -- bring an older attnroute db up to this build's schema
** (internal to db/: store.c calls it on the read-write connection).
*/
#ifndef AR_STORE_UPGRADE_H
#define AR_STORE_UPGRADE_H

#include <stddef.h>

struct sqlite3;

/* Upgrade the db of connection db to AR_STORE_SCHEMA_VERSION in one
** transaction (nothing changes when a step fails).  Foreign keys must be off
** on the connection.  A db already at the version (another process upgraded
** it meanwhile) is left alone.  Returns SQLITE_OK, or an SQLite code with
** what failed in doing (doinglen bytes). */
int ar_store_upgrade(struct sqlite3 *db, char *doing, size_t doinglen);

#endif /* AR_STORE_UPGRADE_H */
