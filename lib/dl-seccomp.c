// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The libseccomp functions libctmod calls (lib/gate*.c, lib/jail.c), each
 * loading libseccomp.so.2 on first use (lib/dl.h).  Only the gate and its
 * module reader get here, so `ctmod deps` and ctmod as the kernel's modprobe
 * helper do not load it.  The reader's jail is a forked child of a threaded
 * process, where dlopen() is unsafe: ctmod_jail_run() opens it before fork.
 */
#include <errno.h>
#include <seccomp.h>
#include <stdarg.h>

#include "dl.h"

static __typeof__(seccomp_api_get) *sym_seccomp_api_get;
static __typeof__(seccomp_arch_add) *sym_seccomp_arch_add;
static __typeof__(seccomp_attr_set) *sym_seccomp_attr_set;
static __typeof__(seccomp_init) *sym_seccomp_init;
static __typeof__(seccomp_load) *sym_seccomp_load;
static __typeof__(seccomp_notify_alloc) *sym_seccomp_notify_alloc;
static __typeof__(seccomp_notify_fd) *sym_seccomp_notify_fd;
static __typeof__(seccomp_notify_free) *sym_seccomp_notify_free;
static __typeof__(seccomp_notify_id_valid) *sym_seccomp_notify_id_valid;
static __typeof__(seccomp_notify_receive) *sym_seccomp_notify_receive;
static __typeof__(seccomp_notify_respond) *sym_seccomp_notify_respond;
static __typeof__(seccomp_release) *sym_seccomp_release;
static __typeof__(seccomp_rule_add_array) *sym_seccomp_rule_add_array;
static __typeof__(seccomp_syscall_resolve_name) *sym_seccomp_syscall_resolve_name;
static __typeof__(seccomp_syscall_resolve_num_arch) *sym_seccomp_syscall_resolve_num_arch;

static const struct ctmod_dl_sym seccomp_syms[] = {
    CTMOD_DL_SYM(seccomp_api_get),
    CTMOD_DL_SYM(seccomp_arch_add),
    CTMOD_DL_SYM(seccomp_attr_set),
    CTMOD_DL_SYM(seccomp_init),
    CTMOD_DL_SYM(seccomp_load),
    CTMOD_DL_SYM(seccomp_notify_alloc),
    CTMOD_DL_SYM(seccomp_notify_fd),
    CTMOD_DL_SYM(seccomp_notify_free),
    CTMOD_DL_SYM(seccomp_notify_id_valid),
    CTMOD_DL_SYM(seccomp_notify_receive),
    CTMOD_DL_SYM(seccomp_notify_respond),
    CTMOD_DL_SYM(seccomp_release),
    CTMOD_DL_SYM(seccomp_rule_add_array),
    CTMOD_DL_SYM(seccomp_syscall_resolve_name),
    CTMOD_DL_SYM(seccomp_syscall_resolve_num_arch),
};

struct ctmod_dl ctmod_dl_seccomp = CTMOD_DL_INIT("libseccomp.so.2", "libseccomp2", seccomp_syms);

static inline int loaded(void)
{
	return ctmod_dl_open(&ctmod_dl_seccomp) == 0;
}

/*
 * Without the library: API level 0 (no notification), a NULL filter,
 * -ELIBACC from a call that returns an error code, and nothing done by a
 * release; a filter can only come from a loaded library.
 */
unsigned int seccomp_api_get(void)
{
	return loaded() ? sym_seccomp_api_get() : 0;
}

int seccomp_arch_add(scmp_filter_ctx ctx, uint32_t arch_token)
{
	return loaded() ? sym_seccomp_arch_add(ctx, arch_token) : -ELIBACC;
}

int seccomp_attr_set(scmp_filter_ctx ctx, enum scmp_filter_attr attr, uint32_t value)
{
	return loaded() ? sym_seccomp_attr_set(ctx, attr, value) : -ELIBACC;
}

scmp_filter_ctx seccomp_init(uint32_t def_action)
{
	return loaded() ? sym_seccomp_init(def_action) : NULL;
}

int seccomp_load(const scmp_filter_ctx ctx)
{
	return loaded() ? sym_seccomp_load(ctx) : -ELIBACC;
}

int seccomp_notify_alloc(struct seccomp_notif **req, struct seccomp_notif_resp **resp)
{
	return loaded() ? sym_seccomp_notify_alloc(req, resp) : -ELIBACC;
}

int seccomp_notify_fd(const scmp_filter_ctx ctx)
{
	return loaded() ? sym_seccomp_notify_fd(ctx) : -ELIBACC;
}

void seccomp_notify_free(struct seccomp_notif *req, struct seccomp_notif_resp *resp)
{
	if (loaded())
		sym_seccomp_notify_free(req, resp);
}

int seccomp_notify_id_valid(int fd, uint64_t id)
{
	return loaded() ? sym_seccomp_notify_id_valid(fd, id) : -ELIBACC;
}

int seccomp_notify_receive(int fd, struct seccomp_notif *req)
{
	return loaded() ? sym_seccomp_notify_receive(fd, req) : -ELIBACC;
}

int seccomp_notify_respond(int fd, struct seccomp_notif_resp *resp)
{
	return loaded() ? sym_seccomp_notify_respond(fd, resp) : -ELIBACC;
}

void seccomp_release(scmp_filter_ctx ctx)
{
	if (loaded())
		sym_seccomp_release(ctx);
}

int seccomp_rule_add_array(scmp_filter_ctx ctx, uint32_t action, int syscall, unsigned int arg_cnt,
                           const struct scmp_arg_cmp *arg_array)
{
	return loaded() ? sym_seccomp_rule_add_array(ctx, action, syscall, arg_cnt, arg_array)
	                : -ELIBACC;
}

/* the comparisons come as arguments: libseccomp takes at most 6 (SCMP_A5) */
int seccomp_rule_add(scmp_filter_ctx ctx, uint32_t action, int syscall, unsigned int arg_cnt, ...)
{
	struct scmp_arg_cmp args[6];
	if (arg_cnt > 6)
		return -EINVAL;
	va_list ap;
	va_start(ap, arg_cnt);
	for (unsigned i = 0; i < arg_cnt; i++)
		args[i] = va_arg(ap, struct scmp_arg_cmp);
	va_end(ap);
	return seccomp_rule_add_array(ctx, action, syscall, arg_cnt, args);
}

int seccomp_syscall_resolve_name(const char *name)
{
	return loaded() ? sym_seccomp_syscall_resolve_name(name) : __NR_SCMP_ERROR;
}

char *seccomp_syscall_resolve_num_arch(uint32_t arch_token, int num)
{
	return loaded() ? sym_seccomp_syscall_resolve_num_arch(arch_token, num) : NULL;
}
