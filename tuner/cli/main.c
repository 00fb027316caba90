/*
** main.c -- attnroute-tune: the command line of tune_cli.c.
*/
#include "tune_cli.h"

int main(int argc, char **argv) { return ar_tune_cli_main(argc, argv); }
