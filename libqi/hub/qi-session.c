/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "qi-session.h"
#include "qi-session-private.h"

/**
 * QiSession:
 *
 * One party on the hub: the hub itself (`__hub__`), an addon
 * (`__hub__/addon/<name>`), a DCC (`dcc/blender/<pid>`), a UI window
 * (`ui/<window>`). A session gets its id and its place in the session tree
 * from the #QiConnectionManager that opens it, and keeps them until it is
 * closed. In-process sessions receive their messages through the
 * #QiSession::message signal; sessions over a transport override the
 * `deliver` and `closed` vfuncs.
 */

typedef struct
{
  char     *id;
  char     *parent_id;
  gboolean  open;
} QiSessionPrivate;

G_DEFINE_TYPE_WITH_PRIVATE (QiSession, qi_session, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ID,
  PROP_PARENT_ID,
  PROP_OPEN,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  MESSAGE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
qi_session_real_deliver (QiSession *self,
                         QiMessage *message)
{
  g_signal_emit (self, signals[MESSAGE], 0, message);
}

static void
qi_session_real_closed (QiSession *self)
{
}

static void
qi_session_finalize (GObject *object)
{
  QiSession *self = QI_SESSION (object);
  QiSessionPrivate *priv = qi_session_get_instance_private (self);

  g_clear_pointer (&priv->id, g_free);
  g_clear_pointer (&priv->parent_id, g_free);

  G_OBJECT_CLASS (qi_session_parent_class)->finalize (object);
}

static void
qi_session_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  QiSession *self = QI_SESSION (object);
  QiSessionPrivate *priv = qi_session_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_string (value, priv->id);
      break;

    case PROP_PARENT_ID:
      g_value_set_string (value, priv->parent_id);
      break;

    case PROP_OPEN:
      g_value_set_boolean (value, priv->open);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
qi_session_class_init (QiSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = qi_session_finalize;
  object_class->get_property = qi_session_get_property;

  klass->deliver = qi_session_real_deliver;
  klass->closed = qi_session_real_closed;

  /**
   * QiSession:id:
   *
   * The id the connection manager gave the session, %NULL before it opens.
   */
  properties[PROP_ID] =
    g_param_spec_string ("id", NULL, NULL, NULL,
                         (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * QiSession:parent-id:
   *
   * The id of the parent session, %NULL for a root of the session tree.
   */
  properties[PROP_PARENT_ID] =
    g_param_spec_string ("parent-id", NULL, NULL, NULL,
                         (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * QiSession:open:
   *
   * Whether the session is open: opened by a connection manager and not
   * closed since.
   */
  properties[PROP_OPEN] =
    g_param_spec_boolean ("open", NULL, NULL, FALSE,
                          (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * QiSession::message:
   * @self: the session
   * @message: the message delivered to it
   *
   * Emitted by the default `deliver` vfunc: how an in-process session
   * receives its messages.
   */
  signals[MESSAGE] =
    g_signal_new ("message",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, QI_TYPE_MESSAGE | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static void
qi_session_init (QiSession *self)
{
}

/**
 * qi_session_new:
 *
 * Creates an in-process session, to be opened with
 * qi_connection_manager_open_session().
 *
 * Returns: (transfer full): a new #QiSession
 */
QiSession *
qi_session_new (void)
{
  return g_object_new (QI_TYPE_SESSION, NULL);
}

/**
 * qi_session_get_id:
 * @self: a #QiSession
 *
 * Returns: (transfer none) (nullable): the id of the session, %NULL before
 *   it was opened
 */
const char *
qi_session_get_id (QiSession *self)
{
  QiSessionPrivate *priv;

  g_return_val_if_fail (QI_IS_SESSION (self), NULL);

  priv = qi_session_get_instance_private (self);
  return priv->id;
}

/**
 * qi_session_get_parent_id:
 * @self: a #QiSession
 *
 * Returns: (transfer none) (nullable): the id of the parent session, %NULL
 *   for a root
 */
const char *
qi_session_get_parent_id (QiSession *self)
{
  QiSessionPrivate *priv;

  g_return_val_if_fail (QI_IS_SESSION (self), NULL);

  priv = qi_session_get_instance_private (self);
  return priv->parent_id;
}

/**
 * qi_session_is_open:
 * @self: a #QiSession
 *
 * Returns: whether the session is open
 */
gboolean
qi_session_is_open (QiSession *self)
{
  QiSessionPrivate *priv;

  g_return_val_if_fail (QI_IS_SESSION (self), FALSE);

  priv = qi_session_get_instance_private (self);
  return priv->open;
}

/**
 * qi_session_deliver:
 * @self: a #QiSession
 * @message: a message for the session
 *
 * Hands @message to the session's peer. A closed session drops it.
 */
void
qi_session_deliver (QiSession *self,
                    QiMessage *message)
{
  QiSessionPrivate *priv;

  g_return_if_fail (QI_IS_SESSION (self));
  g_return_if_fail (message != NULL);

  priv = qi_session_get_instance_private (self);
  if (!priv->open || QI_SESSION_GET_CLASS (self)->deliver == NULL)
    return;

  QI_SESSION_GET_CLASS (self)->deliver (self, message);
}

void
qi_session_set_opened (QiSession  *self,
                       const char *id,
                       const char *parent_id)
{
  QiSessionPrivate *priv = qi_session_get_instance_private (self);

  g_assert (!priv->open && priv->id == NULL);

  priv->id = g_strdup (id);
  priv->parent_id = g_strdup (parent_id);
  priv->open = TRUE;

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ID]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PARENT_ID]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OPEN]);
}

void
qi_session_set_closed (QiSession *self)
{
  QiSessionPrivate *priv = qi_session_get_instance_private (self);

  if (!priv->open)
    return;

  priv->open = FALSE;
  if (QI_SESSION_GET_CLASS (self)->closed != NULL)
    QI_SESSION_GET_CLASS (self)->closed (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OPEN]);
}
