/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "qi-handler-registry.h"
#include "qi-hub-error.h"
#include "qi-message.h"

/**
 * QiHandlerRegistry:
 *
 * Maps request topics to their one handler and event patterns to their
 * subscribers, each owned by a session of the hub.
 *
 * Topics follow qi_message_topic_is_valid(): dotted names of one or more
 * segments of letters, digits, `_` and `-`: `db_service.version.list`. A request topic has exactly one
 * handler; a second one is refused with %QI_HUB_ERROR_HANDLER_EXISTS.
 *
 * Patterns are topics in which a segment may be `*`, matching exactly one
 * segment, and whose last segment may be `**`, matching any number of
 * trailing segments, none included: `db_service.*` matches
 * `db_service.saved` but not `db_service.version.saved`;
 * `db_service.**` matches both, and `db_service` itself; `**` matches every
 * topic.
 *
 * Subscriptions are kept in a tree of segments, so that matching a topic
 * costs in proportion to its segments, not to the number of subscribers.
 * The registry stores opaque data for each handler and subscription and
 * frees it with the given #GDestroyNotify when they go; it does not call
 * them: the message bus does. The functions that take or give that data
 * are not for bindings, which talk to the hub instead.
 */

typedef struct _Node Node;

struct _Node
{
  Node       *parent;
  char       *segment;     /* NULL for the root */
  GHashTable *children;    /* segment -> Node, "*" included; NULL if none */
  GPtrArray  *exact;       /* Subscriptions ending here */
  GPtrArray  *rest;        /* Subscriptions ending here with "**" */
};

typedef struct
{
  guint           id;
  guint64         serial;      /* order of subscription, never reused */
  char           *pattern;
  char           *session;
  Node           *node;
  gboolean        rest;
  gpointer        data;
  GDestroyNotify  destroy;
} Subscription;

typedef struct
{
  char           *topic;
  char           *session;
  gpointer        data;
  GDestroyNotify  destroy;
} Handler;

struct _QiHandlerRegistry
{
  GObject     parent_instance;

  GHashTable *handlers;        /* topic -> Handler */
  GHashTable *subscriptions;   /* id -> Subscription */
  Node       *root;
  guint       last_id;
  guint64     last_serial;
};

G_DEFINE_FINAL_TYPE (QiHandlerRegistry, qi_handler_registry, G_TYPE_OBJECT)

static Node *
node_new (Node       *parent,
          const char *segment)
{
  Node *node = g_new0 (Node, 1);

  node->parent = parent;
  node->segment = g_strdup (segment);
  return node;
}

static void
node_free (gpointer data)
{
  Node *node = data;

  g_clear_pointer (&node->children, g_hash_table_unref);
  g_clear_pointer (&node->exact, g_ptr_array_unref);
  g_clear_pointer (&node->rest, g_ptr_array_unref);
  g_free (node->segment);
  g_free (node);
}

static void
handler_free (gpointer data)
{
  Handler *handler = data;

  if (handler->destroy != NULL)
    handler->destroy (handler->data);
  g_free (handler->topic);
  g_free (handler->session);
  g_free (handler);
}

static void
subscription_free (gpointer data)
{
  Subscription *sub = data;

  if (sub->destroy != NULL)
    sub->destroy (sub->data);
  g_free (sub->pattern);
  g_free (sub->session);
  g_free (sub);
}

static void
qi_handler_registry_finalize (GObject *object)
{
  QiHandlerRegistry *self = QI_HANDLER_REGISTRY (object);

  /* The tree first: subscriptions point into it, and their destroy
   * notifies run when the table goes. */
  g_clear_pointer (&self->root, node_free);
  g_clear_pointer (&self->handlers, g_hash_table_unref);
  g_clear_pointer (&self->subscriptions, g_hash_table_unref);

  G_OBJECT_CLASS (qi_handler_registry_parent_class)->finalize (object);
}

static void
qi_handler_registry_class_init (QiHandlerRegistryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = qi_handler_registry_finalize;
}

