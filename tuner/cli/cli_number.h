/*
** cli_number.h -- strict numbers for command-line flags: the whole text must
** be one finite number (no NaN, no infinity, no trailing text, no empty
** string) inside a closed range, so a flag can never switch a limit off or
** reach an undefined float-to-int conversion.
*/
#ifndef AR_CLI_NUMBER_H
#define AR_CLI_NUMBER_H

#include <stddef.h>
#include <stdint.h>

/* A finite decimal number in [lo, hi].  Returns 0 with *out set, or -1 with
** *out untouched. */
int ar_cli_parse_number(const char *text, double lo, double hi, double *out);

/* A decimal integer (optional sign, digits only) in [lo, hi].  Returns 0
** with *out set, or -1 with *out untouched. */
int ar_cli_parse_integer(const char *text, int64_t lo, int64_t hi, int64_t *out);

#endif /* AR_CLI_NUMBER_H */
