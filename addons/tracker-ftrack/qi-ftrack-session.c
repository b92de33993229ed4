/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>
#include <libsoup/soup.h>

#include "qi-ftrack-session.h"

/**
 * QiFtrackSession:
 *
 * A client of ftrack's JSON API, for the ftrack tracker adapter: each call
 * is one `POST {server}/api` of a JSON list of operations (`query`,
 * `create`, `update`, `delete`, `query_schemas`,
 * `query_server_information`…) with the headers `ftrack-user` and
 * `ftrack-api-key`, answered by a list of results in the same order.
 *
 * - A 5xx answer or a transport failure (refused connection, timeout) is
 *   tried again, after 250 ms, then twice as long each time, four tries
 *   in all (#QiFtrackSession:max-attempts, #QiFtrackSession:retry-delay-ms).
 * - 401 and 403 are %QI_FTRACK_ERROR_AUTH with a message a person can act
 *   on; an operation the server refuses (`{"exception": …, "content": …}`)
 *   is %QI_FTRACK_ERROR_QUERY with what the server said.
 * - Results are decoded (qi_ftrack_decode()): datetimes
 *   `{"__type__": "datetime", "value": …}` become their ISO 8601 text, and
 *   an entity that the server sent in full once and as a bare reference
 *   elsewhere (it does so in nested projections) is filled in everywhere.
 *
 * Expressions use ftrack's query language, values quoted with
 * qi_ftrack_quote(): `select name from Task where project.name is "demo"`.
 */

struct _QiFtrackSession
{
  GObject      parent_instance;

  GMutex       lock;       /* around the credentials: a login changes them */
  char        *server;     /* https://studio.ftrackapp.com, no trailing /; NULL until logged in */
  char        *api_url;    /* server + /api */
  char        *api_user;
  char        *api_key;
  SoupSession *soup;
  guint        max_attempts;
  guint        retry_delay_ms;
};

G_DEFINE_FINAL_TYPE (QiFtrackSession, qi_ftrack_session, G_TYPE_OBJECT)

G_DEFINE_QUARK (qi-ftrack-error-quark, qi_ftrack_error)

enum {
  PROP_0,
  PROP_MAX_ATTEMPTS,
  PROP_RETRY_DELAY_MS,
  PROP_TIMEOUT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
qi_ftrack_session_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  QiFtrackSession *self = QI_FTRACK_SESSION (object);