static void
qi_handler_registry_init (QiHandlerRegistry *self)
{
  self->handlers = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, handler_free);
  self->subscriptions = g_hash_table_new_full (NULL, NULL, NULL, subscription_free);
  self->root = node_new (NULL, NULL);
}

/**
 * qi_handler_registry_new:
 *
 * Returns: (transfer full): a new, empty #QiHandlerRegistry
 */
QiHandlerRegistry *
qi_handler_registry_new (void)
{
  return g_object_new (QI_TYPE_HANDLER_REGISTRY, NULL);
}

static gboolean
is_segment_char (char c)
{
  return g_ascii_isalnum (c) || c == '_' || c == '-';
}

/* Checks @text as a topic, or as a pattern if @pattern. */
static gboolean
check_name (const char  *text,
            gboolean     pattern,
            GError     **error)
{
  const char *p = text;

  /* Topics follow the rule of the envelope; the rest of this function
   * only says what is wrong, or checks the wildcards of a pattern. */
  if (!pattern && qi_message_topic_is_valid (text))
    return TRUE;

#define FAIL(topic_message, pattern_message, ...) \
  G_STMT_START { \
    if (pattern) \
      g_set_error (error, QI_HUB_ERROR, QI_HUB_ERROR_BAD_MESSAGE, pattern_message, __VA_ARGS__); \
    else \
      g_set_error (error, QI_HUB_ERROR, QI_HUB_ERROR_BAD_MESSAGE, topic_message, __VA_ARGS__); \
    return FALSE; \
  } G_STMT_END

  if (text == NULL || text[0] == '\0')
    {
      g_set_error_literal (error, QI_HUB_ERROR, QI_HUB_ERROR_BAD_MESSAGE,
                           pattern ? _("the pattern is empty") : _("the topic is empty"));
      return FALSE;
    }

  if (strlen (text) > QI_MESSAGE_MAX_TOPIC_LENGTH)
    FAIL (_("the topic is longer than %d bytes"), _("the pattern is longer than %d bytes"),
          QI_MESSAGE_MAX_TOPIC_LENGTH);

  while (*p != '\0')
    {
      const char *start = p;

      while (*p != '\0' && *p != '.')
        p++;

      if (p == start)
        FAIL (_("the topic “%s” has an empty segment"),
              _("the pattern “%s” has an empty segment"), text);

      if (pattern && p - start == 1 && *start == '*')
        ;
      else if (pattern && p - start == 2 && start[0] == '*' && start[1] == '*')
        {
          if (*p != '\0')
            {
              g_set_error (error, QI_HUB_ERROR, QI_HUB_ERROR_BAD_MESSAGE,
                           _("the pattern “%s” has “**” before its end; it may only be the last segment"),
                           text);
              return FALSE;
            }
        }
      else
        for (const char *c = start; c < p; c++)
          if (!is_segment_char (*c))
            FAIL (_("the topic “%s” may only hold letters, digits, “_”, “-” and dots"),
                  _("the pattern “%s” may only hold letters, digits, “_”, “-”, dots, "
                    "and “*” or “**” as whole segments"),
                  text);

      if (*p == '.')
        {
          p++;
          if (*p == '\0')
            FAIL (_("the topic “%s” ends with a dot"), _("the pattern “%s” ends with a dot"), text);
        }
    }

#undef FAIL
  return TRUE;
}

/**
 * qi_handler_registry_check_topic:
 * @topic: (nullable): a topic, such as `db_service.version.list`
 * @error: return location for a #GError
 *
 * Returns: %TRUE if @topic is a valid topic; %FALSE with
 *   %QI_HUB_ERROR_BAD_MESSAGE saying what is wrong otherwise
 */
gboolean
qi_handler_registry_check_topic (const char  *topic,
                                 GError     **error)
{
  return check_name (topic, FALSE, error);
}

