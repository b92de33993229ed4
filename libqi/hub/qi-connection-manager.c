/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "qi-connection-manager.h"
#include "qi-connection-manager-private.h"
#include "qi-hub-error.h"
#include "qi-session-private.h"

/**
 * QiConnectionManager:
 *
 * Owns the hub's sessions: in process and over a transport alike. Each
 * session is opened with a name and, optionally, a parent, which makes the
 * session tree: `__hub__`, `__hub__/addon/<name>`, `dcc/blender/<pid>`,
 * `ui/<window>`.
 *
 * A name is one or more segments of letters, digits, `_`, `-` and `.`
 * joined by `/`, at most 255 bytes. The id of a session is its name; when
 * an open session already has that name, the id is the name followed by
 * `#2`, `#3`, … so that ids stay unique while names can repeat.
 *
 * Names whose first segment is `__hub__` belong to the hub: the root
 * `__hub__` session is the message bus's own and cannot be closed but by
 * qi_connection_manager_close_all(), and `__hub__/…` sessions open only
 * below it, so that no one else can speak as the hub or one of its addons.
 *
 * Closing a session closes its children first, deepest first, then the
 * session; #QiConnectionManager::session-closed is emitted for each, which
 * is when the hub drops their handlers and subscriptions and fails the
 * requests they owed.
 */

typedef struct
{
  QiSession *session;
  GPtrArray *children;   /* of char *: ids, in open order */
} Entry;

struct _QiConnectionManager
{
  GObject     parent_instance;

  GHashTable *entries;   /* id -> Entry */
  GPtrArray  *order;     /* of QiSession, in open order */
  QiSession  *hub;       /* the protected root, not owned */
  gboolean    closing_all;
};

G_DEFINE_FINAL_TYPE (QiConnectionManager, qi_connection_manager, G_TYPE_OBJECT)

