/*
** report.h -- attnroute-eval's output: aligned text for people, JSON for
** scripts (tools/attnroute_lookup_study.py, tests).  Same numbers in both.
*/
#ifndef AR_REPORT_H
#define AR_REPORT_H

#include <stdio.h>

#include "regret.h"

typedef struct ar_report_opts {
  const char *table_path;
  const char *db_path;
  size_t worst; /* shapes listed, the table's worst regret first */
} ar_report_opts;

/* JSON values: a string (escaped), a number (null when not finite), a
** string lower-cased. */
void ar_json_str(FILE *f, const char *s);
void ar_json_num(FILE *f, double v);
/* ,"geomean":G,"p50":M,"p95":P,"max":X -- the regret fields of a policy's
** statistics, shape and trace reports alike. */
void ar_json_regrets(FILE *f, double geomean, double p50, double p95, double max);
void ar_json_lower(FILE *f, const char *s);

/* The attnroute_status name of a status ("OK", "NO_TABLE", ...; OK's for an
** unknown value), and a select's answer as a JSON object
** {"from_table":..,"rank":..,"reason":"..","name":".."}. */
const char *ar_reason_id(int status);
void ar_json_select(FILE *f, const attnroute_choice *c);

/* Write the report of ev to f.  0, or -1 on no memory. */
int ar_report_text(FILE *f, const ar_eval *ev, const ar_report_opts *o);
int ar_report_json(FILE *f, const ar_eval *ev, const ar_report_opts *o);

#endif /* AR_REPORT_H */