/**
 * qi_handler_registry_check_pattern:
 * @pattern: (nullable): a pattern, such as `db_service.*`
 * @error: return location for a #GError
 *
 * Returns: %TRUE if @pattern is a valid pattern; %FALSE with
 *   %QI_HUB_ERROR_BAD_MESSAGE saying what is wrong otherwise
 */
gboolean
qi_handler_registry_check_pattern (const char  *pattern,
                                   GError     **error)
{
  return check_name (pattern, TRUE, error);
}

/**
 * qi_handler_registry_pattern_matches:
 * @pattern: a valid pattern
 * @topic: a valid topic
 *
 * Tells whether @pattern matches @topic, by the rules of #QiHandlerRegistry.
 *
 * Returns: %TRUE if it does
 */
gboolean
qi_handler_registry_pattern_matches (const char *pattern,
                                     const char *topic)
{
  const char *p = pattern;
  const char *t = topic;

  g_return_val_if_fail (pattern != NULL, FALSE);
  g_return_val_if_fail (topic != NULL, FALSE);

  for (;;)
    {
      const char *p_end = strchr (p, '.');
      const char *t_end = strchr (t, '.');
      gsize p_len = p_end != NULL ? (gsize) (p_end - p) : strlen (p);
      gsize t_len = t_end != NULL ? (gsize) (t_end - t) : strlen (t);

      if (p_len == 2 && p[0] == '*' && p[1] == '*')
        return TRUE;

      if (!(p_len == 1 && p[0] == '*') &&
          (p_len != t_len || memcmp (p, t, p_len) != 0))
        return FALSE;

      if (t_end == NULL)
        /* The topic ends: so must the pattern, or continue with "**". */
        return p_end == NULL || g_str_equal (p_end + 1, "**");

      if (p_end == NULL)
        return FALSE;

      p = p_end + 1;
      t = t_end + 1;
    }
}

/**
 * qi_handler_registry_add_handler: (skip)
 * @self: a #QiHandlerRegistry
 * @topic: the request topic
 * @session: the session that handles it
 * @data: (nullable): what the bus needs to call the handler
 * @destroy: (nullable): frees @data when the handler goes
 * @error: return location for a #GError
 *
 * Makes @session the handler of requests on @topic. On failure @data is not
 * taken: the caller still owns it.
 *
 * Returns: %TRUE on success; %FALSE with %QI_HUB_ERROR_HANDLER_EXISTS if
 *   the topic has a handler, or %QI_HUB_ERROR_BAD_MESSAGE if it is not a
 *   valid topic
 */
gboolean
qi_handler_registry_add_handler (QiHandlerRegistry  *self,
                                 const char         *topic,
                                 const char         *session,
                                 gpointer            data,
                                 GDestroyNotify      destroy,
                                 GError            **error)
{
  Handler *existing;
  Handler *handler;

  g_return_val_if_fail (QI_IS_HANDLER_REGISTRY (self), FALSE);
  g_return_val_if_fail (session != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!qi_handler_registry_check_topic (topic, error))
    return FALSE;

  existing = g_hash_table_lookup (self->handlers, topic);
  if (existing != NULL)
    {
      g_set_error (error, QI_HUB_ERROR, QI_HUB_ERROR_HANDLER_EXISTS,
                   _("the topic “%s” already has a handler, in the session “%s”"),
                   topic, existing->session);
      return FALSE;
    }

  handler = g_new0 (Handler, 1);
  handler->topic = g_strdup (topic);
  handler->session = g_strdup (session);
  handler->data = data;
  handler->destroy = destroy;
  g_hash_table_insert (self->handlers, handler->topic, handler);

  return TRUE;
}

/**
 * qi_handler_registry_remove_handler:
 * @self: a #QiHandlerRegistry
 * @topic: a request topic
 * @session: the session that handles it
 *
 * Removes the handler of @topic if @session owns it.
 *
 * Returns: %TRUE if a handler was removed
 */