  switch (prop_id)
    {
    case PROP_MAX_ATTEMPTS:
      g_value_set_uint (value, self->max_attempts);
      break;
    case PROP_RETRY_DELAY_MS:
      g_value_set_uint (value, self->retry_delay_ms);
      break;
    case PROP_TIMEOUT:
      g_value_set_uint (value, soup_session_get_timeout (self->soup));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
qi_ftrack_session_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  QiFtrackSession *self = QI_FTRACK_SESSION (object);

  switch (prop_id)
    {
    case PROP_MAX_ATTEMPTS:
      self->max_attempts = MAX (1, g_value_get_uint (value));
      break;
    case PROP_RETRY_DELAY_MS:
      self->retry_delay_ms = g_value_get_uint (value);
      break;
    case PROP_TIMEOUT:
      soup_session_set_timeout (self->soup, g_value_get_uint (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
qi_ftrack_session_finalize (GObject *object)
{
  QiFtrackSession *self = QI_FTRACK_SESSION (object);

  g_free (self->server);
  g_free (self->api_url);
  g_free (self->api_user);
  if (self->api_key != NULL)
    explicit_bzero (self->api_key, strlen (self->api_key));
  g_free (self->api_key);
  g_clear_object (&self->soup);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (qi_ftrack_session_parent_class)->finalize (object);
}

static void
qi_ftrack_session_class_init (QiFtrackSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = qi_ftrack_session_get_property;
  object_class->set_property = qi_ftrack_session_set_property;
  object_class->finalize = qi_ftrack_session_finalize;

  /**
   * QiFtrackSession:max-attempts:
   *
   * How many times a call is tried when the server fails (5xx) or cannot
   * be reached, the first time included.
   */
  properties[PROP_MAX_ATTEMPTS] =
    g_param_spec_uint ("max-attempts", NULL, NULL, 1, 100, 4,
                       G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * QiFtrackSession:retry-delay-ms:
   *
   * The wait before the first retry; each next one waits twice as long.
   */
  properties[PROP_RETRY_DELAY_MS] =
    g_param_spec_uint ("retry-delay-ms", NULL, NULL, 0, 60000, 250,
                       G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * QiFtrackSession:timeout:
   *
   * Seconds without an answer after which a try fails (and is retried).
   */
  properties[PROP_TIMEOUT] =
    g_param_spec_uint ("timeout", NULL, NULL, 1, 3600, 60,
                       G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
qi_ftrack_session_init (QiFtrackSession *self)
{
  g_mutex_init (&self->lock);
  self->max_attempts = 4;
  self->retry_delay_ms = 250;
  /* libsoup's default of 2 connections per host would queue the hub's
   * concurrent calls behind one slow answer; ftrack's own Python API
   * opens as many as it has requests */
  self->soup = soup_session_new_with_options ("timeout", 60, "user-agent", "Qi/" PACKAGE_VERSION,
                                              "max-conns", 64, "max-conns-per-host", 32, NULL);
}

/**
 * qi_ftrack_session_new:
 * @server: the ftrack server, such as `https://studio.ftrackapp.com`
 * @api_user: the API user (an ftrack user name)
 * @api_key: the user's API key
 * @error: return location for a #GError
 *
 * Returns: (transfer full): a session, or %NULL with
 *   %QI_FTRACK_ERROR_INVALID for a server that is not an http(s) URL or an
 *   empty user or key. Nothing is sent until the first call.
 */
QiFtrackSession *
qi_ftrack_session_new (const char  *server,
                       const char  *api_user,
                       const char  *api_key,
                       GError     **error)
{
  g_autoptr(QiFtrackSession) self = NULL;

  g_return_val_if_fail (server != NULL, NULL);
  g_return_val_if_fail (api_user != NULL, NULL);
  g_return_val_if_fail (api_key != NULL, NULL);

  self = qi_ftrack_session_new_logged_out ();
  if (!qi_ftrack_session_set_credentials (self, server, api_user, api_key, error))
    return NULL;
  return g_steal_pointer (&self);
}

/**
 * qi_ftrack_session_new_logged_out:
 *
 * Creates a session without credentials: its calls fail with
 * %QI_FTRACK_ERROR_AUTH until qi_ftrack_session_set_credentials() gives
 * it some (the ftrack login does, once ftrack took them).
 *
 * Returns: (transfer full): a new #QiFtrackSession
 */
QiFtrackSession *
qi_ftrack_session_new_logged_out (void)
{
  return g_object_new (QI_TYPE_FTRACK_SESSION, NULL);
}

/**
 * qi_ftrack_session_check_credentials:
 * @server: an ftrack server's address
 * @api_user: an API user
 * @api_key: its API key
 * @error: return location for a #GError
 *
 * Returns: %TRUE if @server is an http(s) address and neither @api_user
 *   nor @api_key is empty; %FALSE with %QI_FTRACK_ERROR_INVALID otherwise
 */
gboolean
qi_ftrack_session_check_credentials (const char  *server,
                                     const char  *api_user,
                                     const char  *api_key,
                                     GError     **error)
{
  g_autoptr(GUri) uri = g_uri_parse (server, G_URI_FLAGS_NONE, NULL);

  if (uri == NULL || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0' ||
      (g_strcmp0 (g_uri_get_scheme (uri), "https") != 0 && g_strcmp0 (g_uri_get_scheme (uri), "http") != 0))
    {
      g_set_error (error, QI_FTRACK_ERROR, QI_FTRACK_ERROR_INVALID,
                   _("“%s” is not an ftrack server: give its https:// address, such as "
                     "https://studio.ftrackapp.com"), server);
      return FALSE;
    }
  if (*api_user == '\0' || *api_key == '\0')
    {
      g_set_error (error, QI_FTRACK_ERROR, QI_FTRACK_ERROR_INVALID,
                   *api_user == '\0' ? _("the ftrack API user is empty") : _("the ftrack API key is empty"));
      return FALSE;
    }
  return TRUE;
}

/**
 * qi_ftrack_session_set_credentials:
 * @self: a #QiFtrackSession
 * @server: the server's address, such as `https://studio.ftrackapp.com`
 * @api_user: the API user
 * @api_key: the API key
 * @error: return location for a #GError
 *
 * Gives the session the credentials its calls send from now on; the calls
 * already on their way keep theirs.
 *
 * Returns: %TRUE, or %FALSE (%QI_FTRACK_ERROR_INVALID, see
 *   qi_ftrack_session_check_credentials()) leaving the session as it was
 */
gboolean
qi_ftrack_session_set_credentials (QiFtrackSession  *self,
                                   const char       *server,
                                   const char       *api_user,
                                   const char       *api_key,
                                   GError          **error)
{
  gsize length;

  g_return_val_if_fail (QI_IS_FTRACK_SESSION (self), FALSE);
  g_return_val_if_fail (server != NULL && api_user != NULL && api_key != NULL, FALSE);

  if (!qi_ftrack_session_check_credentials (server, api_user, api_key, error))
    return FALSE;
  length = strlen (server);
  while (length > 0 && server[length - 1] == '/')
    length--;
  g_mutex_lock (&self->lock);
  g_free (self->server);
  self->server = g_strndup (server, length);
  g_free (self->api_url);
  self->api_url = g_strconcat (self->server, "/api", NULL);
  g_free (self->api_user);
  self->api_user = g_strdup (api_user);
  if (self->api_key != NULL)
    explicit_bzero (self->api_key, strlen (self->api_key));
  g_free (self->api_key);
  self->api_key = g_strdup (api_key);
  g_mutex_unlock (&self->lock);
  return TRUE;
}

/**
 * qi_ftrack_session_dup_api_user:
 * @self: a #QiFtrackSession
 *
 * Returns: (transfer full) (nullable): the API user of its calls, or
 *   %NULL before it was given credentials
 */
char *
qi_ftrack_session_dup_api_user (QiFtrackSession *self)
{
  char *user;

  g_return_val_if_fail (QI_IS_FTRACK_SESSION (self), NULL);

  g_mutex_lock (&self->lock);
  user = g_strdup (self->api_user);
  g_mutex_unlock (&self->lock);
  return user;
}

/**
 * qi_ftrack_session_dup_server:
 * @self: a #QiFtrackSession
 *
 * Returns: (transfer full) (nullable): the server's address, without a
 *   trailing `/`, or %NULL before the session was given credentials
 */
char *
qi_ftrack_session_dup_server (QiFtrackSession *self)
{
  char *server;

  g_return_val_if_fail (QI_IS_FTRACK_SESSION (self), NULL);

  g_mutex_lock (&self->lock);
  server = g_strdup (self->server);
  g_mutex_unlock (&self->lock);
  return server;
}

/* Calls. */

typedef struct
{
  char         *server;        /* the credentials when the call began */
  char         *api_url;       /* of an upload: the URL it goes to */
  char         *api_user;
  char         *api_key;
  GBytes       *body;          /* the operations, as sent; an upload's bytes */
  JsonObject   *headers;       /* an upload's headers; NULL for a call */
  guint         attempt;       /* tries made */
  char         *summary;       /* "query_server_information", for messages */
  char         *brief;         /* the same, queries by entity type only */
  GSource      *wait;          /* the backoff before the next try */
  GCancellable *cancellable;   /* the task's, while connected */
  gulong        cancelled_id;
} Call;

static void
call_free (gpointer data)
{
  Call *call = data;

  if (call->cancelled_id != 0)
    g_cancellable_disconnect (call->cancellable, call->cancelled_id);
  g_clear_object (&call->cancellable);
  if (call->wait != NULL)
    {
      g_source_destroy (call->wait);
      g_source_unref (call->wait);
    }
  g_free (call->server);
  g_free (call->api_url);
  g_free (call->api_user);
  if (call->api_key != NULL)
    explicit_bzero (call->api_key, strlen (call->api_key));
  g_free (call->api_key);
  g_bytes_unref (call->body);
  g_clear_pointer (&call->headers, json_object_unref);
  g_free (call->summary);
  g_free (call->brief);
  g_free (call);
}

static void send_once (GTask *task);

static gboolean
retry (gpointer data)
{
  GTask *task = data;
  Call *call = g_task_get_task_data (task);

  g_clear_pointer (&call->wait, g_source_unref);
  if (g_task_return_error_if_cancelled (task))
    {
      g_object_unref (task);
      return G_SOURCE_REMOVE;
    }
  send_once (task);
  return G_SOURCE_REMOVE;
}

/* A cancel during the backoff ends the wait at once. */
static void
on_cancelled_while_waiting (GCancellable *cancellable,
                            gpointer      data)
{
  GTask *task = data;
  Call *call = g_task_get_task_data (task);

  if (call->wait != NULL)
    g_source_set_ready_time (call->wait, 0);
}

/* Tries again after the backoff, or fails with @reason. */
static void
retry_or_fail (GTask      *task,
               const char *reason)
{
  QiFtrackSession *self = g_task_get_source_object (task);
  Call *call = g_task_get_task_data (task);

  if (g_task_return_error_if_cancelled (task))
    {
      g_object_unref (task);
      return;
    }
  if (call->attempt < self->max_attempts)
    {
      guint delay = self->retry_delay_ms << MIN (call->attempt - 1, 10u);
      GCancellable *cancellable = g_task_get_cancellable (task);

      g_debug ("ftrack %s: %s; trying again in %u ms (%u of %u)", call->server, reason, delay,
               call->attempt + 1, self->max_attempts);
      /* In the task's own main context, which libsoup was called from. */
      call->wait = g_timeout_source_new (delay);
      g_task_attach_source (task, call->wait, retry);
      if (cancellable != NULL && call->cancelled_id == 0)
        call->cancelled_id = g_cancellable_connect (cancellable, G_CALLBACK (on_cancelled_while_waiting),
                                                    task, NULL);
      return;
    }
  g_task_return_new_error (task, QI_FTRACK_ERROR, QI_FTRACK_ERROR_SERVER,
                           g_dngettext (GETTEXT_PACKAGE, "ftrack at %s did not answer %s after %u try: %s",
                                        "ftrack at %s did not answer %s after %u tries: %s", call->attempt),
                           call->server, call->brief, call->attempt, reason);
  g_object_unref (task);
}

static const char *
member_text (JsonObject *object,
             const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  return node != NULL && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING
         ? json_node_get_string (node) : NULL;
}

static void
on_sent (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  GTask *task = user_data;
  Call *call = g_task_get_task_data (task);
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  g_autoptr(GError) json_error = NULL;
  g_autoptr(JsonNode) parsed = NULL;
  guint status;
  JsonNode *root;

  if (bytes == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          g_object_unref (task);
          return;
        }
      retry_or_fail (task, error->message);
      return;
    }

  status = soup_message_get_status (msg);
  if (status == SOUP_STATUS_UNAUTHORIZED || status == SOUP_STATUS_FORBIDDEN)
    {
      g_task_return_new_error (task, QI_FTRACK_ERROR, QI_FTRACK_ERROR_AUTH,
                               _("ftrack at %s refused the API user “%s” (HTTP %u): check the user "
                                 "name and its API key in ftrack's My Account → Security settings"),
                               call->server, call->api_user, status);
      g_object_unref (task);
      return;
    }
  if (status >= 500)
    {
      g_autofree char *reason = g_strdup_printf (_("HTTP %u %s"), status,
                                                 soup_message_get_reason_phrase (msg));

      retry_or_fail (task, reason);
      return;
    }

  /* The strict reader, bounded in depth: the server is not ours. */
  parsed = qi_json_from_data (g_bytes_get_data (bytes, NULL) != NULL ? g_bytes_get_data (bytes, NULL) : "",
                              g_bytes_get_size (bytes), &json_error);
  if (parsed == NULL)
    {
      g_task_return_new_error (task, QI_FTRACK_ERROR, QI_FTRACK_ERROR_PROTOCOL,
                               _("ftrack at %s answered %s (HTTP %u) with what is not JSON (%s)"),
                               call->server, call->brief, status, json_error->message);
      g_object_unref (task);
      return;
    }
  root = parsed;

  /* {"exception": "ValueError", "content": "…", "error_code": …} */
  if (root != NULL && JSON_NODE_HOLDS_OBJECT (root) &&
      json_object_has_member (json_node_get_object (root), "exception"))
    {
      JsonObject *object = json_node_get_object (root);
      const char *content = member_text (object, "content");

      g_task_return_new_error (task, QI_FTRACK_ERROR, QI_FTRACK_ERROR_QUERY,
                               _("ftrack at %s refused %s: %s (%s)"), call->server, call->summary,
                               content != NULL ? content : _("no reason given"),
                               member_text (object, "exception") != NULL ? member_text (object, "exception") : "?");
      g_object_unref (task);
      return;
    }
  if (status != SOUP_STATUS_OK || root == NULL || !JSON_NODE_HOLDS_ARRAY (root))
    {
      g_task_return_new_error (task, QI_FTRACK_ERROR, QI_FTRACK_ERROR_PROTOCOL,
                               _("ftrack at %s answered %s with HTTP %u and no list of results"),
                               call->server, call->brief, status);
      g_object_unref (task);
      return;
    }

  g_task_return_pointer (task, qi_ftrack_decode (root), (GDestroyNotify) json_node_unref);
  g_object_unref (task);
}

/* The answer to an upload: any 2xx is done. */
static void
on_uploaded (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  GTask *task = user_data;
  Call *call = g_task_get_task_data (task);
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  guint status;

  if (bytes == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          g_object_unref (task);
          return;
        }
      retry_or_fail (task, error->message);
      return;
    }
  status = soup_message_get_status (msg);
  if (status >= 500)
    {
      g_autofree char *reason = g_strdup_printf (_("HTTP %u %s"), status, soup_message_get_reason_phrase (msg));

      retry_or_fail (task, reason);
      return;
    }
  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      /* what the storage said, if it is a short text */
      const char *body = g_bytes_get_data (bytes, NULL);
      g_autofree char *said = g_strndup (body != NULL ? body : "", MIN (g_bytes_get_size (bytes), 200));

      g_strstrip (said);
      if (!g_utf8_validate (said, -1, NULL))
        *said = '\0';
      g_task_return_new_error (task, QI_FTRACK_ERROR, QI_FTRACK_ERROR_QUERY,
                               _("the file storage of ftrack at %s refused %s: HTTP %u %s%s%s"),
                               call->server, call->brief, status, soup_message_get_reason_phrase (msg),
                               *said != '\0' ? " — " : "", said);
      g_object_unref (task);
      return;
    }
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

/* An upload: a PUT of the bytes with the headers ftrack signed, and no
 * credentials (the URL is signed, and the storage is not ftrack). */
static void
send_upload (QiFtrackSession *self,
             GTask           *task,
             Call            *call)
{
  g_autoptr(SoupMessage) msg = soup_message_new (SOUP_METHOD_PUT, call->api_url);
  SoupMessageHeaders *headers = soup_message_get_request_headers (msg);
  g_autoptr(GList) names = json_object_get_members (call->headers);
  const char *content_type = NULL;

  for (GList *l = names; l != NULL; l = l->next)
    {
      const char *value = json_object_get_string_member (call->headers, l->data);

      /* libsoup writes the length of the body itself */
      if (g_ascii_strcasecmp (l->data, "Content-Length") == 0)
        continue;
      if (g_ascii_strcasecmp (l->data, "Content-Type") == 0)
        content_type = value;
      else
        soup_message_headers_replace (headers, l->data, value);
    }
  soup_message_set_request_body_from_bytes (msg, content_type != NULL ? content_type : "application/octet-stream",
                                            call->body);
  soup_session_send_and_read_async (self->soup, msg, G_PRIORITY_DEFAULT, g_task_get_cancellable (task),
                                    on_uploaded, task);
}

static void
send_once (GTask *task)
{
  QiFtrackSession *self = g_task_get_source_object (task);
  Call *call = g_task_get_task_data (task);
  g_autoptr(SoupMessage) msg = NULL;
  SoupMessageHeaders *headers;

  call->attempt++;
  if (call->headers != NULL)
    {
      send_upload (self, task, call);
      return;
    }
  msg = soup_message_new (SOUP_METHOD_POST, call->api_url);
  headers = soup_message_get_request_headers (msg);
  soup_message_headers_replace (headers, "ftrack-user", call->api_user);
  soup_message_headers_replace (headers, "ftrack-api-key", call->api_key);
  soup_message_headers_replace (headers, "Accept", "application/json");
  soup_message_set_request_body_from_bytes (msg, "application/json", call->body);
  soup_session_send_and_read_async (self->soup, msg, G_PRIORITY_DEFAULT, g_task_get_cancellable (task),
                                    on_sent, task);
}

/* "query (select name from Task)" or the actions, for messages. */
static char *
summarize (JsonArray *operations,
           gboolean   expressions)
{
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; i < json_array_get_length (operations) && i < 3; i++)
    {
      JsonNode *node = json_array_get_element (operations, i);
      JsonObject *op = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      const char *action = op != NULL ? member_text (op, "action") : NULL;
      const char *expression = op != NULL ? member_text (op, "expression") : NULL;

      if (i > 0)
        g_string_append (text, ", ");
      g_string_append (text, action != NULL ? action : "?");
      if (expression != NULL && expressions)
        g_string_append_printf (text, " (%s)", expression);
      else if (expression != NULL)
        {
          /* "select … from User where …" → "query of User" */
          const char *from = strstr (expression, " from ");
          g_autofree char *type = from != NULL ? g_strndup (from + 6, strcspn (from + 6, " ")) : NULL;

          if (type != NULL && *type != '\0')
            g_string_append_printf (text, " of %s", type);
        }
    }
  if (json_array_get_length (operations) > 3)
    g_string_append (text, ", …");
  return g_string_free (g_steal_pointer (&text), FALSE);
}

/* Starts a call with the given credentials, or the session's when
 * @server is NULL. */
static void
start_call (QiFtrackSession     *self,
            const char          *server,
            const char          *api_user,
            const char          *api_key,
            JsonNode            *operations,
            GCancellable        *cancellable,
            GAsyncReadyCallback  callback,
            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  gsize length;
  Call *call;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, qi_ftrack_session_call_async);
  if (!JSON_NODE_HOLDS_ARRAY (operations) || json_array_get_length (json_node_get_array (operations)) == 0)
    {
      g_task_return_new_error (task, QI_FTRACK_ERROR, QI_FTRACK_ERROR_INVALID,
                               _("an ftrack call is a non-empty list of operations"));
      return;
    }

  call = g_new0 (Call, 1);
  g_task_set_task_data (task, call, call_free);
  if (server != NULL)
    {
      if (!qi_ftrack_session_check_credentials (server, api_user, api_key, &error))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      length = strlen (server);
      while (length > 0 && server[length - 1] == '/')
        length--;
      call->server = g_strndup (server, length);
      call->api_url = g_strconcat (call->server, "/api", NULL);
      call->api_user = g_strdup (api_user);
      call->api_key = g_strdup (api_key);
    }
  else
    {
      g_mutex_lock (&self->lock);
      call->server = g_strdup (self->server);
      call->api_url = g_strdup (self->api_url);
      call->api_user = g_strdup (self->api_user);
      call->api_key = g_strdup (self->api_key);
      g_mutex_unlock (&self->lock);
      if (call->server == NULL)
        {
          g_task_return_new_error (task, QI_FTRACK_ERROR, QI_FTRACK_ERROR_AUTH,
                                   _("not logged in to ftrack: log in first (the launcher's ftrack login, or "
                                     "“qi --headless login --ftrack SERVER --user NAME --api-key-stdin”)"));
          return;
        }
    }
  text = qi_json_to_string (operations, QI_JSON_WRITE_DEFAULT, NULL);
  length = strlen (text);
  call->body = g_bytes_new_take (g_steal_pointer (&text), length);
  call->summary = summarize (json_node_get_array (operations), TRUE);
  call->brief = summarize (json_node_get_array (operations), FALSE);
  call->cancellable = cancellable != NULL ? g_object_ref (cancellable) : NULL;
  send_once (g_steal_pointer (&task));
}

/**
 * qi_ftrack_session_call_async:
 * @self: a #QiFtrackSession
 * @operations: a JSON array of operations, such as
 *   `[{"action": "query_server_information"}]`
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called with the results
 * @user_data: data for @callback
 *
 * Sends the operations in one request with the session's credentials,
 * retrying a failing server. From any thread that has a thread-default
 * main context (libsoup 3.2 sends from several threads at once).
 */
void
qi_ftrack_session_call_async (QiFtrackSession     *self,
                              JsonNode            *operations,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_return_if_fail (QI_IS_FTRACK_SESSION (self));
  g_return_if_fail (operations != NULL);

  start_call (self, NULL, NULL, NULL, operations, cancellable, callback, user_data);
}

/**
 * qi_ftrack_session_call_as_async:
 * @self: a #QiFtrackSession
 * @server: the server to send to
 * @api_user: the API user to send as
 * @api_key: its key
 * @operations: see qi_ftrack_session_call_async()
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called with the results
 * @user_data: data for @callback
 *
 * Sends the operations with these credentials rather than the session's,
 * through the session's connections: a login tries them before they
 * become the session's. Finish with qi_ftrack_session_call_finish().
 */
void
qi_ftrack_session_call_as_async (QiFtrackSession     *self,
                                 const char          *server,
                                 const char          *api_user,
                                 const char          *api_key,
                                 JsonNode            *operations,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_return_if_fail (QI_IS_FTRACK_SESSION (self));
  g_return_if_fail (server != NULL && api_user != NULL && api_key != NULL);
  g_return_if_fail (operations != NULL);

  start_call (self, server, api_user, api_key, operations, cancellable, callback, user_data);
}

/**
 * qi_ftrack_session_call_finish:
 * @self: a #QiFtrackSession
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the results, a JSON array in the order of the
 *   operations, decoded (qi_ftrack_decode()), or %NULL with @error
 */
JsonNode *
qi_ftrack_session_call_finish (QiFtrackSession  *self,
                               GAsyncResult     *result,
                               GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* An HTTP field name: a token of RFC 9110. */
static gboolean
is_header_name (const char *name)
{
  if (*name == '\0')
    return FALSE;
  for (const char *p = name; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && strchr ("!#$%&'*+-.^_`|~", *p) == NULL)
      return FALSE;
  return TRUE;
}

/**
 * qi_ftrack_session_upload_async:
 * @self: a #QiFtrackSession
 * @url: where to put the file: the `url` that ftrack's `get_upload_metadata`
 *   action answered
 * @headers: the `headers` of that answer, an object of strings, which the
 *   PUT must carry as they are (ftrack signed them)
 * @name: the file's name, for messages
 * @data: the file's bytes
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called once the file is uploaded, or not
 * @user_data: data for @callback
 *
 * Uploads a file the way ftrack's API clients do: one `PUT @url` of @data
 * with @headers and without the ftrack credentials, since the URL is
 * signed and may be another host's (the file storage ftrack uses). A 5xx
 * or a transport failure is tried again like a call. Finish with
 * qi_ftrack_session_upload_finish().
 */
void
qi_ftrack_session_upload_async (QiFtrackSession     *self,
                                const char          *url,
                                JsonObject          *headers,
                                const char          *name,
                                GBytes              *data,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GList) names = NULL;
  Call *call;

  g_return_if_fail (QI_IS_FTRACK_SESSION (self));
  g_return_if_fail (url != NULL && headers != NULL && name != NULL && data != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, qi_ftrack_session_upload_async);
  call = g_new0 (Call, 1);
  g_task_set_task_data (task, call, call_free);
  g_mutex_lock (&self->lock);
  call->server = g_strdup (self->server != NULL ? self->server : url);
  g_mutex_unlock (&self->lock);
  call->brief = g_strdup_printf (_("the upload of “%s”"), name);
  call->summary = g_strdup (call->brief);

  uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL || (g_strcmp0 (g_uri_get_scheme (uri), "https") != 0 &&
                      g_strcmp0 (g_uri_get_scheme (uri), "http") != 0))
    {
      g_task_return_new_error (task, QI_FTRACK_ERROR, QI_FTRACK_ERROR_PROTOCOL,
                               _("ftrack at %s answered an upload URL that is not http(s): “%s”"),
                               call->server, url);
      return;
    }
  names = json_object_get_members (headers);
  for (GList *l = names; l != NULL; l = l->next)
    {
      JsonNode *value = json_object_get_member (headers, l->data);

      if (!JSON_NODE_HOLDS_VALUE (value) || json_node_get_value_type (value) != G_TYPE_STRING ||
          !is_header_name (l->data) || strpbrk (json_node_get_string (value), "\r\n") != NULL)
        {
          g_task_return_new_error (task, QI_FTRACK_ERROR, QI_FTRACK_ERROR_PROTOCOL,
                                   _("ftrack at %s answered an upload header that is not one: “%s”"),
                                   call->server, (const char *) l->data);
          return;
        }
    }
  call->api_url = g_strdup (url);
  call->headers = json_object_ref (headers);
  call->body = g_bytes_ref (data);
  call->cancellable = cancellable != NULL ? g_object_ref (cancellable) : NULL;
  send_once (g_steal_pointer (&task));
}

/**
 * qi_ftrack_session_upload_finish:
 * @self: a #QiFtrackSession
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: %TRUE once the storage took the file; %FALSE with
 *   %QI_FTRACK_ERROR_QUERY when it refused it (4xx), %QI_FTRACK_ERROR_SERVER
 *   when it kept failing, %QI_FTRACK_ERROR_PROTOCOL for an upload URL or
 *   header that is not one
 */
gboolean
qi_ftrack_session_upload_finish (QiFtrackSession  *self,
                                 GAsyncResult     *result,
                                 GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
on_query_called (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  g_autoptr(JsonNode) results = qi_ftrack_session_call_finish (QI_FTRACK_SESSION (source), result, &error);
  JsonArray *array;

  if (results == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  array = json_node_get_array (results);
  if (json_array_get_length (array) != 1 || !JSON_NODE_HOLDS_OBJECT (json_array_get_element (array, 0)))
    {
      g_task_return_new_error (task, QI_FTRACK_ERROR, QI_FTRACK_ERROR_PROTOCOL,
                               _("ftrack at %s answered a query with %u results"),
                               QI_FTRACK_SESSION (source)->server, json_array_get_length (array));
      return;
    }
  g_task_return_pointer (task, qi_json_node_deep_copy (json_array_get_element (array, 0)),
                         (GDestroyNotify) json_node_unref);
}

/**
 * qi_ftrack_session_query_async:
 * @self: a #QiFtrackSession
 * @expression: a query in ftrack's language, such as
 *   `select name from Task limit 1`
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called with the result
 * @user_data: data for @callback
 *
 * Runs one `query` operation.
 */
void
qi_ftrack_session_query_async (QiFtrackSession     *self,
                               const char          *expression,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) operations = NULL;

  g_return_if_fail (QI_IS_FTRACK_SESSION (self));
  g_return_if_fail (expression != NULL);

  json_builder_begin_array (builder);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "action");
  json_builder_add_string_value (builder, "query");
  json_builder_set_member_name (builder, "expression");
  json_builder_add_string_value (builder, expression);
  json_builder_end_object (builder);
  json_builder_end_array (builder);
  operations = json_builder_get_root (builder);

  qi_ftrack_session_call_async (self, operations, cancellable, on_query_called,
                                g_task_new (self, cancellable, callback, user_data));
}

/**
 * qi_ftrack_session_query_finish:
 * @self: a #QiFtrackSession
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the query's result, `{"action": "query",
 *   "data": [entities], "metadata": {"next": {"offset": N or null}}}`, or
 *   %NULL with @error
 */
JsonNode *
qi_ftrack_session_query_finish (QiFtrackSession  *self,
                                GAsyncResult     *result,
                                GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Values. */

/**
 * qi_ftrack_quote:
 * @value: a value for a query
 *
 * Returns: (transfer full): @value as a string of ftrack's query language,
 *   in double quotes, with `"` and `\` escaped: `name is ` +
 *   qi_ftrack_quote ("sh010") reads `name is "sh010"`
 */
char *
qi_ftrack_quote (const char *value)
{
  GString *text;

  g_return_val_if_fail (value != NULL, NULL);

  text = g_string_new ("\"");
  for (const char *p = value; *p != '\0'; p++)
    {
      if (*p == '"' || *p == '\\')
        g_string_append_c (text, '\\');
      g_string_append_c (text, *p);
    }
  g_string_append_c (text, '"');
  return g_string_free (text, FALSE);
}

/* Collects, for each entity (type and id), every member any copy of it
 * has, so that bare references can be filled in. */
static void
collect_entities (JsonNode   *node,
                  GHashTable *entities)
{
  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (array); i++)
        collect_entities (json_array_get_element (array, i), entities);
    }
  else if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *object = json_node_get_object (node);
      const char *type = member_text (object, "__entity_type__");
      const char *id = member_text (object, "id");
      JsonObjectIter iter;
      const char *name;
      JsonNode *member;
      JsonObject *known = NULL;

      if (type != NULL && id != NULL)
        {
          g_autofree char *key = g_strconcat (type, "/", id, NULL);

          known = g_hash_table_lookup (entities, key);
          if (known == NULL)
            {
              known = json_object_new ();
              g_hash_table_insert (entities, g_steal_pointer (&key), known);
            }
        }

      json_object_iter_init (&iter, object);
      while (json_object_iter_next (&iter, &name, &member))
        {
          if (known != NULL && !JSON_NODE_HOLDS_OBJECT (member) && !JSON_NODE_HOLDS_ARRAY (member) &&
              !json_object_has_member (known, name))
            json_object_set_member (known, name, json_node_copy (member));
          collect_entities (member, entities);
        }
    }
}

static JsonNode *
decode (JsonNode   *node,
        GHashTable *entities)
{
  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      g_autoptr(JsonArray) array = json_array_new ();
      JsonArray *source = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (source); i++)
        json_array_add_element (array, decode (json_array_get_element (source, i), entities));
      return json_node_init_array (json_node_alloc (), array);
    }
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *source = json_node_get_object (node);
      g_autoptr(JsonObject) object = json_object_new ();
      const char *type = member_text (source, "__entity_type__");
      const char *id = member_text (source, "id");
      JsonObjectIter iter;
      const char *name;
      JsonNode *member;

