/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "qi-token.h"

/**
 * QiToken:
 *
 * The claims of a token that #QiTokenAuthority verified: the session it
 * was issued for, that session's parent, its scopes and its expiry.
 *
 * A #QiToken is immutable.
 */

struct _QiToken
{
  GObject   parent_instance;

  char     *session;
  char     *parent;
  GStrv     scopes;
  gint64    expires_at;
};

G_DEFINE_FINAL_TYPE (QiToken, qi_token, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_SESSION,
  PROP_PARENT,
  PROP_SCOPES,
  PROP_EXPIRES_AT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
qi_token_get_property (GObject    *object,
                       guint       prop_id,
                       GValue     *value,
                       GParamSpec *pspec)
{
  QiToken *self = QI_TOKEN (object);

  switch (prop_id)
    {
    case PROP_SESSION:
      g_value_set_string (value, self->session);
      break;
    case PROP_PARENT:
      g_value_set_string (value, self->parent);
      break;
    case PROP_SCOPES:
      g_value_set_boxed (value, self->scopes);
      break;
    case PROP_EXPIRES_AT:
      g_value_set_int64 (value, self->expires_at);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
qi_token_set_property (GObject      *object,
                       guint         prop_id,
                       const GValue *value,
                       GParamSpec   *pspec)
{
  QiToken *self = QI_TOKEN (object);

  switch (prop_id)
    {
    case PROP_SESSION:
      self->session = g_value_dup_string (value);
      break;
    case PROP_PARENT:
      self->parent = g_value_dup_string (value);
      break;
    case PROP_SCOPES:
      self->scopes = g_value_dup_boxed (value);
      break;
    case PROP_EXPIRES_AT:
      self->expires_at = g_value_get_int64 (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
qi_token_finalize (GObject *object)
{
  QiToken *self = QI_TOKEN (object);

  g_free (self->session);
  g_free (self->parent);
  g_strfreev (self->scopes);

  G_OBJECT_CLASS (qi_token_parent_class)->finalize (object);
}

static void
qi_token_class_init (QiTokenClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = qi_token_get_property;
  object_class->set_property = qi_token_set_property;
  object_class->finalize = qi_token_finalize;

  /**
   * QiToken:session:
   *
   * The name of the session the token was issued for, such as
   * `ui/launcher` or `tool/qi-cli`.
   */
  properties[PROP_SESSION] =
    g_param_spec_string ("session", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * QiToken:parent:
   *
   * The id of the session the token's session opens below, or %NULL.
   */
  properties[PROP_PARENT] =
    g_param_spec_string ("parent", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * QiToken:scopes:
   *
   * What the token allows, such as %QI_TOKEN_SCOPE_HUB.
   */
  properties[PROP_SCOPES] =
    g_param_spec_boxed ("scopes", NULL, NULL, G_TYPE_STRV,
                        G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * QiToken:expires-at:
   *
   * When the token expires, in seconds since the Unix epoch.
   */
  properties[PROP_EXPIRES_AT] =
    g_param_spec_int64 ("expires-at", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
qi_token_init (QiToken *self)
{
}

/**
 * qi_token_get_session:
 * @self: a #QiToken
 *
 * Returns: (transfer none): the name of the session the token is for
 */
const char *
qi_token_get_session (QiToken *self)
{
  g_return_val_if_fail (QI_IS_TOKEN (self), NULL);

  return self->session;
}

/**
 * qi_token_get_parent:
 * @self: a #QiToken
 *
 * Returns: (transfer none) (nullable): the id of the parent session
 */
const char *
qi_token_get_parent (QiToken *self)
{
  g_return_val_if_fail (QI_IS_TOKEN (self), NULL);

  return self->parent;
}

/**
 * qi_token_get_scopes:
 * @self: a #QiToken
 *
 * Returns: (transfer none) (array zero-terminated=1): the token's scopes
 */
const char * const *
qi_token_get_scopes (QiToken *self)
{
  static const char * const none[] = { NULL };

  g_return_val_if_fail (QI_IS_TOKEN (self), NULL);

  return self->scopes != NULL ? (const char * const *) self->scopes : none;
}

/**
 * qi_token_has_scope:
 * @self: a #QiToken
 * @scope: a scope, such as %QI_TOKEN_SCOPE_API
 *
 * Returns: %TRUE if the token allows @scope
 */
gboolean
qi_token_has_scope (QiToken    *self,
                    const char *scope)
{
  g_return_val_if_fail (QI_IS_TOKEN (self), FALSE);
  g_return_val_if_fail (scope != NULL, FALSE);

  return self->scopes != NULL && g_strv_contains ((const char * const *) self->scopes, scope);
}

/**
 * qi_token_get_expires_at:
 * @self: a #QiToken
 *
 * Returns: the expiry, in seconds since the Unix epoch
 */
gint64
qi_token_get_expires_at (QiToken *self)
{
  g_return_val_if_fail (QI_IS_TOKEN (self), 0);

  return self->expires_at;
}
