/* main.c -- reads the table generated at build time; exit 0 when it is the
** fixture's (4 candidates, 2 classes, keyed gfx1250:256). */
#include <string.h>

#include "consumer_table.h"

int main(void) {
  return !(consumer_table.num_candidates == 4 && consumer_table.num_classes == 2 &&
           strcmp(consumer_table.arch, "gfx1250") == 0 && consumer_table.cu_count == 256);
}
