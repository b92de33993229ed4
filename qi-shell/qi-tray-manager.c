/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <libayatana-appindicator/app-indicator.h>

#include "qi-tray-manager.h"

/**
 * QiTrayManager:
 *
 * The shell's tray icon: an AppIndicator (StatusNotifierItem on D-Bus,
 * its menu over dbusmenu) with the core entries — Open launcher, Log in
 * or Log out, Bundle: production / staging, Quit — and, between them and
 * Quit, the entries the addons contribute (the tray extension kind).
 * The icon shows one of four states: idle, busy, error, logged out.
 *
 * It only shows and reports: activating an entry emits
 * #QiTrayManager::core-activated or #QiTrayManager::item-activated.
 */

struct _QiTrayManager
{
  GObject       parent_instance;

  AppIndicator *indicator;
  GtkMenu      *menu;
  GtkWidget    *login_item;
  GtkWidget    *production_item;
  GtkWidget    *staging_item;
  GtkWidget    *items_separator;
  GList        *addon_items;    /* of GtkWidget, in menu order */
  QiTrayState   state;
  gboolean      staging;
  gboolean      syncing;        /* setting the radio items, not the user */
};

G_DEFINE_FINAL_TYPE (QiTrayManager, qi_tray_manager, G_TYPE_OBJECT)

