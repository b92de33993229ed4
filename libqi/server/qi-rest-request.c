/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "qi-rest-request-private.h"
#include "qi-rest-utils-private.h"

/**
 * QiRestRequest:
 *
 * One HTTP request that a #QiRestRouter gave to a handler: the method,
 * the path, the path parameters of the route that matched, the query, the
 * JSON body, the headers and the #SoupServerMessage itself.
 *
 * A request is answered once, with qi_rest_request_reply_json() or
 * qi_rest_request_reply_error(), either before the handler returns or
 * later, from the main loop: to answer later, the handler keeps a
 * reference (g_object_ref()) and the router pauses the message until the
 * answer. A request whose last reference goes before it is answered
 * answers 500 with the code `handler_failed`, so that no client waits
 * forever for a handler that forgot it. If the client goes away before a
 * late answer, the answer is dropped; answering stays harmless.
 *
 * Requests live on the main context of the #SoupServer; use them from
 * that thread only.
 */

struct _QiRestRequest
{
  GObject            parent_instance;

  SoupServerMessage *msg;
  const char        *method;   /* interned by libsoup */
  char              *path;     /* raw, as routed */
  GHashTable        *params;   /* name -> decoded value */
  GHashTable        *query;    /* name -> decoded value */
  JsonNode          *body;     /* nullable */
  gulong             finished_id;
  gulong             disconnected_id;
  gboolean           answered;
  gboolean           paused;
  gboolean           finished; /* finished or disconnected: no answer can go */
};

G_DEFINE_FINAL_TYPE (QiRestRequest, qi_rest_request, G_TYPE_OBJECT)

static void
on_message_finished (SoupServerMessage *msg,
                     gpointer           user_data)
{
  QiRestRequest *self = user_data;

  self->finished = TRUE;
  self->paused = FALSE;
}

/* Returns FALSE if the answer cannot go anywhere: the message is
 * finished or its connection is gone (the client hung up, or the server
 * closed it). */
static gboolean
answer_begin (QiRestRequest *self,
              guint          status)
{
  self->answered = TRUE;
  if (self->finished)
    {
      g_debug ("dropped the %u answer to “%s %s”: the request is already finished",
               status, self->method, self->path);
      return FALSE;
    }
  return TRUE;
}

static void
answer_end (QiRestRequest *self)
{
  if (self->paused)
    {
      self->paused = FALSE;
      soup_server_message_unpause (self->msg);
    }
}

static void
qi_rest_request_dispose (GObject *object)
{
  QiRestRequest *self = QI_REST_REQUEST (object);

  if (!self->answered && self->msg != NULL)
    {
      g_autofree char *quoted = qi_rest_quote (self->path);
      g_autofree char *text =
        g_strdup_printf (_("the handler of “%s %s” dropped the request without answering"),
                         self->method, quoted);

      g_debug ("%s", text);
      if (answer_begin (self, SOUP_STATUS_INTERNAL_SERVER_ERROR))
        {
          qi_rest_reply_error (self->msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "handler_failed", text);
          answer_end (self);
        }
    }

  if (self->msg != NULL)
    {
      g_clear_signal_handler (&self->finished_id, self->msg);
      g_clear_signal_handler (&self->disconnected_id, self->msg);
    }
  g_clear_object (&self->msg);

  G_OBJECT_CLASS (qi_rest_request_parent_class)->dispose (object);
}

static void
qi_rest_request_finalize (GObject *object)
{
  QiRestRequest *self = QI_REST_REQUEST (object);

  g_free (self->path);
  g_clear_pointer (&self->params, g_hash_table_unref);
  g_clear_pointer (&self->query, g_hash_table_unref);
  g_clear_pointer (&self->body, json_node_unref);

  G_OBJECT_CLASS (qi_rest_request_parent_class)->finalize (object);
}

static void
qi_rest_request_class_init (QiRestRequestClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = qi_rest_request_dispose;
  object_class->finalize = qi_rest_request_finalize;
}

static void
qi_rest_request_init (QiRestRequest *self)
{
}

