/*
** outcome.h -- the outcomes of one measurement: the one list.  X(NAME,
** "text") in order; the tuner's ar_status (AR_STATUS_<NAME>, 0..), the text
** the db stores in measurement.status (ar_status_name), attnroute-eval's
** reading of it (tools/eval/evaldb.h) and the tuner's progress counts all
** come from it.  db/schema.sql's CHECK on measurement.status spells the
** same texts; tests/db (outcome_list) checks the two agree.  Header only.
*/
#ifndef AR_OUTCOME_H
#define AR_OUTCOME_H

#define AR_STATUS_LIST(X)                                                  \
  X(OK, "ok")                   /* ran, matched the reference, timed */   \
  X(UNSUPPORTED, "unsupported") /* the candidate cannot run the shape */  \
  X(WRONG, "wrong")             /* ran, did not match the reference */    \
  X(FAULT, "fault")             /* the worker faulted running it */       \
  X(TIMEOUT, "timeout")         /* it did not finish in time */

typedef enum ar_status {
#define AR__STATUS_ENUM(name, text) AR_STATUS_##name,
  AR_STATUS_LIST(AR__STATUS_ENUM)
#undef AR__STATUS_ENUM
  AR_NUM_STATUS
} ar_status;

#endif /* AR_OUTCOME_H */
