/* Shared pieces of the ABI conformance plugins: a do-nothing storage ops table and a descriptor
 * builder. Each plugin in this folder breaks exactly one rule of sdk/ABI.md (or none, for ok). */
#ifndef BAMBUDDY_TEST_PLUGIN_H
#define BAMBUDDY_TEST_PLUGIN_H

#include <bambuddy/abi.h>

#include <stdlib.h>

static int32_t tp_create(const bb_host_api* host, bb_host_ctx* ctx, const char* config, size_t config_len,
                         const char* settings, size_t settings_len, void** out, bb_error* err) {
  (void)host;
  (void)ctx;
  (void)config;
  (void)config_len;
  (void)settings;
  (void)settings_len;
  (void)err;
  *out = malloc(1);
  return *out != NULL ? BB_OK : BB_ERR_INTERNAL;
}
static void tp_destroy(void* instance) {
  free(instance);
}
static int32_t tp_put(void* self, const char* key, size_t key_len, const char* data, size_t len,
                      bb_error* err) {
  (void)self;
  (void)key;
  (void)key_len;
  (void)data;
  (void)len;
  (void)err;
  return BB_OK;
}
static int32_t tp_get(void* self, const char* key, size_t key_len, bb_write_fn out, void* user,
                      bb_error* err) {
  (void)self;
  (void)key;
  (void)key_len;
  (void)err;
  out(user, "x", 1);
  return BB_OK;
}
static int32_t tp_remove(void* self, const char* key, size_t key_len, bb_error* err) {
  (void)self;
  (void)key;
  (void)key_len;
  (void)err;
  return BB_OK;
}
static int32_t tp_list(void* self, const char* prefix, size_t prefix_len, bb_blob_visit_fn visit, void* user,
                       bb_error* err) {
  (void)self;
  (void)prefix;
  (void)prefix_len;
  (void)visit;
  (void)user;
  (void)err;
  return BB_OK;
}
static const bb_storage_ops tp_storage_ops = {sizeof(bb_storage_ops), tp_put, tp_get, tp_remove, tp_list};

#define TP_SCHEMA "{\"type\":\"object\",\"additionalProperties\":false}"

#define TP_DESCRIPTOR(var, size, major, minor, plugin_name)                                                  \
  static const bb_plugin_descriptor var = {(size),                                                           \
                                           (major),                                                          \
                                           (minor),                                                          \
                                           BB_KIND_STORAGE,                                                  \
                                           plugin_name,                                                      \
                                           "1.0.0",                                                          \
                                           "ABI conformance test plugin",                                    \
                                           TP_SCHEMA,                                                        \
                                           TP_SCHEMA,                                                        \
                                           tp_create,                                                        \
                                           tp_destroy,                                                       \
                                           &tp_storage_ops}

#endif
