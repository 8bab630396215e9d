/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "rw-application.h"
#include "rw-window.h"

struct _RwApplication
{
  AdwApplication parent_instance;

  RwCatalog *catalog;
  RwStore *store;
  char *startup_error;
};

G_DEFINE_FINAL_TYPE (RwApplication, rw_application, ADW_TYPE_APPLICATION)

RwApplication *
rw_application_new (void)
{
  return g_object_new (RW_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_DEFAULT_FLAGS,
                       "resource-base-path", "/io/github/routewise/Routewise",
                       NULL);
}

/**
 * rw_application_get_catalog:
 * @self: the application
 *
 * Returns: (transfer none): the model catalog
 */
RwCatalog *
rw_application_get_catalog (RwApplication *self)
{
  return self->catalog;
}

/**
 * rw_application_get_store:
 * @self: the application
 *
 * Returns: (transfer none) (nullable): the database, or %NULL when it could not be opened
 */
RwStore *
rw_application_get_store (RwApplication *self)
{
  return self->store;
}

static void
application_discover_cb (GObject      *object,
                         GAsyncResult *res,
                         gpointer      user_data)
{
  g_autoptr(RwApplication) self = user_data;
  rw_catalog_discover_finish (RW_CATALOG (object), res, NULL);
}

static void
rw_application_startup (GApplication *app)
{
  RwApplication *self = RW_APPLICATION (app);
  g_autoptr(GError) error = NULL;
  g_autoptr(GtkCssProvider) css = gtk_css_provider_new ();

  G_APPLICATION_CLASS (rw_application_parent_class)->startup (app);

  gtk_css_provider_load_from_resource (css, "/io/github/routewise/Routewise/style.css");
  gtk_style_context_add_provider_for_display (gdk_display_get_default (),
                                              GTK_STYLE_PROVIDER (css),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);

  self->catalog = rw_catalog_new_for_user (&error);
  if (self->catalog == NULL)
    {
      /* A broken providers.json must not stop the app: use the defaults and say why. */
      self->startup_error = g_strdup (error->message);
      g_clear_error (&error);
      self->catalog = rw_catalog_new ();
      rw_catalog_load_defaults (self->catalog, NULL);
    }
  else
    rw_catalog_discover_async (self->catalog, NULL, application_discover_cb, g_object_ref (self));

  self->store = rw_store_open_default (&error);
  if (self->store == NULL)
    {
      g_free (self->startup_error);
      self->startup_error = g_strdup_printf (_("Answers will not be saved: %s"), error->message);
    }
}

static void
rw_application_activate (GApplication *app)
{
  RwApplication *self = RW_APPLICATION (app);
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));

  if (window == NULL)
    {
      window = GTK_WINDOW (rw_window_new (GTK_APPLICATION (app), self->catalog, self->store));
      if (self->startup_error != NULL)
        rw_window_show_error (RW_WINDOW (window), self->startup_error);
    }
  gtk_window_present (window);
}

static void
rw_application_shutdown (GApplication *app)
{
  RwApplication *self = RW_APPLICATION (app);

  if (self->store != NULL)
    rw_store_close (self->store);
  G_APPLICATION_CLASS (rw_application_parent_class)->shutdown (app);
}

static void
rw_application_finalize (GObject *object)
{
  RwApplication *self = (RwApplication *) object;

  g_clear_object (&self->catalog);
  g_clear_object (&self->store);
  g_clear_pointer (&self->startup_error, g_free);
  G_OBJECT_CLASS (rw_application_parent_class)->finalize (object);
}

/* Quitting closes the windows, each as its close button would: one whose answers are still
 * coming in asks first. The application ends with its last window. */
static void
application_quit_action (GSimpleAction *action,
                         GVariant      *param,
                         gpointer       user_data)
{
  GList *windows = g_list_copy (gtk_application_get_windows (GTK_APPLICATION (user_data)));

  for (GList *l = windows; l != NULL; l = l->next)
    gtk_window_close (l->data);
  g_list_free (windows);
}

/**
 * rw_application_create_about:
 * @parent: (nullable): the window it belongs to
 *
 * Returns: (transfer floating): the About window, with the project's website, where to report
 *   an issue, and the credits of the recorded answers
 */
GtkWidget *
rw_application_create_about (GtkWindow *parent)
{
  static const char *developers[] = { "The Routewise developers", NULL };
  AdwAboutWindow *about = ADW_ABOUT_WINDOW (adw_about_window_new ());

  gtk_window_set_transient_for (GTK_WINDOW (about), parent);
  adw_about_window_set_application_name (about, "Routewise");
  adw_about_window_set_application_icon (about, APP_ID);
  adw_about_window_set_version (about, PACKAGE_VERSION);
  adw_about_window_set_developers (about, developers);
  adw_about_window_set_license_type (about, GTK_LICENSE_GPL_3_0);
  adw_about_window_set_website (about, "https://github.com/routewise/routewise");
  adw_about_window_set_issue_url (about, "https://github.com/routewise/routewise/issues");
  adw_about_window_set_comments (about, _("Compare language models side by side and learn which "
                                          "one to route each task to."));
  adw_about_window_add_legal_section (about, _("Recorded answers"),
                                      _("LLMFAO: Large Language Model Feedback Analysis and "
                                        "Optimization, by Dmitry Ustalov, with prompts and answers "
                                        "from the llmonitor.com Crowdsourced LLM Benchmark"),
                                      GTK_LICENSE_CUSTOM,
                                      _("Licensed under the Creative Commons Attribution 4.0 "
                                        "International licence (CC BY 4.0)."));
  return GTK_WIDGET (about);
}

static void
application_about_action (GSimpleAction *action,
                          GVariant      *param,
                          gpointer       user_data)
{
  GtkApplication *app = GTK_APPLICATION (user_data);

  gtk_window_present (GTK_WINDOW (rw_application_create_about (gtk_application_get_active_window (app))));
}

/* A notification's action: the window in front, on the view of the job that ended. */
static void
application_show_view_action (GSimpleAction *action,
                              GVariant      *param,
                              gpointer       user_data)
{
  GtkApplication *app = GTK_APPLICATION (user_data);
  GtkWindow *window = gtk_application_get_active_window (app);

  g_application_activate (G_APPLICATION (app));
  if ((window = gtk_application_get_active_window (app)) != NULL && RW_IS_WINDOW (window))
    {
      rw_window_set_view (RW_WINDOW (window), g_variant_get_string (param, NULL));
      gtk_window_present (window);
    }
}

static void
rw_application_class_init (RwApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->finalize = rw_application_finalize;
  app_class->startup = rw_application_startup;
  app_class->activate = rw_application_activate;
  app_class->shutdown = rw_application_shutdown;
}

static void
rw_application_init (RwApplication *self)
{
  static const GActionEntry entries[] = {
    { "quit", application_quit_action },
    { "about", application_about_action },
    { "show-view", application_show_view_action, "s" },
  };
  static const char *quit_accels[] = { "<Control>q", NULL };

  g_action_map_add_action_entries (G_ACTION_MAP (self), entries, G_N_ELEMENTS (entries), self);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", quit_accels);
}
