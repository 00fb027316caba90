/*
** store_views.c -- re-create a db's views from the embedded schema when
** they differ (see store_views.h).
*/
#include "store_views.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VIEWS_MARKER "\n-- Views"

/* The stored SQL of view `name` equals the statement text [text, text+len)? */
static int view_matches(sqlite3 *db, const char *name, size_t name_len, const char *text, size_t len, int *rc) {
  sqlite3_stmt *st = NULL;
  int same = 0;
  *rc = sqlite3_prepare_v2(db, "SELECT sql FROM sqlite_master WHERE type = 'view' AND name = ?1", -1, &st, NULL);
  if (*rc != SQLITE_OK) return 0;
  sqlite3_bind_text(st, 1, name, (int)name_len, SQLITE_STATIC);
  int step = sqlite3_step(st);
  if (step == SQLITE_ROW) {
    const char *sql = (const char *)sqlite3_column_text(st, 0);
    same = sql && strlen(sql) == len && memcmp(sql, text, len) == 0;
  } else if (step != SQLITE_DONE) {
    *rc = step;
  }
  sqlite3_finalize(st);
  return same;
}

typedef struct view_stmt {
  const char *text, *name;
  size_t len, name_len;
} view_stmt;

/* The next "CREATE VIEW name ... ;" statement at or after *at (the ';' that
** ends a line); 0 when there is none. */
static int next_view(const char **at, view_stmt *v) {
  const char *start = strstr(*at, "CREATE VIEW ");
  if (!start) return 0;
  const char *end = strstr(start, ";\n");
  if (!end) end = start + strlen(start) - (start[strlen(start) - 1] == ';');
  v->text = start;
  v->len = (size_t)(end - start);
  v->name = start + strlen("CREATE VIEW ");
  v->name_len = strcspn(v->name, " \n");
  *at = *end ? end + 1 : end;
  return 1;
}

int ar_store_refresh_views(sqlite3 *db, const char *schema_sql, char *err, size_t errlen) {
  const char *section = strstr(schema_sql, VIEWS_MARKER), *at;
  view_stmt v;
  int rc = SQLITE_OK, stale = 0;
  if (!section) return SQLITE_OK;
  for (at = section; next_view(&at, &v);) {
    if (!view_matches(db, v.name, v.name_len, v.text, v.len, &rc)) stale = 1;
    if (rc != SQLITE_OK) {
      snprintf(err, errlen, "reading the db's views: %s", sqlite3_errmsg(db));
      return rc;
    }
  }
  if (!stale) return SQLITE_OK;
  /* Drop every view of the section first (one may use another), then create
  ** them in the schema's order, all in one transaction. */
  rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
  for (at = section; rc == SQLITE_OK && next_view(&at, &v);) {
    char drop[160];
    snprintf(drop, sizeof drop, "DROP VIEW IF EXISTS \"%.*s\"", (int)v.name_len, v.name);
    rc = sqlite3_exec(db, drop, NULL, NULL, NULL);
  }
  for (at = section; rc == SQLITE_OK && next_view(&at, &v);) {
    char *sql = malloc(v.len + 1);
    if (!sql) {
      rc = SQLITE_NOMEM;
      break;
    }
    memcpy(sql, v.text, v.len);
    sql[v.len] = '\0';
    rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    free(sql);
  }
  if (rc == SQLITE_OK) rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
  if (rc != SQLITE_OK) {
    snprintf(err, errlen, "updating the db's views to this build's: %s", sqlite3_errmsg(db));
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
  }
  return rc;
}
