/*
** exe_dir.h -- the directory of the running executable, which the tuner
** searches for what is installed beside it (code objects, the CUDA
** plugin, the generator).
*/
#ifndef AR_COMMON_EXE_DIR_H
#define AR_COMMON_EXE_DIR_H

#include <stddef.h>

/* The directory of /proc/self/exe, without a trailing '/', into dir ("" if
** it cannot be read). */
void ar_exe_dir(char *dir, size_t len);

#endif /* AR_COMMON_EXE_DIR_H */