gboolean
qi_handler_registry_remove_handler (QiHandlerRegistry *self,
                                    const char        *topic,
                                    const char        *session)
{
  Handler *handler;

  g_return_val_if_fail (QI_IS_HANDLER_REGISTRY (self), FALSE);
  g_return_val_if_fail (topic != NULL, FALSE);
  g_return_val_if_fail (session != NULL, FALSE);

  handler = g_hash_table_lookup (self->handlers, topic);
  if (handler == NULL || !g_str_equal (handler->session, session))
    return FALSE;

  g_hash_table_steal (self->handlers, topic);
  handler_free (handler);
  return TRUE;
}

/**
 * qi_handler_registry_lookup_handler: (skip)
 * @self: a #QiHandlerRegistry
 * @topic: a request topic
 * @session: (out) (optional) (transfer none) (nullable): the session that
 *   handles it
 *
 * Returns: (transfer none) (nullable): the data of the handler of @topic,
 *   %NULL if it has none (or its data is %NULL; see @session)
 */
gpointer
qi_handler_registry_lookup_handler (QiHandlerRegistry  *self,
                                    const char         *topic,
                                    const char        **session)
{
  Handler *handler;

  g_return_val_if_fail (QI_IS_HANDLER_REGISTRY (self), NULL);
  g_return_val_if_fail (topic != NULL, NULL);

  handler = g_hash_table_lookup (self->handlers, topic);
  if (session != NULL)
    *session = handler != NULL ? handler->session : NULL;

  return handler != NULL ? handler->data : NULL;
}

static Node *
node_child (Node       *node,
            const char *segment,
            gboolean    create)
{
  Node *child;

  if (node->children == NULL)
    {
      if (!create)
        return NULL;
      node->children = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, node_free);
    }

  child = g_hash_table_lookup (node->children, segment);
  if (child == NULL && create)
    {
      child = node_new (node, segment);
      g_hash_table_insert (node->children, child->segment, child);
    }

  return child;
}

/**
 * qi_handler_registry_subscribe: (skip)
 * @self: a #QiHandlerRegistry
 * @pattern: the pattern of the topics to receive
 * @session: the session that subscribes
 * @data: (nullable): what the bus needs to deliver to the subscriber
 * @destroy: (nullable): frees @data when the subscription goes
 * @error: return location for a #GError
 *
 * Subscribes @session to the events whose topics @pattern matches. On
 * failure @data is not taken.
 *
 * Returns: the id of the subscription, never 0; 0 with
 *   %QI_HUB_ERROR_BAD_MESSAGE if @pattern is not valid
 */
guint
qi_handler_registry_subscribe (QiHandlerRegistry  *self,
                               const char         *pattern,
                               const char         *session,
                               gpointer            data,
                               GDestroyNotify      destroy,
                               GError            **error)
{
  g_auto(GStrv) segments = NULL;
  Subscription *sub;
  Node *node;
  guint n;

  g_return_val_if_fail (QI_IS_HANDLER_REGISTRY (self), 0);
  g_return_val_if_fail (session != NULL, 0);
  g_return_val_if_fail (error == NULL || *error == NULL, 0);

  if (!qi_handler_registry_check_pattern (pattern, error))
    return 0;

  segments = g_strsplit (pattern, ".", -1);
  n = g_strv_length (segments);

  sub = g_new0 (Subscription, 1);
  /* Ids are small numbers a client sends back; after 2^32 of them they
   * wrap, so skip 0 and those still in use. The serial orders delivery. */
  do
    sub->id = ++self->last_id;
  while (sub->id == 0 ||
         g_hash_table_contains (self->subscriptions, GUINT_TO_POINTER (sub->id)));
  sub->serial = ++self->last_serial;
  sub->pattern = g_strdup (pattern);
  sub->session = g_strdup (session);
  sub->data = data;
  sub->destroy = destroy;
  sub->rest = g_str_equal (segments[n - 1], "**");

  node = self->root;
  for (guint i = 0; i < (sub->rest ? n - 1 : n); i++)
    node = node_child (node, segments[i], TRUE);
  sub->node = node;

  if (sub->rest)
    {
      if (node->rest == NULL)
        node->rest = g_ptr_array_new ();
      g_ptr_array_add (node->rest, sub);
    }
  else
    {
      if (node->exact == NULL)
        node->exact = g_ptr_array_new ();
      g_ptr_array_add (node->exact, sub);
    }

  g_hash_table_insert (self->subscriptions, GUINT_TO_POINTER (sub->id), sub);
  return sub->id;
}

