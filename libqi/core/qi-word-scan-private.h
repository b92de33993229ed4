/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <string.h>

#include <glib.h>

G_BEGIN_DECLS

/*
 * Tests of eight bytes at once, for the hot loops of the JSON reader and
 * writer (every hub frame goes through both): each is non-zero exactly
 * when at least one byte of the word is of the kind, so that a loop skips
 * whole words of ordinary text and looks at single bytes only in a word
 * that holds something else.
 */

#define QI_WORD_ONES G_GUINT64_CONSTANT (0x0101010101010101)
#define QI_WORD_HIGHS G_GUINT64_CONSTANT (0x8080808080808080)

/* The eight bytes at @p, which need not be aligned. */
static inline guint64
qi_word_load (const char *p)
{
  guint64 word;

  memcpy (&word, p, sizeof word);
  return word;
}

/* A byte below @n, which is at most 128. */
static inline guint64
qi_word_has_less (guint64 word,
                  guint8  n)
{
  return (word - QI_WORD_ONES * n) & ~word & QI_WORD_HIGHS;
}

/* A byte equal to @c. */
static inline guint64
qi_word_has_byte (guint64 word,
                  guint8  c)
{
  return qi_word_has_less (word ^ (QI_WORD_ONES * c), 1);
}

/* A byte that is not ASCII. */
static inline guint64
qi_word_has_high (guint64 word)
{
  return word & QI_WORD_HIGHS;
}

G_END_DECLS
