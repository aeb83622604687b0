// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The libyaml functions libctmod calls (lib/modlist.c: cloud-config and
 * rancher.modules=), each loading libyaml-0.so.2 on first use (lib/dl.h), so
 * that `ctmod deps` and ctmod as the kernel's modprobe helper do not load it.
 */
#include <yaml.h>

#include "dl.h"

static __typeof__(yaml_document_delete) *sym_yaml_document_delete;
static __typeof__(yaml_document_get_node) *sym_yaml_document_get_node;
static __typeof__(yaml_document_get_root_node) *sym_yaml_document_get_root_node;
static __typeof__(yaml_parser_delete) *sym_yaml_parser_delete;
static __typeof__(yaml_parser_initialize) *sym_yaml_parser_initialize;
static __typeof__(yaml_parser_load) *sym_yaml_parser_load;
static __typeof__(yaml_parser_set_input_string) *sym_yaml_parser_set_input_string;

static const struct ctmod_dl_sym yaml_syms[] = {
    CTMOD_DL_SYM(yaml_document_delete),         CTMOD_DL_SYM(yaml_document_get_node),
    CTMOD_DL_SYM(yaml_document_get_root_node),  CTMOD_DL_SYM(yaml_parser_delete),
    CTMOD_DL_SYM(yaml_parser_initialize),       CTMOD_DL_SYM(yaml_parser_load),
    CTMOD_DL_SYM(yaml_parser_set_input_string),
};

struct ctmod_dl ctmod_dl_yaml = CTMOD_DL_INIT("libyaml-0.so.2", "libyaml-0-2", yaml_syms);

static inline int loaded(void)
{
	return ctmod_dl_open(&ctmod_dl_yaml) == 0;
}

/* Without the library: 0 (failure) from initialize and load, NULL nodes, and
 * nothing done by a delete; a parser is only initialized by a loaded one. */

int yaml_parser_initialize(yaml_parser_t *parser)
{
	return loaded() ? sym_yaml_parser_initialize(parser) : 0;
}

void yaml_parser_set_input_string(yaml_parser_t *parser, const unsigned char *input, size_t size)
{
	if (loaded())
		sym_yaml_parser_set_input_string(parser, input, size);
}

int yaml_parser_load(yaml_parser_t *parser, yaml_document_t *document)
{
	return loaded() ? sym_yaml_parser_load(parser, document) : 0;
}

void yaml_parser_delete(yaml_parser_t *parser)
{
	if (loaded())
		sym_yaml_parser_delete(parser);
}

yaml_node_t *yaml_document_get_node(yaml_document_t *document, int index)
{
	return loaded() ? sym_yaml_document_get_node(document, index) : NULL;
}

yaml_node_t *yaml_document_get_root_node(yaml_document_t *document)
{
	return loaded() ? sym_yaml_document_get_root_node(document) : NULL;
}

void yaml_document_delete(yaml_document_t *document)
{
	if (loaded())
		sym_yaml_document_delete(document);
}
