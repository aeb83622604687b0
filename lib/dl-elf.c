// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The libelf functions libctmod calls (lib/modinfo.c: a module's .modinfo),
 * each loading libelf.so.1 on first use (lib/dl.h), so that `ctmod deps` and
 * ctmod as the kernel's modprobe helper load neither it nor the libz behind
 * it.
 */
#include <gelf.h>
#include <libelf.h>

#include "dl.h"

static __typeof__(elf_end) *sym_elf_end;
static __typeof__(elf_errmsg) *sym_elf_errmsg;
static __typeof__(elf_getshdrstrndx) *sym_elf_getshdrstrndx;
static __typeof__(elf_kind) *sym_elf_kind;
static __typeof__(elf_memory) *sym_elf_memory;
static __typeof__(elf_nextscn) *sym_elf_nextscn;
static __typeof__(elf_strptr) *sym_elf_strptr;
static __typeof__(elf_version) *sym_elf_version;
static __typeof__(gelf_getehdr) *sym_gelf_getehdr;
static __typeof__(gelf_getshdr) *sym_gelf_getshdr;

static const struct ctmod_dl_sym elf_syms[] = {
    CTMOD_DL_SYM(elf_end),      CTMOD_DL_SYM(elf_errmsg),  CTMOD_DL_SYM(elf_getshdrstrndx),
    CTMOD_DL_SYM(elf_kind),     CTMOD_DL_SYM(elf_memory),  CTMOD_DL_SYM(elf_nextscn),
    CTMOD_DL_SYM(elf_strptr),   CTMOD_DL_SYM(elf_version), CTMOD_DL_SYM(gelf_getehdr),
    CTMOD_DL_SYM(gelf_getshdr),
};

struct ctmod_dl ctmod_dl_elf = CTMOD_DL_INIT("libelf.so.1", "libelf1", elf_syms);

static inline int loaded(void)
{
	return ctmod_dl_open(&ctmod_dl_elf) == 0;
}

/* Without the library: EV_NONE from elf_version, so that no Elf handle is
 * ever made; the rest fail as libelf does on a NULL handle. */

unsigned int elf_version(unsigned int version)
{
	return loaded() ? sym_elf_version(version) : EV_NONE;
}

const char *elf_errmsg(int error)
{
	if (loaded())
		return sym_elf_errmsg(error);
	const char *why = ctmod_dl_error(&ctmod_dl_elf);
	return why ? why : "libelf.so.1 cannot be loaded";
}

Elf *elf_memory(char *image, size_t size)
{
	return loaded() ? sym_elf_memory(image, size) : NULL;
}

Elf_Kind elf_kind(Elf *elf)
{
	return loaded() ? sym_elf_kind(elf) : ELF_K_NONE;
}

int elf_end(Elf *elf)
{
	return loaded() ? sym_elf_end(elf) : 0;
}

int elf_getshdrstrndx(Elf *elf, size_t *dst)
{
	return loaded() ? sym_elf_getshdrstrndx(elf, dst) : -1;
}

Elf_Scn *elf_nextscn(Elf *elf, Elf_Scn *scn)
{
	return loaded() ? sym_elf_nextscn(elf, scn) : NULL;
}

char *elf_strptr(Elf *elf, size_t index, size_t offset)
{
	return loaded() ? sym_elf_strptr(elf, index, offset) : NULL;
}

GElf_Ehdr *gelf_getehdr(Elf *elf, GElf_Ehdr *dest)
{
	return loaded() ? sym_gelf_getehdr(elf, dest) : NULL;
}

GElf_Shdr *gelf_getshdr(Elf_Scn *scn, GElf_Shdr *dst)
{
	return loaded() ? sym_gelf_getshdr(scn, dst) : NULL;
}
