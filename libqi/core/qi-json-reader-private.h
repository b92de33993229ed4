/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "qi-json.h"

G_BEGIN_DECLS

/*
 * A strict RFC 8259 reader into JsonNode trees, shared by the hub's
 * envelope decoder (qi_message_new_from_data()) and the REST router's
 * request bodies (qi_rest_json_parse()).
 *
 * JsonParser is not used: in json-glib 1.6 it accepts single quotes,
 * comments, hexadecimal numbers and raw tabs in strings, truncates strings
 * at \u0000, turns 1e400 into infinity and overflowing integers into -1,
 * and recurses without limit, so that a text of nested brackets overflows
 * the stack.
 *
 * The reader takes one JSON value, the whole of the text, which must be
 * UTF-8 (it checks). It refuses a byte order mark, comments, single
 * quotes, trailing commas and data after the value; duplicate member
 * names, unpaired surrogates, \u0000 in strings and numbers beyond the
 * range of a double; nesting deeper, more values or larger objects than
 * its #QiJsonLimits; and an object of more than 32 members in which more
 * than 8 names share one g_str_hash() value (JsonObject's table has no
 * seed, so such names make every insertion walk all the earlier ones).
 * The stack it uses is bounded by max_depth.
 *
 * It does not word its errors: it says what is wrong (#QiJsonProblem) and
 * where (#QiJsonFailure), and each caller writes the message in its own
 * error domain and words, with its own way of giving the place. Where the
 * two callers differ, and why:
 *
 * - Words and place. The hub says "message is not valid JSON: invalid
 *   escape at byte 8" (%QI_HUB_ERROR), at the byte where reading stopped,
 *   but at the first letter of a misspelt true, false or null. The REST
 *   router says "the request body is not valid JSON: invalid escape in a
 *   string at line 1, column 3" (%G_IO_ERROR), with the line and column in
 *   characters, at the backslash of a bad escape but at the first wrong
 *   letter of a word, and calls a broken number, an unterminated string
 *   and data after the value "unexpected …". Both callers had their own
 *   reader before this one; their messages reach clients and logs and their
 *   tests compare them, so both are kept: hence a problem code rather than
 *   a sentence, and two places (offset and token).
 * - Integers beyond 64 bits: the hub reads them as doubles (its API says
 *   so); the REST router refuses them, as it refuses whatever json-glib
 *   could not hold faithfully. See big_integers_as_doubles.
 * - Limits: each caller's own constants (%QI_MESSAGE_MAX_DEPTH and its
 *   siblings, QI_REST_JSON_MAX_* in qi-rest-utils-private.h).
 * - The REST router counts the values of a body before reading it
 *   (count_values_first): its limit of a million values would otherwise
 *   cost a million nodes before the refusal. The hub's limit is ten times
 *   smaller and its messages are on the hot path: it reads in one pass.
 * - Where the two readers checked a member name in different orders, this
 *   one follows the hub's: duplicate, then the ':', then the hash check,
 *   then the member count. A request body whose 10001st member name also
 *   lacks its ':' now gets the syntax error (400) rather than "too large"
 *   (413). The hash check is new to request bodies.
 */

typedef struct
{
  guint    max_depth;               /* nested containers, the outermost included */
  guint    max_values;              /* in the whole text, the root included */
  guint    max_members;             /* in one object */
  gboolean big_integers_as_doubles; /* or QI_JSON_PROBLEM_INTEGER_RANGE */
  gboolean count_values_first;      /* refuse too many values before reading */
  gboolean replace_nul_escape;      /* read \u0000 as U+FFFD rather than refuse it: only
                                     * to find what a refused text was about (the id of
                                     * a hub message, for the error's "re") */
} QiJsonLimits;

/* What is wrong. The offset is where reading stopped; the token is the
 * same unless said otherwise. Both callers report TOO_MANY_VALUES and
 * TOO_MANY_MEMBERS as too large, everything else (TOO_DEEP and HASH_FLOOD
 * too) as not valid. */
