/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

/* Shared by QiRestRouter, QiRestRequest and QiStaticFolder: the JSON error
 * body, percent-decoding, quoting client text in messages, and a strict
 * JSON reader for request bodies. */

/* The limits of a request body, on top of the router's byte limit. Deeper
 * nesting is a bad request; more members or values are too large. */
#define QI_REST_JSON_MAX_DEPTH   128
#define QI_REST_JSON_MAX_MEMBERS 10000
#define QI_REST_JSON_MAX_VALUES  1000000

#define QI_REST_JSON_CONTENT_TYPE "application/json; charset=utf-8"

typedef enum {
  QI_REST_DECODE_SEGMENT, /* one path segment: an encoded '/' is refused */
  QI_REST_DECODE_FORM,    /* a query name or value: '+' is a space */
} QiRestDecodeMode;

G_GNUC_INTERNAL
char     *qi_rest_percent_decode (const char        *raw,
                                  gsize              length,
                                  QiRestDecodeMode   mode);
G_GNUC_INTERNAL
char     *qi_rest_quote          (const char        *text);
G_GNUC_INTERNAL
void      qi_rest_reply_json     (SoupServerMessage *msg,
                                  guint              status,
                                  JsonNode          *body);
G_GNUC_INTERNAL
void      qi_rest_reply_error    (SoupServerMessage *msg,
                                  guint              status,
                                  const char        *code,
                                  const char        *message);
G_GNUC_INTERNAL
JsonNode *qi_rest_json_parse     (const char        *data,
                                  gsize              length,
                                  GError           **error);

G_END_DECLS