QiRestRequest *
qi_rest_request_new (SoupServerMessage *msg,
                     const char        *path,
                     GHashTable        *params,
                     GHashTable        *query,
                     JsonNode          *body)
{
  QiRestRequest *self;

  g_return_val_if_fail (SOUP_IS_SERVER_MESSAGE (msg), NULL);
  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (params != NULL, NULL);
  g_return_val_if_fail (query != NULL, NULL);

  self = g_object_new (QI_TYPE_REST_REQUEST, NULL);
  self->msg = g_object_ref (msg);
  self->method = soup_server_message_get_method (msg);
  self->path = g_strdup (path);
  self->params = params;
  self->query = query;
  self->body = body;
  /* A message whose connection went away is "disconnected", and may
   * never be "finished": either way, nothing can be sent on it. */
  self->finished_id = g_signal_connect (msg, "finished", G_CALLBACK (on_message_finished), self);
  self->disconnected_id = g_signal_connect (msg, "disconnected", G_CALLBACK (on_message_finished), self);

  return self;
}

void
qi_rest_request_pause (QiRestRequest *self)
{
  g_return_if_fail (QI_IS_REST_REQUEST (self));
  g_return_if_fail (!self->answered);

  if (self->paused || self->finished)
    return;
  self->paused = TRUE;
  soup_server_message_pause (self->msg);
}

/**
 * qi_rest_request_get_method:
 * @self: a #QiRestRequest
 *
 * Gives the request's method. A `HEAD` request, which the `GET` route of
 * its path serves, gives `HEAD`: the handler answers as for `GET` and the
 * server sends the headers only.
 *
 * Returns: (transfer none): the method, such as `GET`
 */
const char *
qi_rest_request_get_method (QiRestRequest *self)
{
  g_return_val_if_fail (QI_IS_REST_REQUEST (self), NULL);

  return self->method;
}

/**
 * qi_rest_request_get_path:
 * @self: a #QiRestRequest
 *
 * Gives the path the router matched, as it was given to
 * qi_rest_router_dispatch(): still percent-encoded. The decoded values of
 * its parameters are those of qi_rest_request_get_param().
 *
 * Returns: (transfer none): the raw path, such as `/api/shots/sh%20010`
 */
const char *
qi_rest_request_get_path (QiRestRequest *self)
{
  g_return_val_if_fail (QI_IS_REST_REQUEST (self), NULL);

  return self->path;
}

/**
 * qi_rest_request_get_param:
 * @self: a #QiRestRequest
 * @name: the name of a parameter of the route's pattern, such as
 *   `project` for `{project}`, or `rest` for `{rest...}`
 *
 * Gives a path parameter, percent-decoded. A `{name}` parameter holds one
 * segment; a final `{name...}` holds the rest of the path, its segments
 * decoded one by one and joined with `/`.
 *
 * Returns: (transfer none) (nullable): the value, valid UTF-8 without
 *   NUL (nor, for a `{name}` parameter, `/`); %NULL if the route's pattern
 *   has no parameter @name
 */
