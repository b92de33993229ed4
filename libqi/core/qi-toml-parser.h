/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(QI_INSIDE) && !defined(QI_COMPILATION)
# error "Only <qi/qi.h> can be included directly."
#endif

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "qi-version.h"

G_BEGIN_DECLS

/**
 * QI_TOML_ERROR:
 *
 * The error domain of #QiTomlParser.
 */
#define QI_TOML_ERROR (qi_toml_error_quark ())

/**
 * QiTomlError:
 * @QI_TOML_ERROR_INVALID_UTF8: the document is not valid UTF-8
 * @QI_TOML_ERROR_SYNTAX: the document does not follow the TOML grammar
 * @QI_TOML_ERROR_INVALID_VALUE: a value is malformed or out of range
 *   (an integer that overflows 64 bits, the 30th of February, a bad escape)
 * @QI_TOML_ERROR_DUPLICATE_KEY: a key or table is defined twice, or a table
 *   is extended in a way TOML forbids
 * @QI_TOML_ERROR_TOO_DEEP: arrays, inline tables or keys nest too deeply
 * @QI_TOML_ERROR_IO: the file could not be read
 *
 * Errors reported by #QiTomlParser. Every message starts with the location
 * of the problem, `FILE:LINE:COLUMN: ` (or `LINE:COLUMN: ` when the parser
 * has no file name), lines and columns counted from 1, columns in
 * characters.
 */
typedef enum {
  QI_TOML_ERROR_INVALID_UTF8,
  QI_TOML_ERROR_SYNTAX,
  QI_TOML_ERROR_INVALID_VALUE,
  QI_TOML_ERROR_DUPLICATE_KEY,
  QI_TOML_ERROR_TOO_DEEP,
  QI_TOML_ERROR_IO,
} QiTomlError;

/**
 * QiTomlParseFlags:
 * @QI_TOML_PARSE_DEFAULT: plain typed JSON, see qi_toml_parser_load_from_data()
 * @QI_TOML_PARSE_TAGGED: every scalar becomes an object
 *   `{"type": TYPE, "value": TEXT}` as in the toml-test suite
 *
 * How a TOML document is turned into JSON.
 */
typedef enum /*< flags >*/ {
  QI_TOML_PARSE_DEFAULT = 0,
  QI_TOML_PARSE_TAGGED  = 1 << 0,
} QiTomlParseFlags;

/**
 * QiTomlDatetimeKind:
 * @QI_TOML_DATETIME_NONE: the node is not a TOML date or time
 * @QI_TOML_DATETIME_OFFSET: an offset date-time, `1979-05-27T07:32:00Z`
 * @QI_TOML_DATETIME_LOCAL: a local date-time, `1979-05-27T07:32:00`
 * @QI_TOML_DATETIME_LOCAL_DATE: a local date, `1979-05-27`
 * @QI_TOML_DATETIME_LOCAL_TIME: a local time, `07:32:00`
 *
 * The four kinds of TOML date and time values.
 */
typedef enum {
  QI_TOML_DATETIME_NONE,
  QI_TOML_DATETIME_OFFSET,
  QI_TOML_DATETIME_LOCAL,
  QI_TOML_DATETIME_LOCAL_DATE,
  QI_TOML_DATETIME_LOCAL_TIME,
} QiTomlDatetimeKind;

#define QI_TYPE_TOML_PARSER (qi_toml_parser_get_type ())

QI_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (QiTomlParser, qi_toml_parser, QI, TOML_PARSER, GObject)

QI_AVAILABLE_IN_ALL
GQuark              qi_toml_error_quark             (void);

QI_AVAILABLE_IN_ALL
QiTomlParser       *qi_toml_parser_new              (QiTomlParseFlags   flags);
QI_AVAILABLE_IN_ALL
QiTomlParseFlags    qi_toml_parser_get_flags        (QiTomlParser      *self);
QI_AVAILABLE_IN_ALL
gboolean            qi_toml_parser_load_from_data   (QiTomlParser      *self,
                                                     const char        *data,
                                                     gssize             length,
                                                     const char        *filename,
                                                     GError           **error);
QI_AVAILABLE_IN_ALL
gboolean            qi_toml_parser_load_from_file   (QiTomlParser      *self,
                                                     const char        *path,
                                                     GError           **error);
QI_AVAILABLE_IN_ALL
JsonNode           *qi_toml_parser_get_root         (QiTomlParser      *self);
QI_AVAILABLE_IN_ALL
JsonNode           *qi_toml_parser_steal_root       (QiTomlParser      *self);
QI_AVAILABLE_IN_ALL
const char         *qi_toml_parser_get_filename     (QiTomlParser      *self);
QI_AVAILABLE_IN_ALL
gboolean            qi_toml_parser_get_location     (QiTomlParser      *self,
                                                     const char        *pointer,
                                                     guint             *line,
                                                     guint             *column);

QI_AVAILABLE_IN_ALL
QiTomlDatetimeKind  qi_toml_node_get_datetime_kind  (JsonNode          *node);
QI_AVAILABLE_IN_ALL
const char         *qi_toml_node_get_datetime       (JsonNode          *node,
                                                     QiTomlDatetimeKind *kind);
QI_AVAILABLE_IN_ALL
GDateTime          *qi_toml_node_dup_gdatetime      (JsonNode          *node,
                                                     GError           **error);

G_END_DECLS