/* Drops empty nodes from @node up, so that a registry that saw many
 * short-lived subscribers does not keep their branches. */
static void
prune (Node *node)
{
  while (node->parent != NULL &&
         (node->exact == NULL || node->exact->len == 0) &&
         (node->rest == NULL || node->rest->len == 0) &&
         (node->children == NULL || g_hash_table_size (node->children) == 0))
    {
      Node *parent = node->parent;

      g_hash_table_remove (parent->children, node->segment);
      if (g_hash_table_size (parent->children) == 0)
        g_clear_pointer (&parent->children, g_hash_table_unref);
      node = parent;
    }
}

static void
detach (QiHandlerRegistry *self,
        Subscription      *sub)
{
  GPtrArray *list = sub->rest ? sub->node->rest : sub->node->exact;

  /* Keep the order of the others: it is the order of delivery. */
  g_ptr_array_remove (list, sub);
  prune (sub->node);
}

/**
 * qi_handler_registry_unsubscribe:
 * @self: a #QiHandlerRegistry
 * @subscription: an id from qi_handler_registry_subscribe()
 * @session: the session that subscribed
 *
 * Ends a subscription of @session; another session's is left alone.
 *
 * Returns: %TRUE if the subscription existed, belonged to @session and is
 *   gone
 */
gboolean
qi_handler_registry_unsubscribe (QiHandlerRegistry *self,
                                 guint              subscription,
                                 const char        *session)
{
  Subscription *sub;

  g_return_val_if_fail (QI_IS_HANDLER_REGISTRY (self), FALSE);
  g_return_val_if_fail (session != NULL, FALSE);

  sub = g_hash_table_lookup (self->subscriptions, GUINT_TO_POINTER (subscription));
  if (sub == NULL || !g_str_equal (sub->session, session))
    return FALSE;

  detach (self, sub);
  g_hash_table_steal (self->subscriptions, GUINT_TO_POINTER (subscription));
  /* Its destroy notify may call back into the registry: now it may. */
  subscription_free (sub);
  return TRUE;
}

/* Removes the subscriptions of @session for which @pattern is NULL or
 * equal to theirs; frees them only once the registry is consistent, since
 * their destroy notifies may call back into it. */
static guint
remove_subscriptions (QiHandlerRegistry *self,
                      const char        *session,
                      const char        *pattern)
{
  g_autoptr(GPtrArray) removed = g_ptr_array_new_with_free_func (subscription_free);
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->subscriptions);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Subscription *sub = value;

      if (g_str_equal (sub->session, session) &&
          (pattern == NULL || g_str_equal (sub->pattern, pattern)))
        {
          detach (self, sub);
          g_hash_table_iter_steal (&iter);
          g_ptr_array_add (removed, sub);
        }
    }

  return removed->len;
}

/**
 * qi_handler_registry_unsubscribe_pattern:
 * @self: a #QiHandlerRegistry
 * @pattern: a pattern @session subscribed to
 * @session: the session that subscribed
 *
 * Ends every subscription of @session to @pattern, as the hub's
 * `hub.unsubscribe {pattern}` does.
 *
 * Returns: how many subscriptions ended
 */
guint
qi_handler_registry_unsubscribe_pattern (QiHandlerRegistry *self,
                                         const char        *pattern,
                                         const char        *session)
{
  g_return_val_if_fail (QI_IS_HANDLER_REGISTRY (self), 0);
  g_return_val_if_fail (pattern != NULL, 0);
  g_return_val_if_fail (session != NULL, 0);

  return remove_subscriptions (self, session, pattern);
}

