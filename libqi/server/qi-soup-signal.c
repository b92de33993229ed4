/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "qi-soup-signal-private.h"

/* VOID:INT,BOXED, as glib-genmarshal writes it. */
static void
marshal_websocket_message (GClosure     *closure,
                           GValue       *return_value,
                           guint         n_param_values,
                           const GValue *param_values,
                           gpointer      invocation_hint,
                           gpointer      marshal_data)
{
  GCClosure *cclosure = (GCClosure *) closure;
  QiWebsocketMessageFunc func;

  g_return_if_fail (n_param_values == 3);

  func = (QiWebsocketMessageFunc) (marshal_data != NULL ? marshal_data : cclosure->callback);
  func (g_value_peek_pointer (&param_values[0]),
        g_value_get_int (&param_values[1]),
        g_value_get_boxed (&param_values[2]),
        closure->data);
}

gulong
qi_soup_connect_websocket_message (SoupWebsocketConnection *connection,
                                   QiWebsocketMessageFunc   func,
                                   gpointer                 user_data)
{
  GClosure *closure;

  g_return_val_if_fail (SOUP_IS_WEBSOCKET_CONNECTION (connection), 0);
  g_return_val_if_fail (func != NULL, 0);

  closure = g_cclosure_new (G_CALLBACK (func), user_data, NULL);
  g_closure_set_marshal (closure, marshal_websocket_message);
  return g_signal_connect_closure (connection, "message", closure, FALSE);
}
