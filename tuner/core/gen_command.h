/*
** gen_command.h -- how to run the table generator from here, for the
** "next:" line the tuner prints after a run.
*/
#ifndef AR_GEN_COMMAND_H
#define AR_GEN_COMMAND_H

#include <stddef.h>

/* The generator's command into buf: <exe>/attnroute-gen when installed next
** to the tuner, else python3 and the build tree's gen/attnroute_gen.py
** (AR_GEN_SCRIPT), else the relative gen/attnroute_gen.py. */
void ar_gen_command(char *buf, size_t len);

#endif /* AR_GEN_COMMAND_H */