typedef enum
{
  QI_JSON_PROBLEM_NOT_UTF8,            /* at the first byte that is not */
  QI_JSON_PROBLEM_UNEXPECTED,          /* a byte that cannot come here, or the end */
  QI_JSON_PROBLEM_TRAILING_DATA,       /* what follows the value */
  QI_JSON_PROBLEM_BAD_WORD,            /* not true, false or null: the first byte that
                                        * differs (or the end); token: the word */
  QI_JSON_PROBLEM_BAD_NUMBER,          /* where a digit is missing (or the end) */
  QI_JSON_PROBLEM_NUMBER_RANGE,        /* at the number: beyond a double */
  QI_JSON_PROBLEM_INTEGER_RANGE,       /* at the number: beyond 64 bits */
  QI_JSON_PROBLEM_CONTROL_CHARACTER,   /* an unescaped one in a string */
  QI_JSON_PROBLEM_UNTERMINATED_STRING, /* at the end */
  QI_JSON_PROBLEM_BAD_ESCAPE,          /* at the letter after the backslash;
                                        * token: the backslash */
  QI_JSON_PROBLEM_BAD_HEX,             /* "\u" without four hex digits: at the first
                                        * that is not; token: the backslash */
  QI_JSON_PROBLEM_UNPAIRED_SURROGATE,  /* after the escape, or at what should be
                                        * the second of a pair; token: the backslash */
  QI_JSON_PROBLEM_NUL_ESCAPE,          /* after "\u0000"; token: the backslash */
  QI_JSON_PROBLEM_DUPLICATE_MEMBER,    /* at the name; see QiJsonFailure.member */
  QI_JSON_PROBLEM_HASH_FLOOD,          /* at the name */
  QI_JSON_PROBLEM_TOO_DEEP,            /* at the bracket past max_depth */
  QI_JSON_PROBLEM_TOO_MANY_VALUES,     /* at the value past max_values */
  QI_JSON_PROBLEM_TOO_MANY_MEMBERS,    /* at the name past max_members */
} QiJsonProblem;

typedef struct
{
  QiJsonProblem  problem;
  gsize          offset;  /* in bytes, from the start of the text */
  gsize          token;   /* in bytes, where the token at fault starts */
  char          *member;  /* QI_JSON_PROBLEM_DUPLICATE_MEMBER: the name, decoded */
  char          *pointer; /* QI_JSON_PROBLEM_NUL_ESCAPE: the JSON Pointer (RFC 6901)
                           * of the string that holds it ("" for the root; a
                           * member name holding it: its object's pointer) */
} QiJsonFailure;

G_GNUC_INTERNAL
JsonNode *qi_json_read          (const char         *data,
                                 gsize               length,
                                 const QiJsonLimits *limits,
                                 QiJsonFailure      *failure);
G_GNUC_INTERNAL
void      qi_json_failure_clear (QiJsonFailure      *failure);

/* A member of the root object that qi_json_read_fields() hands over: a
 * string value as its text, an integer as its value, any other value as
 * its node; a value to skip as its place in the text. */
typedef struct
{
  const char *name;      /* in: the member's name */
  gboolean    skip;      /* in: check the value, but do not build it */
  gboolean    present;
  JsonNode   *node;      /* the value, unless it is a string, an integer
                          * (of 64 bits) or skipped */
  gboolean    is_integer;
  gint64      integer;
  const char *string;    /* a string value (NULL for any other): UTF-8
                          * without nul bytes, not nul-terminated; in the
                          * text read or in decoded */
  gsize       length;    /* of string, in bytes */
  GString    *decoded;   /* string's storage when it had escapes */
  gsize       start;     /* a skipped value: its first byte in the text, */
  gsize       end;       /* the byte after it, */
  gboolean    canonical; /* and whether qi_json_to_string() of it, once
                          * built, gives that text byte for byte */
} QiJsonField;

G_GNUC_INTERNAL
gboolean  qi_json_read_fields   (const char         *data,
                                 gsize               length,
                                 const QiJsonLimits *limits,
                                 QiJsonField        *fields,
                                 guint               n_fields,
                                 gboolean           *is_object,
                                 QiJsonFailure      *failure);
G_GNUC_INTERNAL
void      qi_json_fields_clear  (QiJsonField        *fields,
                                 guint               n_fields);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (QiJsonFailure, qi_json_failure_clear)

G_GNUC_INTERNAL
void      qi_json_locate        (const char          *start,
                                 const char          *at,
                                 guint               *line,
                                 guint               *column);

G_GNUC_INTERNAL
char     *qi_json_failure_describe (const QiJsonFailure *failure,
                                      gsize                length,
                                      const char          *too_large,
                                      gsize               *at);
G_GNUC_INTERNAL
const char *qi_json_describe_type    (JsonNode            *node);

G_END_DECLS
