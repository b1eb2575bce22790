/* A tiny auth plugin for the gate's tests and benchmark: a fixed table of keys compared as plain
 * strings (a real plugin compares digests). Keys come from X-API-Key or Authorization: Bearer. */
#include <bambuddy/abi.h>

#include <stdlib.h>
#include <string.h>

typedef struct test_key {
  const char* key;
  const char* id;
  const char* name;
  uint64_t permissions;
  uint32_t write_limit; /* per-key override, 0 = server default */
  const char* refusal;  /* non-NULL: BB_AUTH_INVALID with this reason */
} test_key;

static const test_key kKeys[] = {
    {"bb_test_admin", "key-admin", "admin key", BB_PERM_ADMIN, 0, NULL},
    {"bb_test_reader", "key-reader", "reader key", BB_PERM_PRINTERS_READ, 0, NULL},
    {"bb_test_writer", "key-writer", "writer key", BB_PERM_QUEUE_WRITE | BB_PERM_QUEUE_READ, 2, NULL},
    {"bb_test_expired", "key-expired", "expired key", BB_PERM_ADMIN, 0, "api_key_expired"},
};

static int32_t ta_create(const bb_host_api* host, bb_host_ctx* ctx, const char* config, size_t config_len,
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

static void ta_destroy(void* instance) {
  free(instance);
}

static void copy_text(char* dst, size_t cap, const char* src) {
  size_t n = strlen(src);
  if (n >= cap) {
    n = cap - 1;
  }
  memcpy(dst, src, n);
  dst[n] = '\0';
}

static int32_t ta_authenticate(void* self, const bb_auth_request* req, bb_principal* out, bb_error* err) {
  const char* key = NULL;
  size_t len = 0;
  size_t i;
  (void)self;
  if (req->api_key_header != NULL) {
    key = req->api_key_header;
    len = req->api_key_header_len;
  } else if (req->authorization_header != NULL && req->authorization_header_len > 7 &&
             strncmp(req->authorization_header, "Bearer ", 7) == 0) {
    key = req->authorization_header + 7;
    len = req->authorization_header_len - 7;
  }
  if (key == NULL) {
    return BB_AUTH_NO_CREDENTIALS;
  }
  if (len == 13 && memcmp(key, "bb_test_error", 13) == 0) {
    copy_text(err->reason, sizeof err->reason, "backend_down");
    copy_text(err->message, sizeof err->message, "test backend failure");
    return BB_ERR_UNAVAILABLE;
  }
  for (i = 0; i < sizeof kKeys / sizeof kKeys[0]; ++i) {
    const test_key* k = &kKeys[i];
    if (strlen(k->key) == len && memcmp(k->key, key, len) == 0) {
      if (k->refusal != NULL) {
        copy_text(err->reason, sizeof err->reason, k->refusal);
        copy_text(err->message, sizeof err->message, "the API key has expired");
        return BB_AUTH_INVALID;
      }
      copy_text(out->id, sizeof out->id, k->id);
      copy_text(out->display_name, sizeof out->display_name, k->name);
      out->permissions = k->permissions;
      out->rate_limit_write = k->write_limit;
      return BB_AUTH_OK;
    }
  }
  copy_text(err->reason, sizeof err->reason, "invalid_api_key");
  copy_text(err->message, sizeof err->message, "the API key is not valid");
  return BB_AUTH_INVALID;
}

static const bb_auth_ops ta_ops = {sizeof(bb_auth_ops), ta_authenticate};

#define TA_SCHEMA "{\"type\":\"object\",\"additionalProperties\":false}"

static const bb_plugin_descriptor ta_descriptor = {sizeof(bb_plugin_descriptor),
                                                   BB_ABI_MAJOR,
                                                   BB_ABI_MINOR,
                                                   BB_KIND_AUTH,
                                                   "auth.test",
                                                   "1.0.0",
                                                   "fixed test keys",
                                                   TA_SCHEMA,
                                                   TA_SCHEMA,
                                                   ta_create,
                                                   ta_destroy,
                                                   &ta_ops};

BB_EXPORT const bb_plugin_descriptor* bb_plugin_query(uint32_t major, uint32_t minor) {
  (void)major;
  (void)minor;
  return &ta_descriptor;
}
