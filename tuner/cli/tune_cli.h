/*
** tune_cli.h -- attnroute-tune's command line as a function, so the tuner
** (main.c) and test builds of it (tests/e2e: the tuner with extra test
** candidates registered first) run the same flags and job.
*/
#ifndef AR_TUNE_CLI_H
#define AR_TUNE_CLI_H

/* Parse argv, run the job (ar_tune_run), return the exit status
** (AR_EXIT_*; 128 + signal when interrupted by SIGINT or SIGTERM). */
int ar_tune_cli_main(int argc, char **argv);

#endif /* AR_TUNE_CLI_H */
