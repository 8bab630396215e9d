/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include "rw-model.h"

/**
 * RwModel:
 *
 * One model of the catalog: its id (`provider/name`), the provider that serves it, the name the
 * provider knows it by, its price per million input and output tokens in US dollars, and its
 * context length.
 */
struct _RwModel
{
  GObject parent_instance;

  char *id;
  char *provider_id;
  char *upstream_name;
  char *display_name;
  char *openrouter_id;
  double input_price;
  double output_price;
  gint64 context_length;
  guint has_price : 1;
  RwModelCapabilities known;   /* what the catalog knows of, yes or no */
  RwModelCapabilities has;
};

enum {
  PROP_0,
  PROP_ID,
  PROP_DISPLAY_NAME,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (RwModel, rw_model, G_TYPE_OBJECT)

static void
rw_model_finalize (GObject *object)
{
  RwModel *self = (RwModel *) object;

  g_clear_pointer (&self->id, g_free);
  g_clear_pointer (&self->provider_id, g_free);
  g_clear_pointer (&self->upstream_name, g_free);
  g_clear_pointer (&self->display_name, g_free);
  g_clear_pointer (&self->openrouter_id, g_free);

  G_OBJECT_CLASS (rw_model_parent_class)->finalize (object);
}

static void
rw_model_get_property (GObject    *object,
                       guint       prop_id,
                       GValue     *value,
                       GParamSpec *pspec)
{
  RwModel *self = RW_MODEL (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_string (value, self->id);
      break;
    case PROP_DISPLAY_NAME:
      g_value_set_string (value, rw_model_get_display_name (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
rw_model_class_init (RwModelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = rw_model_finalize;
  object_class->get_property = rw_model_get_property;

  properties[PROP_ID] =
    g_param_spec_string ("id", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_DISPLAY_NAME] =
    g_param_spec_string ("display-name", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
rw_model_init (RwModel *self)
{
}

/**
 * rw_model_new:
 * @id: the catalog id, `provider/name`
 * @provider_id: the id of the provider that serves it
 * @upstream_name: the name the provider knows it by
 *
 * Returns: (transfer full): a model with no price and an unknown context length
 */
RwModel *
rw_model_new (const char *id,
              const char *provider_id,
              const char *upstream_name)
{
  RwModel *self;

  g_return_val_if_fail (id != NULL, NULL);
  g_return_val_if_fail (provider_id != NULL, NULL);
  g_return_val_if_fail (upstream_name != NULL, NULL);

  self = g_object_new (RW_TYPE_MODEL, NULL);
  self->id = g_strdup (id);
  self->provider_id = g_strdup (provider_id);
  self->upstream_name = g_strdup (upstream_name);
  return self;
}

const char *
rw_model_get_id (RwModel *self)
{
  g_return_val_if_fail (RW_IS_MODEL (self), NULL);
  return self->id;
}

const char *
rw_model_get_provider_id (RwModel *self)
{
  g_return_val_if_fail (RW_IS_MODEL (self), NULL);
  return self->provider_id;
}

const char *
rw_model_get_upstream_name (RwModel *self)
{
  g_return_val_if_fail (RW_IS_MODEL (self), NULL);
  return self->upstream_name;
}

const char *
rw_model_get_display_name (RwModel *self)
{
  g_return_val_if_fail (RW_IS_MODEL (self), NULL);
  return self->display_name ? self->display_name : self->id;
}

void
rw_model_set_display_name (RwModel    *self,
                           const char *display_name)
{
  g_return_if_fail (RW_IS_MODEL (self));
  if (g_strcmp0 (self->display_name, display_name) == 0)
    return;
  g_free (self->display_name);
  self->display_name = g_strdup (display_name);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DISPLAY_NAME]);
}

/**
 * rw_model_get_openrouter_id:
 * @self: a #RwModel
 *
 * Returns: (nullable): the id OpenRouter serves the same model under
 */
const char *
rw_model_get_openrouter_id (RwModel *self)
{
  g_return_val_if_fail (RW_IS_MODEL (self), NULL);
  return self->openrouter_id;
}

void
rw_model_set_openrouter_id (RwModel    *self,
                            const char *openrouter_id)
{
  g_return_if_fail (RW_IS_MODEL (self));
  g_free (self->openrouter_id);
  self->openrouter_id = g_strdup (openrouter_id);
}

gboolean
rw_model_has_price (RwModel *self)
{
  g_return_val_if_fail (RW_IS_MODEL (self), FALSE);
  return self->has_price;
}

double
rw_model_get_input_price (RwModel *self)
{
  g_return_val_if_fail (RW_IS_MODEL (self), NAN);
  return self->has_price ? self->input_price : NAN;
}

double
rw_model_get_output_price (RwModel *self)
{
  g_return_val_if_fail (RW_IS_MODEL (self), NAN);
  return self->has_price ? self->output_price : NAN;
}

/**
 * rw_model_set_price:
 * @self: a #RwModel
 * @input_per_million: US dollars per million input tokens
 * @output_per_million: US dollars per million output tokens
 *
 * Sets the price; a negative or non-finite price clears it.
 */
void
rw_model_set_price (RwModel *self,
                    double   input_per_million,
                    double   output_per_million)
{
  g_return_if_fail (RW_IS_MODEL (self));

  if (!isfinite (input_per_million) || !isfinite (output_per_million) ||
      input_per_million < 0 || output_per_million < 0)
    {
      self->has_price = FALSE;
      return;
    }
  self->input_price = input_per_million;
  self->output_price = output_per_million;
  self->has_price = TRUE;
}

gint64
rw_model_get_context_length (RwModel *self)
{
  g_return_val_if_fail (RW_IS_MODEL (self), 0);
  return self->context_length;
}

void
rw_model_set_context_length (RwModel *self,
                             gint64   context_length)
{
  g_return_if_fail (RW_IS_MODEL (self));
  self->context_length = MAX (0, context_length);
}

/**
 * rw_model_compute_cost:
 * @self: a #RwModel
 * @tokens_in: input tokens, or a negative number when unknown
 * @tokens_out: output tokens, or a negative number when unknown
 *
 * Returns: the cost in US dollars from the catalog's prices, or NAN when the price or the
 *   token counts are unknown
 */
double
rw_model_compute_cost (RwModel *self,
                       gint64   tokens_in,
                       gint64   tokens_out)
{
  g_return_val_if_fail (RW_IS_MODEL (self), NAN);

  if (!self->has_price || tokens_in < 0 || tokens_out < 0)
    return NAN;
  return ((double) tokens_in * self->input_price +
          (double) tokens_out * self->output_price) / 1e6;
}

/**
 * rw_model_set_capabilities:
 * @self: a #RwModel
 * @known: the capabilities the model's source says something of
 * @has: those of @known it has
 *
 * Records what the provider's model list or providers.json says the model can do. What is
 * not known is taken as possible: the upstream has the last word.
 */
void
rw_model_set_capabilities (RwModel             *self,
                           RwModelCapabilities  known,
                           RwModelCapabilities  has)
{
  g_return_if_fail (RW_IS_MODEL (self));
  self->known = known;
  self->has = has & known;
}

RwModelCapabilities
rw_model_get_known_capabilities (RwModel *self)
{
  g_return_val_if_fail (RW_IS_MODEL (self), 0);
  return self->known;
}

RwModelCapabilities
rw_model_get_capabilities (RwModel *self)
{
  g_return_val_if_fail (RW_IS_MODEL (self), 0);
  return self->has;
}

/**
 * rw_model_lacks:
 * @self: a #RwModel
 * @needs: what a request needs
 *
 * Returns: the capabilities of @needs the model is known not to have
 */
RwModelCapabilities
rw_model_lacks (RwModel             *self,
                RwModelCapabilities  needs)
{
  g_return_val_if_fail (RW_IS_MODEL (self), 0);
  return needs & self->known & ~self->has;
}

/**
 * rw_model_capability_name:
 * @capability: one #RwModelCapabilities flag
 *
 * Returns: its name, as providers.json's "capabilities" spells it
 */
const char *
rw_model_capability_name (RwModelCapabilities capability)
{
  switch (capability)
    {
    case RW_MODEL_CAN_TOOLS: return "tools";
    case RW_MODEL_CAN_IMAGES: return "images";
    case RW_MODEL_CAN_JSON_SCHEMA: return "json_schema";
    case RW_MODEL_CAN_REASONING: return "reasoning";
    default: return NULL;
    }
}