static void
collect (Node        *node,
         char       **segments,
         guint        i,
         GPtrArray   *found)
{
  Node *child;

  /* "**" here matches what is left of the topic, nothing included. */
  if (node->rest != NULL)
    g_ptr_array_extend (found, node->rest, NULL, NULL);

  if (segments[i] == NULL)
    {
      if (node->exact != NULL)
        g_ptr_array_extend (found, node->exact, NULL, NULL);
      return;
    }

  if ((child = node_child (node, segments[i], FALSE)) != NULL)
    collect (child, segments, i + 1, found);
  if ((child = node_child (node, "*", FALSE)) != NULL)
    collect (child, segments, i + 1, found);
}

static int
compare_ids (gconstpointer a,
             gconstpointer b)
{
  const Subscription *sa = *(const Subscription **) a;
  const Subscription *sb = *(const Subscription **) b;

  return (sa->serial > sb->serial) - (sa->serial < sb->serial);
}

/**
 * qi_handler_registry_match: (skip)
 * @self: a #QiHandlerRegistry
 * @topic: an event topic
 *
 * Finds the subscriptions whose patterns match @topic.
 *
 * The data is borrowed: it stays valid until the registry next changes. A
 * bus that delivers to several subscribers, any of which may unsubscribe
 * another, must take its own references first.
 *
 * Returns: (transfer container): the data of each matching subscription,
 *   in the order they subscribed
 */
GPtrArray *
qi_handler_registry_match (QiHandlerRegistry *self,
                           const char        *topic)
{
  g_autoptr(GPtrArray) found = g_ptr_array_new ();
  g_auto(GStrv) segments = NULL;
  GPtrArray *data;

  g_return_val_if_fail (QI_IS_HANDLER_REGISTRY (self), NULL);
  g_return_val_if_fail (qi_message_topic_is_valid (topic), NULL);

  segments = g_strsplit (topic, ".", -1);
  collect (self->root, segments, 0, found);
  g_ptr_array_sort (found, compare_ids);

  data = g_ptr_array_sized_new (found->len);
  for (guint i = 0; i < found->len; i++)
    g_ptr_array_add (data, ((Subscription *) g_ptr_array_index (found, i))->data);

  return data;
}

/**
 * qi_handler_registry_remove_session:
 * @self: a #QiHandlerRegistry
 * @session: a session
 *
 * Removes every handler and subscription of @session, as when it closes.
 * The destroy notifies run once the registry no longer holds them, so they
 * may call back into it.
 */
void
qi_handler_registry_remove_session (QiHandlerRegistry *self,
                                    const char        *session)
{
  g_autoptr(GPtrArray) handlers = g_ptr_array_new_with_free_func (handler_free);
  GHashTableIter iter;
  gpointer value;

  g_return_if_fail (QI_IS_HANDLER_REGISTRY (self));
  g_return_if_fail (session != NULL);

  g_hash_table_iter_init (&iter, self->handlers);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (g_str_equal (((Handler *) value)->session, session))
      {
        g_hash_table_iter_steal (&iter);
        g_ptr_array_add (handlers, value);
      }

  remove_subscriptions (self, session, NULL);
}

/**
 * qi_handler_registry_get_n_handlers:
 * @self: a #QiHandlerRegistry
 *
 * Returns: the number of request topics with a handler
 */
guint
qi_handler_registry_get_n_handlers (QiHandlerRegistry *self)
{
  g_return_val_if_fail (QI_IS_HANDLER_REGISTRY (self), 0);

  return g_hash_table_size (self->handlers);
}

/**
 * qi_handler_registry_get_n_subscriptions:
 * @self: a #QiHandlerRegistry
 *
 * Returns: the number of subscriptions
 */
guint
qi_handler_registry_get_n_subscriptions (QiHandlerRegistry *self)
{
  g_return_val_if_fail (QI_IS_HANDLER_REGISTRY (self), 0);

  return g_hash_table_size (self->subscriptions);
}
