/*
** report_trace.h -- attnroute-eval's reports of a trace evaluation
** (trace.h): aligned text and JSON, the same numbers in both.
*/
#ifndef AR_REPORT_TRACE_H
#define AR_REPORT_TRACE_H

#include <stdio.h>

#include "report.h"
#include "trace.h"

/* Write the report of ev to f (o->worst calls listed).  0, or -1 on no memory. */
int ar_trace_report_text(FILE *f, const ar_trace_eval *ev, const ar_report_opts *o);
int ar_trace_report_json(FILE *f, const ar_trace_eval *ev, const ar_report_opts *o);

#endif /* AR_REPORT_TRACE_H */
