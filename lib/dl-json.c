// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The json-c functions ctmod calls (--json output, the gate's state and
 * profiles, headers' metadata), each loading libjson-c.so.5 on first use
 * (lib/dl.h), so that `ctmod deps` and ctmod as the kernel's modprobe helper,
 * which print no JSON, do not load it.
 *
 * Without the library a parse fails (NULL) and a query answers as json-c
 * does for a NULL object; a constructor cannot answer at all (its callers,
 * as json-c's, take only out of memory for failure): it ends the process
 * with the loader's own words and status, as the dynamic loader did when
 * the binary linked json-c.
 */
#include <json.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "dl.h"

static __typeof__(json_object_array_add) *sym_json_object_array_add;
static __typeof__(json_object_array_get_idx) *sym_json_object_array_get_idx;
static __typeof__(json_object_array_length) *sym_json_object_array_length;
static __typeof__(json_object_deep_copy) *sym_json_object_deep_copy;
static __typeof__(json_object_from_file) *sym_json_object_from_file;
static __typeof__(json_object_get) *sym_json_object_get;
static __typeof__(json_object_get_int64) *sym_json_object_get_int64;
static __typeof__(json_object_get_object) *sym_json_object_get_object;
static __typeof__(json_object_get_string) *sym_json_object_get_string;
static __typeof__(json_object_is_type) *sym_json_object_is_type;
static __typeof__(json_object_new_array) *sym_json_object_new_array;
static __typeof__(json_object_new_boolean) *sym_json_object_new_boolean;
static __typeof__(json_object_new_double) *sym_json_object_new_double;
static __typeof__(json_object_new_int) *sym_json_object_new_int;
static __typeof__(json_object_new_int64) *sym_json_object_new_int64;
static __typeof__(json_object_new_object) *sym_json_object_new_object;
static __typeof__(json_object_new_string) *sym_json_object_new_string;
static __typeof__(json_object_object_add) *sym_json_object_object_add;
static __typeof__(json_object_object_del) *sym_json_object_object_del;
static __typeof__(json_object_object_get_ex) *sym_json_object_object_get_ex;
static __typeof__(json_object_put) *sym_json_object_put;
static __typeof__(json_object_to_json_string_ext) *sym_json_object_to_json_string_ext;
static __typeof__(json_tokener_error_desc) *sym_json_tokener_error_desc;
static __typeof__(json_tokener_free) *sym_json_tokener_free;
static __typeof__(json_tokener_get_error) *sym_json_tokener_get_error;
static __typeof__(json_tokener_new) *sym_json_tokener_new;
static __typeof__(json_tokener_parse) *sym_json_tokener_parse;
static __typeof__(json_tokener_parse_ex) *sym_json_tokener_parse_ex;

static const struct ctmod_dl_sym json_syms[] = {
    CTMOD_DL_SYM(json_object_array_add),    CTMOD_DL_SYM(json_object_array_get_idx),
    CTMOD_DL_SYM(json_object_array_length), CTMOD_DL_SYM(json_object_deep_copy),
    CTMOD_DL_SYM(json_object_from_file),    CTMOD_DL_SYM(json_object_get),
    CTMOD_DL_SYM(json_object_get_int64),    CTMOD_DL_SYM(json_object_get_object),
    CTMOD_DL_SYM(json_object_get_string),   CTMOD_DL_SYM(json_object_is_type),
    CTMOD_DL_SYM(json_object_new_array),    CTMOD_DL_SYM(json_object_new_boolean),
    CTMOD_DL_SYM(json_object_new_double),   CTMOD_DL_SYM(json_object_new_int),
    CTMOD_DL_SYM(json_object_new_int64),    CTMOD_DL_SYM(json_object_new_object),
    CTMOD_DL_SYM(json_object_new_string),   CTMOD_DL_SYM(json_object_object_add),
    CTMOD_DL_SYM(json_object_object_del),   CTMOD_DL_SYM(json_object_object_get_ex),
    CTMOD_DL_SYM(json_object_put),          CTMOD_DL_SYM(json_object_to_json_string_ext),
    CTMOD_DL_SYM(json_tokener_error_desc),  CTMOD_DL_SYM(json_tokener_free),
    CTMOD_DL_SYM(json_tokener_get_error),   CTMOD_DL_SYM(json_tokener_new),
    CTMOD_DL_SYM(json_tokener_parse),       CTMOD_DL_SYM(json_tokener_parse_ex),
};

struct ctmod_dl ctmod_dl_json = CTMOD_DL_INIT("libjson-c.so.5", "libjson-c5", json_syms);

static inline int loaded(void)
{
	return ctmod_dl_open(&ctmod_dl_json) == 0;
}

/* what ld.so says and does when a needed library is missing */
static void need(void)
{
	if (loaded())
		return;
	fflush(stdout);
	fprintf(stderr, "ctmod: cannot load %s: %s (install it: apt-get install %s)\n",
	        ctmod_dl_json.soname, ctmod_dl_error(&ctmod_dl_json), ctmod_dl_json.package);
	_exit(127);
}

/* constructors: no failure but out of memory */

struct json_object *json_object_new_object(void)
{
	need();
	return sym_json_object_new_object();
}

struct json_object *json_object_new_array(void)
{
	need();
	return sym_json_object_new_array();
}

struct json_object *json_object_new_string(const char *s)
{
	need();
	return sym_json_object_new_string(s);
}

struct json_object *json_object_new_boolean(json_bool b)
{
	need();
	return sym_json_object_new_boolean(b);
}

struct json_object *json_object_new_double(double d)
{
	need();
	return sym_json_object_new_double(d);
}

struct json_object *json_object_new_int(int32_t i)
{
	need();
	return sym_json_object_new_int(i);
}

struct json_object *json_object_new_int64(int64_t i)
{
	need();
	return sym_json_object_new_int64(i);
}

struct json_tokener *json_tokener_new(void)
{
	need();
	return sym_json_tokener_new();
}

/* parsers: NULL, as for input that is not JSON */

struct json_object *json_tokener_parse(const char *str)
{
	return loaded() ? sym_json_tokener_parse(str) : NULL;
}

struct json_object *json_tokener_parse_ex(struct json_tokener *tok, const char *str, int len)
{
	return loaded() ? sym_json_tokener_parse_ex(tok, str, len) : NULL;
}

struct json_object *json_object_from_file(const char *filename)
{
	return loaded() ? sym_json_object_from_file(filename) : NULL;
}

/* the rest only ever sees objects a loaded library made, or NULL */

enum json_tokener_error json_tokener_get_error(struct json_tokener *tok)
{
	return loaded() ? sym_json_tokener_get_error(tok) : json_tokener_error_parse_unexpected;
}

const char *json_tokener_error_desc(enum json_tokener_error jerr)
{
	return loaded() ? sym_json_tokener_error_desc(jerr) : "libjson-c.so.5 cannot be loaded";
}

void json_tokener_free(struct json_tokener *tok)
{
	if (loaded())
		sym_json_tokener_free(tok);
}

/* every command drops its (mostly NULL) document: that loads nothing */
int json_object_put(struct json_object *obj)
{
	return obj && loaded() ? sym_json_object_put(obj) : 0;
}

struct json_object *json_object_get(struct json_object *obj)
{
	return loaded() ? sym_json_object_get(obj) : NULL;
}

int json_object_array_add(struct json_object *obj, struct json_object *val)
{
	return loaded() ? sym_json_object_array_add(obj, val) : -1;
}

struct json_object *json_object_array_get_idx(const struct json_object *obj, size_t idx)
{
	return loaded() ? sym_json_object_array_get_idx(obj, idx) : NULL;
}

size_t json_object_array_length(const struct json_object *obj)
{
	return loaded() ? sym_json_object_array_length(obj) : 0;
}

int json_object_deep_copy(struct json_object *src, struct json_object **dst,
                          json_c_shallow_copy_fn *shallow_copy)
{
	return loaded() ? sym_json_object_deep_copy(src, dst, shallow_copy) : -1;
}

int64_t json_object_get_int64(const struct json_object *obj)
{
	return loaded() ? sym_json_object_get_int64(obj) : 0;
}

struct lh_table *json_object_get_object(const struct json_object *obj)
{
	return loaded() ? sym_json_object_get_object(obj) : NULL;
}

const char *json_object_get_string(struct json_object *obj)
{
	return loaded() ? sym_json_object_get_string(obj) : NULL;
}

int json_object_is_type(const struct json_object *obj, enum json_type type)
{
	return loaded() ? sym_json_object_is_type(obj, type) : type == json_type_null;
}

int json_object_object_add(struct json_object *obj, const char *key, struct json_object *val)
{
	return loaded() ? sym_json_object_object_add(obj, key, val) : -1;
}

void json_object_object_del(struct json_object *obj, const char *key)
{
	if (loaded())
		sym_json_object_object_del(obj, key);
}

json_bool json_object_object_get_ex(const struct json_object *obj, const char *key,
                                    struct json_object **value)
{
	if (loaded())
		return sym_json_object_object_get_ex(obj, key, value);
	if (value)
		*value = NULL;
	return 0;
}

const char *json_object_to_json_string_ext(struct json_object *obj, int flags)
{
	return loaded() ? sym_json_object_to_json_string_ext(obj, flags) : "null";
}