const char *
qi_rest_request_get_param (QiRestRequest *self,
                           const char    *name)
{
  g_return_val_if_fail (QI_IS_REST_REQUEST (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  return g_hash_table_lookup (self->params, name);
}

/**
 * qi_rest_request_get_query:
 * @self: a #QiRestRequest
 * @name: the name of a query parameter
 *
 * Gives a parameter of the URI's query (`?name=value&…`), decoded as an
 * HTML form encodes it (`+` is a space). A name given more than once
 * gives its first value; a name without `=` gives the empty string.
 *
 * Returns: (transfer none) (nullable): the value, valid UTF-8, or %NULL
 *   if the query does not name @name
 */
const char *
qi_rest_request_get_query (QiRestRequest *self,
                           const char    *name)
{
  g_return_val_if_fail (QI_IS_REST_REQUEST (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  return g_hash_table_lookup (self->query, name);
}

/**
 * qi_rest_request_get_body:
 * @self: a #QiRestRequest
 *
 * Gives the JSON body of a `POST`, `PUT` or `PATCH` request. The router
 * has checked it: `Content-Type: application/json` (or another
 * `application/…+json` type, in UTF-8), and strict JSON.
 *
 * Returns: (transfer none) (nullable): the body, any JSON value; %NULL
 *   if the request has no body (or its method is not one that has one)
 */
JsonNode *
qi_rest_request_get_body (QiRestRequest *self)
{
  g_return_val_if_fail (QI_IS_REST_REQUEST (self), NULL);

  return self->body;
}

/**
 * qi_rest_request_get_header:
 * @self: a #QiRestRequest
 * @name: a header name, in any case
 *
 * Gives a request header. A header sent more than once gives its values
 * joined with `, `, as HTTP does for list headers.
 *
 * Returns: (transfer none) (nullable): the value, or %NULL if the request
 *   has no such header
 */
const char *
qi_rest_request_get_header (QiRestRequest *self,
                            const char    *name)
{
  g_return_val_if_fail (QI_IS_REST_REQUEST (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  return soup_message_headers_get_list (soup_server_message_get_request_headers (self->msg), name);
}

/**
 * qi_rest_request_get_message:
 * @self: a #QiRestRequest
 *
 * Gives the libsoup message, for what the other getters do not give (the
 * client's address, the raw body). Answer through the request, not by
 * setting the message's status: the request unpauses the message.
 *
 * Returns: (transfer none): the message
 */
SoupServerMessage *
qi_rest_request_get_message (QiRestRequest *self)
{
  g_return_val_if_fail (QI_IS_REST_REQUEST (self), NULL);

  return self->msg;
}

/**
 * qi_rest_request_get_answered:
 * @self: a #QiRestRequest
 *
 * Returns: whether the request has been answered
 */
gboolean
qi_rest_request_get_answered (QiRestRequest *self)
{
  g_return_val_if_fail (QI_IS_REST_REQUEST (self), FALSE);

  return self->answered;
}

/**
 * qi_rest_request_reply_json:
 * @self: a #QiRestRequest not yet answered
 * @status: the HTTP status, from 200 to 599
 * @body: (nullable): the body, any JSON value; %NULL for no body (as
 *   for 204 No Content)
 *
 * Answers the request, with `Content-Type: application/json;
 * charset=utf-8` if there is a body. If the client has gone away, the
 * answer is dropped.
 */
void
qi_rest_request_reply_json (QiRestRequest *self,
                            guint          status,
                            JsonNode      *body)
{
  g_return_if_fail (QI_IS_REST_REQUEST (self));
  g_return_if_fail (!self->answered);
  g_return_if_fail (status >= 200 && status <= 599);

  if (!answer_begin (self, status))
    return;
  qi_rest_reply_json (self->msg, status, body);
  answer_end (self);
}

/**
 * qi_rest_request_reply_bytes:
 * @self: a #QiRestRequest not yet answered
 * @status: the HTTP status, from 200 to 599
 * @content_type: the body's media type, such as `image/png`
 * @body: the body
 *
 * Answers the request with a body that is not JSON (an image, a file).
 * If the client has gone away, the answer is dropped.
 */
void
qi_rest_request_reply_bytes (QiRestRequest *self,
                             guint          status,
                             const char    *content_type,
                             GBytes        *body)
{
  gsize size;
  gconstpointer data;

  g_return_if_fail (QI_IS_REST_REQUEST (self));
  g_return_if_fail (!self->answered);
  g_return_if_fail (status >= 200 && status <= 599);
  g_return_if_fail (content_type != NULL && content_type[0] != '\0');
  g_return_if_fail (body != NULL);

  if (!answer_begin (self, status))
    return;
  data = g_bytes_get_data (body, &size);
  soup_server_message_set_status (self->msg, status, NULL);
  soup_server_message_set_response (self->msg, content_type, SOUP_MEMORY_COPY, data, size);
  answer_end (self);
}

/**
 * qi_rest_request_reply_error:
 * @self: a #QiRestRequest not yet answered
 * @status: the HTTP status, from 400 to 599
 * @code: a snake_case code for programs, such as `not_found`
 * @message: a sentence for people that names what was wrong
 *
 * Answers the request with an error, in the body every error of Qi's
 * HTTP API has: `{"error": {"code": "…", "message": "…"}}`. If the client
 * has gone away, the answer is dropped.
 */
void
qi_rest_request_reply_error (QiRestRequest *self,
                             guint          status,
                             const char    *code,
                             const char    *message)
{
  g_return_if_fail (QI_IS_REST_REQUEST (self));
  g_return_if_fail (!self->answered);
  g_return_if_fail (status >= 400 && status <= 599);
  g_return_if_fail (code != NULL && code[0] != '\0');
  g_return_if_fail (message != NULL);

  if (!answer_begin (self, status))
    return;
  qi_rest_reply_error (self->msg, status, code, message);
  answer_end (self);
}