enum {
  SIGNAL_CORE_ACTIVATED,
  SIGNAL_ITEM_ACTIVATED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static const struct {
  const char *name;
  const char *icon;
  const char *description;
} states[] = {
  [QI_TRAY_STATE_IDLE] = { "idle", "org.qi.Qi-symbolic", N_("Qi") },
  [QI_TRAY_STATE_BUSY] = { "busy", "org.qi.Qi-busy-symbolic", N_("Qi: working") },
  [QI_TRAY_STATE_ERROR] = { "error", "org.qi.Qi-error-symbolic", N_("Qi: something failed") },
  [QI_TRAY_STATE_LOGGED_OUT] = { "logged_out", "org.qi.Qi-logged-out-symbolic", N_("Qi: not logged in") },
};

/**
 * qi_tray_state_from_string:
 * @name: `idle`, `busy`, `error` or `logged_out`
 * @state: (out): the state
 *
 * Returns: %TRUE if @name is a state
 */
gboolean
qi_tray_state_from_string (const char  *name,
                           QiTrayState *state)
{
  for (guint i = 0; i < G_N_ELEMENTS (states); i++)
    if (g_strcmp0 (states[i].name, name) == 0)
      {
        *state = i;
        return TRUE;
      }
  return FALSE;
}

/**
 * qi_tray_state_to_string:
 * @state: a #QiTrayState
 *
 * Returns: its name on the hub
 */
const char *
qi_tray_state_to_string (QiTrayState state)
{
  g_return_val_if_fail (state < G_N_ELEMENTS (states), NULL);

  return states[state].name;
}

static void
qi_tray_manager_dispose (GObject *object)
{
  QiTrayManager *self = QI_TRAY_MANAGER (object);

  if (self->indicator != NULL)
    app_indicator_set_status (self->indicator, APP_INDICATOR_STATUS_PASSIVE);
  g_clear_object (&self->indicator);
  if (self->menu != NULL)
    {
      gtk_widget_destroy (GTK_WIDGET (self->menu));
      g_object_unref (self->menu);
      self->menu = NULL;
    }
  g_clear_pointer (&self->addon_items, g_list_free);

  G_OBJECT_CLASS (qi_tray_manager_parent_class)->dispose (object);
}

static void
qi_tray_manager_class_init (QiTrayManagerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = qi_tray_manager_dispose;

  /**
   * QiTrayManager::core-activated:
   * @self: the tray
   * @action: `launcher`, `login`, `logout`, `bundle-production`,
   *   `bundle-staging` or `quit`
   */
  signals[SIGNAL_CORE_ACTIVATED] =
    g_signal_new ("core-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  /**
   * QiTrayManager::item-activated:
   * @self: the tray
   * @id: the addon item's id, `ADDON/ID`
   */
  signals[SIGNAL_ITEM_ACTIVATED] =
    g_signal_new ("item-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
qi_tray_manager_init (QiTrayManager *self)
{
  self->state = QI_TRAY_STATE_LOGGED_OUT;
}

static void
on_core_item (GtkMenuItem *item,
              gpointer     user_data)
{
  QiTrayManager *self = user_data;
  const char *action = g_object_get_data (G_OBJECT (item), "qi-action");

  if (self->syncing)
    return;
  if (GTK_IS_CHECK_MENU_ITEM (item))
    {
      /* a radio item: only the one turned on; the tray keeps showing the
       * run's bundle until the shell restarts into the other */
      if (!gtk_check_menu_item_get_active (GTK_CHECK_MENU_ITEM (item)))
        return;
      self->syncing = TRUE;
      gtk_check_menu_item_set_active (GTK_CHECK_MENU_ITEM (self->staging ? self->staging_item : self->production_item),
                                      TRUE);
      self->syncing = FALSE;
      if (g_strcmp0 (action, self->staging ? "bundle-staging" : "bundle-production") == 0)
        return;
    }
  if (g_strcmp0 (action, "login") == 0 && self->state != QI_TRAY_STATE_LOGGED_OUT)
    action = "logout";
  g_signal_emit (self, signals[SIGNAL_CORE_ACTIVATED], 0, action);
}

static void
on_addon_item (GtkMenuItem *item,
               gpointer     user_data)
{
  g_signal_emit (user_data, signals[SIGNAL_ITEM_ACTIVATED], 0,
                 g_object_get_data (G_OBJECT (item), "qi-item"));
}

static GtkWidget *
add_item (QiTrayManager *self,
          GtkWidget     *item,
          const char    *action)
{
  g_object_set_data (G_OBJECT (item), "qi-action", (gpointer) action);
  g_signal_connect (item, "activate", G_CALLBACK (on_core_item), self);
  gtk_menu_shell_append (GTK_MENU_SHELL (self->menu), item);
  return item;
}

static void
update_login_label (QiTrayManager *self)
{
  gtk_menu_item_set_label (GTK_MENU_ITEM (self->login_item),
                           self->state == QI_TRAY_STATE_LOGGED_OUT ? _("Log in…") : _("Log out"));
}

/**
 * qi_tray_manager_new:
 * @staging: whether the run uses the staging bundle
 * @icon_theme_path: (nullable): a folder with icon themes (`hicolor/…`)
 *   to look in first, for an uninstalled Qi
 *
 * Returns: (transfer full): a tray, shown
 */
QiTrayManager *
qi_tray_manager_new (gboolean    staging,
                     const char *icon_theme_path)
{
  QiTrayManager *self = g_object_new (QI_TYPE_TRAY_MANAGER, NULL);
  GSList *group = NULL;

  self->staging = staging;
  self->menu = GTK_MENU (g_object_ref_sink (gtk_menu_new ()));

  add_item (self, gtk_menu_item_new_with_label (_("Open launcher")), "launcher");
  self->login_item = add_item (self, gtk_menu_item_new_with_label (_("Log in…")), "login");
  gtk_menu_shell_append (GTK_MENU_SHELL (self->menu), gtk_separator_menu_item_new ());
  self->production_item = gtk_radio_menu_item_new_with_label (group, _("Bundle: production"));
  group = gtk_radio_menu_item_get_group (GTK_RADIO_MENU_ITEM (self->production_item));
  self->staging_item = gtk_radio_menu_item_new_with_label (group, _("Bundle: staging"));
  gtk_check_menu_item_set_active (GTK_CHECK_MENU_ITEM (staging ? self->staging_item : self->production_item),
                                  TRUE);
  add_item (self, self->production_item, "bundle-production");
  add_item (self, self->staging_item, "bundle-staging");
  self->items_separator = gtk_separator_menu_item_new ();
  gtk_menu_shell_append (GTK_MENU_SHELL (self->menu), self->items_separator);
  add_item (self, gtk_menu_item_new_with_label (_("Quit")), "quit");
  gtk_widget_show_all (GTK_WIDGET (self->menu));

  self->indicator = app_indicator_new ("org.qi.Qi", states[self->state].icon,
                                       APP_INDICATOR_CATEGORY_APPLICATION_STATUS);
  if (icon_theme_path != NULL)
    app_indicator_set_icon_theme_path (self->indicator, icon_theme_path);
  app_indicator_set_title (self->indicator, _("Qi"));
  app_indicator_set_icon_full (self->indicator, states[self->state].icon, _(states[self->state].description));
  app_indicator_set_menu (self->indicator, self->menu);
  app_indicator_set_status (self->indicator, APP_INDICATOR_STATUS_ACTIVE);

  return self;
}

/**
 * qi_tray_manager_set_state:
 * @self: a #QiTrayManager
 * @state: the icon's state
 * @tooltip: (nullable): what the icon says; %NULL for the state's words
 */
void
qi_tray_manager_set_state (QiTrayManager *self,
                           QiTrayState    state,
                           const char    *tooltip)
{
  g_return_if_fail (QI_IS_TRAY_MANAGER (self));
  g_return_if_fail (state < G_N_ELEMENTS (states));

  self->state = state;
  app_indicator_set_icon_full (self->indicator, states[state].icon,
                               tooltip != NULL ? tooltip : _(states[state].description));
  app_indicator_set_title (self->indicator, tooltip != NULL ? tooltip : _(states[state].description));
  update_login_label (self);
}

/**
 * qi_tray_manager_get_state:
 * @self: a #QiTrayManager
 *
 * Returns: the icon's state
 */
QiTrayState
qi_tray_manager_get_state (QiTrayManager *self)
{
  g_return_val_if_fail (QI_IS_TRAY_MANAGER (self), QI_TRAY_STATE_IDLE);

  return self->state;
}

/**
 * qi_tray_manager_set_addon_items:
 * @self: a #QiTrayManager
 * @items: `[{"id", "label", …}]` as qi_addon_manager_list_tray_items()
 *   returns, or `{"items": […]}` as `addons.tray.changed` says
 *
 * Replaces the addons' entries of the menu.
 */
void
qi_tray_manager_set_addon_items (QiTrayManager *self,
                                 JsonNode      *items)
{
  JsonArray *array = NULL;
  GList *children;
  int position;

  g_return_if_fail (QI_IS_TRAY_MANAGER (self));

  for (GList *l = self->addon_items; l != NULL; l = l->next)
    gtk_widget_destroy (l->data);
  g_clear_pointer (&self->addon_items, g_list_free);

  if (items != NULL && JSON_NODE_HOLDS_ARRAY (items))
    array = json_node_get_array (items);
  else if (items != NULL && JSON_NODE_HOLDS_OBJECT (items) &&
           json_object_has_member (json_node_get_object (items), "items"))
    array = json_object_get_array_member (json_node_get_object (items), "items");
  if (array == NULL)
    return;

  children = gtk_container_get_children (GTK_CONTAINER (self->menu));
  position = g_list_index (children, self->items_separator);
  g_list_free (children);

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *item = json_array_get_object_element (array, i);
      const char *id = item != NULL ? json_object_get_string_member_with_default (item, "id", NULL) : NULL;
      const char *label = item != NULL ? json_object_get_string_member_with_default (item, "label", NULL) : NULL;
      GtkWidget *widget;

      if (id == NULL || label == NULL)
        continue;
      widget = gtk_menu_item_new_with_label (label);
      g_object_set_data_full (G_OBJECT (widget), "qi-item", g_strdup (id), g_free);
      g_signal_connect (widget, "activate", G_CALLBACK (on_addon_item), self);
      gtk_menu_shell_insert (GTK_MENU_SHELL (self->menu), widget, ++position);
      gtk_widget_show (widget);
      self->addon_items = g_list_append (self->addon_items, widget);
    }
}