enum {
  SESSION_OPENED,
  SESSION_CLOSED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

#define MAX_NAME_LENGTH 255

static void
entry_free (gpointer data)
{
  Entry *entry = data;

  g_clear_object (&entry->session);
  g_clear_pointer (&entry->children, g_ptr_array_unref);
  g_free (entry);
}

static void
qi_connection_manager_dispose (GObject *object)
{
  QiConnectionManager *self = QI_CONNECTION_MANAGER (object);

  if (self->entries != NULL)
    qi_connection_manager_close_all (self);

  G_OBJECT_CLASS (qi_connection_manager_parent_class)->dispose (object);
}

static void
qi_connection_manager_finalize (GObject *object)
{
  QiConnectionManager *self = QI_CONNECTION_MANAGER (object);

  g_clear_pointer (&self->entries, g_hash_table_unref);
  g_clear_pointer (&self->order, g_ptr_array_unref);

  G_OBJECT_CLASS (qi_connection_manager_parent_class)->finalize (object);
}

static void
qi_connection_manager_class_init (QiConnectionManagerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = qi_connection_manager_dispose;
  object_class->finalize = qi_connection_manager_finalize;

  /**
   * QiConnectionManager::session-opened:
   * @self: the connection manager
   * @session: the session, open and with its id
   *
   * Emitted when a session opens.
   */
  signals[SESSION_OPENED] =
    g_signal_new ("session-opened",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, QI_TYPE_SESSION);

  /**
   * QiConnectionManager::session-closed:
   * @self: the connection manager
   * @session: the session, already closed; its id stays readable
   *
   * Emitted when a session closes, after its children.
   */
  signals[SESSION_CLOSED] =
    g_signal_new ("session-closed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, QI_TYPE_SESSION);
}

static void
qi_connection_manager_init (QiConnectionManager *self)
{
  self->entries = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, entry_free);
  self->order = g_ptr_array_new ();
}

/**
 * qi_connection_manager_new:
 *
 * Returns: (transfer full): a new #QiConnectionManager with no sessions
 */
QiConnectionManager *
qi_connection_manager_new (void)
{
  return g_object_new (QI_TYPE_CONNECTION_MANAGER, NULL);
}

static gboolean
check_name (const char  *name,
            GError     **error)
{
  const char *p = name;

  if (name == NULL || name[0] == '\0')
    {
      g_set_error_literal (error, QI_HUB_ERROR, QI_HUB_ERROR_BAD_MESSAGE,
                           _("the session name is empty"));
      return FALSE;
    }

  if (strlen (name) > MAX_NAME_LENGTH)
    {
      g_set_error (error, QI_HUB_ERROR, QI_HUB_ERROR_BAD_MESSAGE,
                   _("the session name is longer than %d bytes"), MAX_NAME_LENGTH);
      return FALSE;
    }

  while (*p != '\0')
    {
      const char *start = p;

      while (*p != '\0' && *p != '/')
        {
          if (!g_ascii_isalnum (*p) && *p != '_' && *p != '-' && *p != '.')
            {
              g_set_error (error, QI_HUB_ERROR, QI_HUB_ERROR_BAD_MESSAGE,
                           _("the session name “%s” may only hold letters, digits, “_”, “-”, “.” and “/”"),
                           g_utf8_validate (name, -1, NULL) ? name : "?");
              return FALSE;
            }
          p++;
        }

      if (p == start || (*p == '/' && p[1] == '\0'))
        {
          g_set_error (error, QI_HUB_ERROR, QI_HUB_ERROR_BAD_MESSAGE,
                       _("the session name “%s” has an empty segment"),
                       g_utf8_validate (name, -1, NULL) ? name : "?");
          return FALSE;
        }

      if (*p == '/')
        p++;
    }

  return TRUE;
}

static gboolean
is_hub_name (const char *name)
{
  return g_str_equal (name, QI_HUB_SESSION_NAME) ||
         g_str_has_prefix (name, QI_HUB_SESSION_NAME "/");
}

static const char *
open_internal (QiConnectionManager  *self,
               QiSession            *session,
               const char           *name,
               const char           *parent_id,
               gboolean              hub,
               GError              **error)
{
  g_autoptr(QiConnectionManager) hold = g_object_ref (self);
  g_autofree char *id = NULL;
  Entry *parent = NULL;
  Entry *entry;

  if (!check_name (name, error))
    return NULL;

  if (parent_id != NULL)
    {
      parent = g_hash_table_lookup (self->entries, parent_id);
      if (parent == NULL)
        {
          g_set_error (error, QI_HUB_ERROR, QI_HUB_ERROR_SESSION_CLOSED,
                       _("there is no open session “%s” to be the parent of “%s”"),
                       g_utf8_validate (parent_id, -1, NULL) ? parent_id : "?", name);
          return NULL;
        }
    }

  if (!hub && is_hub_name (name) &&
      (parent == NULL || !is_hub_name (qi_session_get_id (parent->session))))
    {
      g_set_error (error, QI_HUB_ERROR, QI_HUB_ERROR_FORBIDDEN,
                   _("the session name “%s” is reserved: names starting with “__hub__” "
                     "open only below the hub's session"), name);
      return NULL;
    }

  id = g_strdup (name);
  for (guint n = 2; g_hash_table_contains (self->entries, id); n++)
    {
      g_free (id);
      id = g_strdup_printf ("%s#%u", name, n);
    }

  /* Nobody hears of the session before the manager holds it. */
  g_object_freeze_notify (G_OBJECT (session));
  qi_session_set_opened (session, id, parent_id);

  entry = g_new0 (Entry, 1);
  entry->session = g_object_ref (session);
  entry->children = g_ptr_array_new_with_free_func (g_free);
  /* The key is the session's own copy of its id, which lives as long as
   * the entry's reference. */
  g_assert (!g_hash_table_contains (self->entries, id));
  g_hash_table_insert (self->entries, (gpointer) qi_session_get_id (session), entry);
  g_ptr_array_add (self->order, session);
  if (parent != NULL)
    g_ptr_array_add (parent->children, g_strdup (id));
  if (hub)
    self->hub = session;

  g_debug ("Session “%s” opened%s%s", id, parent_id != NULL ? " below " : "",
           parent_id != NULL ? parent_id : "");
  g_object_thaw_notify (G_OBJECT (session));
  g_signal_emit (self, signals[SESSION_OPENED], 0, session);

  return qi_session_get_id (session);
}

/**
 * qi_connection_manager_open_session:
 * @self: a #QiConnectionManager
 * @session: a session that was never opened
 * @name: the name it asks for, such as `dcc/blender/4242`
 * @parent_id: (nullable): the id of an open session to be its parent
 * @error: return location for a #GError
 *
 * Opens @session under a unique id, in the tree below @parent_id.
 *
 * Returns: (transfer none) (nullable): the id of the session; %NULL with
 *   %QI_HUB_ERROR_BAD_MESSAGE for a bad name, %QI_HUB_ERROR_FORBIDDEN for a
 *   name reserved to the hub, or %QI_HUB_ERROR_SESSION_CLOSED if
 *   @parent_id is not an open session
 */
const char *
qi_connection_manager_open_session (QiConnectionManager  *self,
                                    QiSession            *session,
                                    const char           *name,
                                    const char           *parent_id,
                                    GError              **error)
{
  g_return_val_if_fail (QI_IS_CONNECTION_MANAGER (self), NULL);
  g_return_val_if_fail (QI_IS_SESSION (session), NULL);
  g_return_val_if_fail (qi_session_get_id (session) == NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return open_internal (self, session, name, parent_id, FALSE, error);
}

void
qi_connection_manager_open_hub_session (QiConnectionManager *self,
                                        QiSession           *session)
{
  g_autoptr(GError) error = NULL;

  g_assert (self->hub == NULL);
  open_internal (self, session, QI_HUB_SESSION_NAME, NULL, TRUE, &error);
  g_assert_no_error (error);
  g_assert (g_str_equal (qi_session_get_id (session), QI_HUB_SESSION_NAME));
}

static gboolean
str_equal_func (gconstpointer a,
                gconstpointer b)
{
  return g_str_equal (a, b);
}

/**
 * qi_connection_manager_close_session:
 * @self: a #QiConnectionManager
 * @id: the id of an open session
 *
 * Closes the children of the session, deepest first, then the session
 * itself, emitting #QiConnectionManager::session-closed for each. The
 * hub's own session is not closed this way.
 *
 * Returns: %TRUE if the session was open and is closed
 */
gboolean
qi_connection_manager_close_session (QiConnectionManager *self,
                                     const char          *id)
{
  g_autoptr(QiConnectionManager) hold = NULL;
  g_autoptr(QiSession) session = NULL;
  g_autofree char *parent_id = NULL;
  Entry *entry;

  g_return_val_if_fail (QI_IS_CONNECTION_MANAGER (self), FALSE);
  g_return_val_if_fail (id != NULL, FALSE);

  entry = g_hash_table_lookup (self->entries, id);
  if (entry == NULL)
    return FALSE;

  /* The hub's own session goes only with everything else. */
  if (entry->session == self->hub && !self->closing_all)
    return FALSE;

  /* A session-closed handler may drop the last reference to the manager. */
  hold = g_object_ref (self);

  session = g_object_ref (entry->session);

  /* Children first; a handler of session-closed may close more, so look
   * the entry up again each time. */
  for (;;)
    {
      g_autofree char *child = NULL;

      entry = g_hash_table_lookup (self->entries, qi_session_get_id (session));
      if (entry == NULL)
        return TRUE;   /* closed by a handler meanwhile */
      if (entry->children->len == 0)
        break;
      child = g_strdup (g_ptr_array_index (entry->children, entry->children->len - 1));
      if (!qi_connection_manager_close_session (self, child))
        g_ptr_array_remove_index (entry->children, entry->children->len - 1);
    }

  parent_id = g_strdup (qi_session_get_parent_id (session));
  if (parent_id != NULL)
    {
      Entry *parent = g_hash_table_lookup (self->entries, parent_id);
      guint index;

      if (parent != NULL &&
          g_ptr_array_find_with_equal_func (parent->children, qi_session_get_id (session),
                                            str_equal_func, &index))
        g_ptr_array_remove_index (parent->children, index);
    }

  g_ptr_array_remove (self->order, session);
  g_hash_table_remove (self->entries, qi_session_get_id (session));
  if (session == self->hub)
    self->hub = NULL;
  qi_session_set_closed (session);

  g_debug ("Session “%s” closed", qi_session_get_id (session));
  g_signal_emit (self, signals[SESSION_CLOSED], 0, session);

  return TRUE;
}

/**
 * qi_connection_manager_close_all:
 * @self: a #QiConnectionManager
 *
 * Closes every session, as at shutdown.
 */
void
qi_connection_manager_close_all (QiConnectionManager *self)
{
  g_autoptr(QiConnectionManager) hold = NULL;

  g_return_if_fail (QI_IS_CONNECTION_MANAGER (self));

  hold = g_object_ref (self);
  self->closing_all = TRUE;
  /* Last opened first: children before their parents, the hub last. */
  while (self->order->len > 0)
    {
      g_autofree char *id = g_strdup (qi_session_get_id (g_ptr_array_index (self->order, self->order->len - 1)));

      qi_connection_manager_close_session (self, id);
    }
  self->closing_all = FALSE;
}

/**
 * qi_connection_manager_lookup_session:
 * @self: a #QiConnectionManager
 * @id: a session id
 *
 * Returns: (transfer none) (nullable): the open session of that id, or %NULL
 */
QiSession *
qi_connection_manager_lookup_session (QiConnectionManager *self,
                                      const char          *id)
{
  Entry *entry;

  g_return_val_if_fail (QI_IS_CONNECTION_MANAGER (self), NULL);
  g_return_val_if_fail (id != NULL, NULL);

  entry = g_hash_table_lookup (self->entries, id);
  return entry != NULL ? entry->session : NULL;
}

/**
 * qi_connection_manager_list_sessions:
 * @self: a #QiConnectionManager
 *
 * Returns: (transfer container) (element-type QiSession): the open
 *   sessions, in the order they opened; with their parent ids they make the
 *   session tree
 */
GPtrArray *
qi_connection_manager_list_sessions (QiConnectionManager *self)
{
  GPtrArray *sessions;

  g_return_val_if_fail (QI_IS_CONNECTION_MANAGER (self), NULL);

  sessions = g_ptr_array_new_full (self->order->len, g_object_unref);
  for (guint i = 0; i < self->order->len; i++)
    g_ptr_array_add (sessions, g_object_ref (g_ptr_array_index (self->order, i)));

  return sessions;
}

/**
 * qi_connection_manager_list_children:
 * @self: a #QiConnectionManager
 * @id: the id of an open session
 *
 * Returns: (transfer container) (element-type QiSession) (nullable): the
 *   open children of the session, in the order they opened; %NULL if @id is
 *   not open
 */
GPtrArray *
qi_connection_manager_list_children (QiConnectionManager *self,
                                     const char          *id)
{
  GPtrArray *children;
  Entry *entry;

  g_return_val_if_fail (QI_IS_CONNECTION_MANAGER (self), NULL);
  g_return_val_if_fail (id != NULL, NULL);

  entry = g_hash_table_lookup (self->entries, id);
  if (entry == NULL)
    return NULL;

  children = g_ptr_array_new_full (entry->children->len, g_object_unref);
  for (guint i = 0; i < entry->children->len; i++)
    {
      QiSession *child = qi_connection_manager_lookup_session (self, g_ptr_array_index (entry->children, i));

      if (child != NULL)
        g_ptr_array_add (children, g_object_ref (child));
    }

  return children;
}

/**
 * qi_connection_manager_get_n_sessions:
 * @self: a #QiConnectionManager
 *
 * Returns: the number of open sessions
 */
guint
qi_connection_manager_get_n_sessions (QiConnectionManager *self)
{
  g_return_val_if_fail (QI_IS_CONNECTION_MANAGER (self), 0);

  return g_hash_table_size (self->entries);
}
