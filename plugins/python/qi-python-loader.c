/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Python.h first, as CPython asks. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "config.h"

#include <pygobject.h>

#include <glib/gi18n-lib.h>
#include <qi/qi.h>

#include "qi-python-loader-resources.h"

/**
 * QiPythonLoader:
 *
 * The Python bridge: a #QiAddonLoader that embeds Debian's CPython and
 * PyGObject, after libpeas's Python loader. libqi opens this module only
 * when the first Python addon loads, with global symbol binding, so a run
 * without Python addons never starts Python.
 *
 * - Python is initialised only if the process has not done it (Qi used
 *   from a Python program has it already), isolated from the `PYTHON*`
 *   variables of the environment and without signal handlers, and never
 *   finalised: it lives as long as the process, like the addons' types.
 * - `pygobject_init()`, then the helper `loader.py`, kept in a GResource
 *   and compiled under the name `qi-python-loader/loader.py` so that
 *   tracebacks read well, puts Qi's Python folders on `sys.path`
 *   (`$QI_PYTHON_PATH`, else the installed one) and imports
 *   `gi.repository.Qi` with Qi's overrides.
 * - The GIL is released once started and taken around every call into
 *   Python (PyGObject takes it for the callbacks and vfuncs it runs).
 * - An addon is imported from its own folder as `qi_addons.NAME`; its one
 *   subclass of `Qi.Addon` gives the type libqi creates with
 *   g_object_new(). A Python exception becomes a #GError with the
 *   formatted traceback, the loader's frames trimmed; the process and the
 *   other addons go on.
 */

#define QI_TYPE_PYTHON_LOADER (qi_python_loader_get_type ())
G_DECLARE_FINAL_TYPE (QiPythonLoader, qi_python_loader, QI, PYTHON_LOADER, QiAddonLoader)

struct _QiPythonLoader
{
  QiAddonLoader  parent_instance;

  PyObject      *helper;      /* the module of loader.py */
  gboolean       started;     /* this loader initialised Python */
};

G_DEFINE_FINAL_TYPE (QiPythonLoader, qi_python_loader, QI_TYPE_ADDON_LOADER)

/* The text of the current Python exception, formatted by the helper (or
 * by the interpreter if the helper is not there yet); clears it. */
static char *
take_python_error (QiPythonLoader *self)
{
  PyObject *type = NULL, *value = NULL, *traceback = NULL;
  PyObject *text = NULL;
  char *message = NULL;

  PyErr_Fetch (&type, &value, &traceback);
  if (type == NULL)
    return g_strdup (_("an unknown Python error"));
  PyErr_NormalizeException (&type, &value, &traceback);
  if (traceback != NULL && value != NULL)
    PyException_SetTraceback (value, traceback);

  if (self->helper != NULL && value != NULL)
    text = PyObject_CallMethod (self->helper, "format_exception", "O", value);
  if (text == NULL)
    {
      PyErr_Clear ();
      text = value != NULL ? PyObject_Str (value) : NULL;
    }
  if (text != NULL && PyUnicode_Check (text))
    message = g_strdup (PyUnicode_AsUTF8 (text));
  if (message == NULL)
    {
      PyErr_Clear ();
      message = g_strdup (_("a Python error that cannot be shown"));
    }

  Py_XDECREF (text);
  Py_XDECREF (type);
  Py_XDECREF (value);
  Py_XDECREF (traceback);
  return message;
}

static void
set_python_error (QiPythonLoader  *self,
                  GError         **error,
                  const char      *step)
{
  g_autofree char *text = take_python_error (self);

  g_set_error (error, QI_ADDON_ERROR, QI_ADDON_ERROR_MODULE, "%s: %s", step, text);
}

/* The folders of Qi's Python package and overrides, as a Python list. */
static PyObject *
python_dirs (void)
{
  const char *from_env = g_getenv ("QI_PYTHON_PATH");
  g_auto(GStrv) dirs = g_strsplit (from_env != NULL && *from_env != '\0' ? from_env : QI_PYTHONDIR,
                                   G_SEARCHPATH_SEPARATOR_S, -1);
  PyObject *list = PyList_New (0);

  for (guint i = 0; dirs[i] != NULL; i++)
    if (*dirs[i] != '\0')
      {
        PyObject *item = PyUnicode_DecodeFSDefault (dirs[i]);

        PyList_Append (list, item);
        Py_DECREF (item);
      }
  return list;
}