      /* {"__type__": "datetime", "value": "2026-12-01T10:00:00"} */
      if (g_strcmp0 (member_text (source, "__type__"), "datetime") == 0 && member_text (source, "value") != NULL)
        return json_node_init_string (json_node_alloc (), member_text (source, "value"));

      json_object_iter_init (&iter, source);
      while (json_object_iter_next (&iter, &name, &member))
        json_object_set_member (object, name, decode (member, entities));

      if (type != NULL && id != NULL)
        {
          g_autofree char *key = g_strconcat (type, "/", id, NULL);
          JsonObject *known = g_hash_table_lookup (entities, key);

          json_object_iter_init (&iter, known);
          while (json_object_iter_next (&iter, &name, &member))
            if (!json_object_has_member (object, name))
              json_object_set_member (object, name, decode (member, entities));
        }
      return json_node_init_object (json_node_alloc (), object);
    }
  return json_node_copy (node);
}

/**
 * qi_ftrack_decode:
 * @node: a result of the ftrack API
 *
 * Decodes what the API encodes: a datetime `{"__type__": "datetime",
 * "value": V}` becomes the string V; an entity (an object with
 * `__entity_type__` and `id`) that appears several times — the server
 * sends it in full once and as a bare reference elsewhere — gets, in each
 * place, the scalar members (strings, numbers, booleans, null) of every
 * copy; nested objects and lists stay where the server sent them.
 *
 * Returns: (transfer full): a new, decoded tree
 */
JsonNode *
qi_ftrack_decode (JsonNode *node)
{
  g_autoptr(GHashTable) entities = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                          (GDestroyNotify) json_object_unref);

  g_return_val_if_fail (node != NULL, NULL);

  collect_entities (node, entities);
  return decode (node, entities);
}
