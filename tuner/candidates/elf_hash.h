/*
** elf_hash.h -- content hash of a code object without its debug sections.
**
** nvcc -lineinfo (and hipcc -g, and any compiler's -g) writes the build
** directory into the object's debug sections, so two builds of the same
** source in two checkouts differ byte for byte although they run the same
** machine code.  ar_code_object_hash() hashes what decides behaviour and
** leaves out what only describes it:
**
**   kept      the ELF identity (class, data, OS ABI, type, machine, flags,
**             version) and, in section order, every other section's name,
**             type, flags, address, size, link, info, alignment, entry size
**             and contents (SHT_NOBITS: size only)
**   left out  sections named .debug*, .nv_debug*, .zdebug* and their
**             relocations (.rel.<those>, .rela.<those>); file offsets
**             (sh_offset, e_shoff, program headers), which move when a debug
**             section grows
**
** A file that is not a 64-bit ELF object is hashed whole.  A 64-bit ELF
** file whose section table runs past its end is refused (a truncated copy).
*/
#ifndef AR_ELF_HASH_H
#define AR_ELF_HASH_H

#include <stddef.h>

/* 1 when a section of this name is left out of the hash. */
int ar_elf_section_is_debug(const char *name);

/* Hash of data[0..size) as above into hex (64 digits + NUL); 0, or -1 with
** err naming what is malformed (what says which file, for the message). */
int ar_code_object_hash_bytes(const unsigned char *data, size_t size, const char *what,
                              char hex[65], char *err, size_t errlen);

/* The same for a file; 0, or -1 with err ("PATH: cannot read", malformed). */
int ar_code_object_hash(const char *path, char hex[65], char *err, size_t errlen);

#endif /* AR_ELF_HASH_H */