static gboolean
qi_python_loader_initialize (QiAddonLoader  *loader,
                             GError        **error)
{
  QiPythonLoader *self = QI_PYTHON_LOADER (loader);
  g_autoptr(GBytes) source = NULL;
  PyGILState_STATE gil = PyGILState_UNLOCKED;
  PyObject *code = NULL;
  PyObject *result = NULL;
  PyObject *dirs = NULL;
  gboolean ok = FALSE;

  if (!Py_IsInitialized ())
    {
      PyConfig config;
      PyStatus status;

      /* Isolated: the PYTHON* variables of a DCC's or rez's environment
       * (PYTHONHOME=/opt/…/maya/python) are not Debian's Python's, and a
       * bad one would end the process inside Py_Initialize. No signal
       * handlers: SIGINT and SIGTERM are Qi's. */
      PyConfig_InitIsolatedConfig (&config);
      config.install_signal_handlers = 0;
      config.site_import = 1;
      status = Py_InitializeFromConfig (&config);
      PyConfig_Clear (&config);
      if (PyStatus_Exception (status))
        {
          g_set_error (error, QI_ADDON_ERROR, QI_ADDON_ERROR_MODULE, _("Python cannot start: %s%s%s"),
                       status.func != NULL ? status.func : "", status.func != NULL ? ": " : "",
                       status.err_msg != NULL ? status.err_msg : _("no reason given"));
          return FALSE;
        }
      self->started = TRUE;
    }
  else
    gil = PyGILState_Ensure ();

  if (pygobject_init (3, 42, 0) == NULL)
    {
      set_python_error (self, error, _("PyGObject cannot start (python3-gi)"));
      goto out;
    }

  source = g_resources_lookup_data ("/org/qi/python-loader/loader.py", G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
  g_assert (source != NULL);
  code = Py_CompileString (g_bytes_get_data (source, NULL), "qi-python-loader/loader.py", Py_file_input);
  if (code == NULL)
    {
      set_python_error (self, error, _("the loader's helper does not compile"));
      goto out;
    }
  self->helper = PyImport_ExecCodeModuleEx ("qi_python_loader", code, "qi-python-loader/loader.py");
  if (self->helper == NULL)
    {
      set_python_error (self, error, _("the loader's helper does not run"));
      goto out;
    }

  dirs = python_dirs ();
  result = PyObject_CallMethod (self->helper, "setup", "Os", dirs, QI_TYPELIBDIR);
  if (result == NULL)
    {
      set_python_error (self, error, _("gi.repository.Qi cannot be imported"));
      goto out;
    }
  ok = TRUE;

out:
  Py_XDECREF (result);
  Py_XDECREF (dirs);
  Py_XDECREF (code);
  /* Let go of the GIL: it is taken around each call into Python. */
  if (self->started)
    PyEval_SaveThread ();
  else
    PyGILState_Release (gil);
  return ok;
}

static GType
qi_python_loader_load_type (QiAddonLoader  *loader,
                            QiAddonInfo    *info,
                            GError        **error)
{
  QiPythonLoader *self = QI_PYTHON_LOADER (loader);
  PyGILState_STATE gil = PyGILState_Ensure ();
  PyObject *result;
  GType type = G_TYPE_INVALID;

  result = PyObject_CallMethod (self->helper, "load", "ss", qi_addon_info_get_name (info),
                                qi_addon_info_get_path (info));
  if (result == NULL)
    set_python_error (self, error, _("import"));
  else
    {
      type = pyg_type_from_object (result);
      if (type == G_TYPE_INVALID)
        set_python_error (self, error, _("import"));
    }

  Py_XDECREF (result);
  PyGILState_Release (gil);
  return type;
}

static void
qi_python_loader_class_init (QiPythonLoaderClass *klass)
{
  QiAddonLoaderClass *loader_class = QI_ADDON_LOADER_CLASS (klass);

  loader_class->initialize = qi_python_loader_initialize;
  loader_class->load_type = qi_python_loader_load_type;
}

static void
qi_python_loader_init (QiPythonLoader *self)
{
}

QI_ADDON_LOADER_DEFINE (qi_python_loader_get_type)
