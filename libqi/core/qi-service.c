/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <gio/gio.h>

#include "qi-service.h"
#include "qi-enum-types.h"

/**
 * QiService:
 *
 * The base class of Qi's core services: the configuration manager, the CLI
 * manager and, as they arrive, the hub, the server, the addon, bundle and
 * database managers.
 *
 * A service has a unique name, a one-line description and a state. The
 * application object (#QiApplication) owns the services, starts them in the
 * order they were added and stops them in reverse order at shutdown.
 */

typedef struct
{
  char           *name;
  char           *description;
  char           *state_error;
  QiServiceState  state;
} QiServicePrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (QiService, qi_service, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_NAME,
  PROP_DESCRIPTION,
  PROP_STATE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static gboolean
qi_service_real_start (QiService  *self,
                       GError    **error)
{
  return TRUE;
}

static void
qi_service_real_stop (QiService *self)
{
}

static void
qi_service_set_state (QiService      *self,
                      QiServiceState  state)
{
  QiServicePrivate *priv = qi_service_get_instance_private (self);

  if (priv->state == state)
    return;

  priv->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

static void
qi_service_finalize (GObject *object)
{
  QiService *self = QI_SERVICE (object);
  QiServicePrivate *priv = qi_service_get_instance_private (self);

  g_clear_pointer (&priv->name, g_free);
  g_clear_pointer (&priv->description, g_free);
  g_clear_pointer (&priv->state_error, g_free);

  G_OBJECT_CLASS (qi_service_parent_class)->finalize (object);
}

static void
qi_service_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  QiService *self = QI_SERVICE (object);
  QiServicePrivate *priv = qi_service_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_NAME:
      g_value_set_string (value, priv->name);
      break;

    case PROP_DESCRIPTION:
      g_value_set_string (value, priv->description);
      break;

    case PROP_STATE:
      g_value_set_enum (value, priv->state);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
qi_service_set_property (GObject      *object,
                         guint         prop_id,
                         const GValue *value,
                         GParamSpec   *pspec)
{
  QiService *self = QI_SERVICE (object);
  QiServicePrivate *priv = qi_service_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_NAME:
      priv->name = g_value_dup_string (value);
      break;

    case PROP_DESCRIPTION:
      priv->description = g_value_dup_string (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
qi_service_constructed (GObject *object)
{
  QiService *self = QI_SERVICE (object);
  QiServicePrivate *priv = qi_service_get_instance_private (self);

  G_OBJECT_CLASS (qi_service_parent_class)->constructed (object);

  if (priv->name == NULL || priv->name[0] == '\0')
    g_critical ("%s created without a name; set the \"name\" property",
                G_OBJECT_TYPE_NAME (object));
}

static void
qi_service_class_init (QiServiceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = qi_service_constructed;
  object_class->finalize = qi_service_finalize;
  object_class->get_property = qi_service_get_property;
  object_class->set_property = qi_service_set_property;

  klass->start = qi_service_real_start;
  klass->stop = qi_service_real_stop;

  /**
   * QiService:name:
   *
   * The unique name of the service, such as "config" or "cli".
   */
  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL,
                         NULL,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_STATIC_STRINGS));

  /**
   * QiService:description:
   *
   * A one-line, translated description of what the service does.
   */
  properties[PROP_DESCRIPTION] =
    g_param_spec_string ("description", NULL, NULL,
                         NULL,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_STATIC_STRINGS));

  /**
   * QiService:state:
   *
   * Whether the service is stopped, running or failed to start.
   */
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL,
                       QI_TYPE_SERVICE_STATE,
                       QI_SERVICE_STATE_STOPPED,
                       (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY |
                        G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
qi_service_init (QiService *self)
{
}

/**
 * qi_service_get_name:
 * @self: a #QiService
 *
 * Returns: (transfer none): the unique name of the service
 */
const char *
qi_service_get_name (QiService *self)
{
  QiServicePrivate *priv;

  g_return_val_if_fail (QI_IS_SERVICE (self), NULL);

  priv = qi_service_get_instance_private (self);
  return priv->name;
}

/**
 * qi_service_get_description:
 * @self: a #QiService
 *
 * Returns: (transfer none) (nullable): the one-line description
 */
const char *
qi_service_get_description (QiService *self)
{
  QiServicePrivate *priv;

  g_return_val_if_fail (QI_IS_SERVICE (self), NULL);

  priv = qi_service_get_instance_private (self);
  return priv->description;
}

/**
 * qi_service_get_state:
 * @self: a #QiService
 *
 * Returns: the state of the service
 */
QiServiceState
qi_service_get_state (QiService *self)
{
  QiServicePrivate *priv;

  g_return_val_if_fail (QI_IS_SERVICE (self), QI_SERVICE_STATE_STOPPED);

  priv = qi_service_get_instance_private (self);
  return priv->state;
}

/**
 * qi_service_get_state_error:
 * @self: a #QiService
 *
 * Returns: (transfer none) (nullable): the message of the error that made the
 *   last start fail, or %NULL
 */
const char *
qi_service_get_state_error (QiService *self)
{
  QiServicePrivate *priv;

  g_return_val_if_fail (QI_IS_SERVICE (self), NULL);

  priv = qi_service_get_instance_private (self);
  return priv->state_error;
}

/**
 * qi_service_start:
 * @self: a #QiService
 * @error: return location for a #GError
 *
 * Starts the service. Starting a running service does nothing.
 *
 * Returns: %TRUE if the service runs, %FALSE with @error set otherwise
 */
gboolean
qi_service_start (QiService  *self,
                  GError    **error)
{
  QiServiceClass *klass;
  QiServicePrivate *priv;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (QI_IS_SERVICE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  priv = qi_service_get_instance_private (self);
  klass = QI_SERVICE_GET_CLASS (self);

  if (priv->state == QI_SERVICE_STATE_RUNNING)
    return TRUE;

  g_clear_pointer (&priv->state_error, g_free);

  if (klass->start != NULL && !klass->start (self, &local_error))
    {
      if (local_error == NULL)
        {
          /* A subclass bug; the service still counts as failed. */
          g_critical ("%s::start returned FALSE without setting an error",
                      G_OBJECT_TYPE_NAME (self));
          g_set_error (&local_error, G_IO_ERROR, G_IO_ERROR_FAILED,
                       "the %s service failed to start", priv->name);
        }
      priv->state_error = g_strdup (local_error->message);
      qi_service_set_state (self, QI_SERVICE_STATE_FAILED);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  qi_service_set_state (self, QI_SERVICE_STATE_RUNNING);
  return TRUE;
}

/**
 * qi_service_stop:
 * @self: a #QiService
 *
 * Stops a running service. Stopping a service that does not run does
 * nothing.
 */
void
qi_service_stop (QiService *self)
{
  QiServiceClass *klass;
  QiServicePrivate *priv;

  g_return_if_fail (QI_IS_SERVICE (self));

  priv = qi_service_get_instance_private (self);
  klass = QI_SERVICE_GET_CLASS (self);

  if (priv->state != QI_SERVICE_STATE_RUNNING)
    return;

  if (klass->stop != NULL)
    klass->stop (self);
  qi_service_set_state (self, QI_SERVICE_STATE_STOPPED);
}
