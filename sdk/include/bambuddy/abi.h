/* SPDX-License-Identifier: MIT */
/*
 * bambuddy/abi.h — the binary contract between the Bambuddy server and its plugins.
 *
 * This is the only interface a plugin shares with the host. It is plain C99 so that a plugin built
 * with another compiler, another C++ standard library or another language keeps working.
 *
 * Compatibility policy (details and changelog: sdk/ABI.md):
 *   - The host loads a plugin when abi_major is equal and abi_minor is not newer than its own.
 *     While the major is 0 the minor must match exactly.
 *   - A minor release only appends: new fields at the end of structs, new function pointers at the
 *     end of tables. Nothing is reordered, removed or retyped. Additions are marked "since 0.N".
 *   - Every struct that crosses the boundary starts with `uint32_t struct_size`; a reader checks
 *     BB_HAS_FIELD before touching a field newer than the struct's writer may know.
 *   - A NULL function pointer in a table means "not provided".
 *   - scripts/abi-check compares the hash of this file with the one recorded in sdk/ABI.md.
 *
 * Conventions used by every function below:
 *   - Strings passed in are UTF-8, borrowed for the duration of the call only, and come with an
 *     explicit length where they may be large; `const char*` without a length is NUL-terminated.
 *   - Memory is never freed by the side that did not allocate it. Data flows out of a call through
 *     a caller-supplied bb_write_fn sink that the callee invokes (possibly several times, appending)
 *     before returning; the caller copies what it receives.
 *   - Functions returning int32_t return BB_OK (0) on success or one of the BB_ERR_* codes, and fill
 *     the caller-owned bb_error when they fail. Exceptions and longjmp never cross the boundary.
 *   - Structured data crosses as UTF-8 JSON text.
 */
#ifndef BAMBUDDY_ABI_H
#define BAMBUDDY_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------------
 * Versions
 * ------------------------------------------------------------------------------------------- */

#define BB_ABI_MAJOR 0u
#define BB_ABI_MINOR 6u

/* The one symbol every plugin exports. */
#define BB_PLUGIN_QUERY_SYMBOL "bb_plugin_query"

#if defined(__GNUC__)
#define BB_EXPORT __attribute__((visibility("default")))
#else
#define BB_EXPORT
#endif

/* True when the struct `p` of type T, written by a peer, is large enough to contain `field`. */
#define BB_HAS_FIELD(T, p, field)                                                                            \
  ((p) != NULL && (size_t)(p)->struct_size >= offsetof(T, field) + sizeof(((T*)0)->field))

/* ---------------------------------------------------------------------------------------------
 * Status codes and errors
 * ------------------------------------------------------------------------------------------- */

#define BB_OK 0
#define BB_ERR_INVALID_ARGUMENT 1 /* the input was malformed or not acceptable */
#define BB_ERR_NOT_FOUND 2        /* the named thing does not exist */
#define BB_ERR_UNSUPPORTED 3      /* this plugin or host cannot do that */
#define BB_ERR_UNAVAILABLE 4      /* temporarily impossible (not connected, busy); may be retried */
#define BB_ERR_IO 5               /* a file, network or database operation failed */
#define BB_ERR_CONFLICT 6         /* the request does not fit the current state */
#define BB_ERR_INTERNAL 7         /* a bug, or an exception caught at the boundary */

/* Filled by the callee when it returns an error. Owned by the caller, usually on its stack.
 * `reason` is a short machine-readable code (e.g. "api_key_expired"); `message` is human text.
 * Both are always NUL-terminated; text that does not fit is truncated. */
typedef struct bb_error {
  uint32_t struct_size; /* sizeof(bb_error) as known by the caller */
  int32_t code;         /* one of BB_ERR_* (BB_OK when nothing went wrong) */
  char reason[64];
  char message[448];
} bb_error;

/* ---------------------------------------------------------------------------------------------
 * Common callback types
 * ------------------------------------------------------------------------------------------- */

/* A sink for bytes flowing out of a call. The callee may invoke it several times; chunks are
 * appended. `data` is borrowed for the duration of the sink call. Called on the callee's thread,
 * before the call that received the sink returns. */
typedef void (*bb_write_fn)(void* user, const char* data, size_t len);

/* Opaque per-instance handle the host gives to each plugin instance. Valid from `create` until
 * `destroy` returns. */
typedef struct bb_host_ctx bb_host_ctx;

/* ---------------------------------------------------------------------------------------------
 * Events (the bus)
 * ------------------------------------------------------------------------------------------- */

/* An event delivered to a subscriber. Borrowed: every pointer is valid only during the callback. */
typedef struct bb_event {
  uint32_t struct_size;
  const char* id;           /* unique, e.g. "evt_..." */
  const char* type;         /* topic, e.g. "print_started" */
  int64_t timestamp_ms;     /* UTC, ms since the Unix epoch */
  const char* payload_json; /* UTF-8 JSON object */
  size_t payload_len;
  uint32_t payload_version; /* payloads only gain fields within one version */
} bb_event;

/* Called on a bus dispatch thread, never on the publisher's thread. Must return quickly; it must not
 * block on the host. `user` is the pointer given to subscribe. */
typedef void (*bb_event_fn)(void* user, const bb_event* event);

/* Visitor for kv_scan: return 0 to continue, non-zero to stop. Arguments borrowed for the call. */
typedef int32_t (*bb_kv_visit_fn)(void* user, const char* key, size_t key_len, const char* value_json,
                                  size_t value_len);

/* ---------------------------------------------------------------------------------------------
 * Log levels
 * ------------------------------------------------------------------------------------------- */

#define BB_LOG_DEBUG 1
#define BB_LOG_INFO 2
#define BB_LOG_WARN 3
#define BB_LOG_ERROR 4

/* ---------------------------------------------------------------------------------------------
 * Plugin REST routes (since 0.2)
 * ------------------------------------------------------------------------------------------- */

/* Rate classes of a route: each has its own per-caller limit (API.md "Rate limits"). */
#define BB_RATE_READ 1u
#define BB_RATE_WRITE 2u
#define BB_RATE_CONTROL 3u

/* Flags of register_route_with_body (since 0.4). */
#define BB_BODY_OPTIONAL 1u /* an empty body is read as {} instead of being refused */

struct bb_principal;

/* A request routed to a plugin. Borrowed: every pointer is valid only during the handler call. */
typedef struct bb_http_request {
  uint32_t struct_size;
  const char* method;       /* "GET", "POST", ... */
  const char* path;         /* as sent, without the query string */
  const char* query_string; /* raw text after '?', "" when none; may carry secrets: never log it */
  const char* body;         /* request body (not NUL-terminated) */
  size_t body_len;
  const char* client_ip; /* after trusted-proxy processing */
  /* The route's {name} segments, decoded: names[i] = values[i] for i < param_count. */
  const char* const* param_names;
  const char* const* param_values;
  size_t param_count;
  /* Decoded query parameters, likewise (first value of a repeated name). */
  const char* const* query_names;
  const char* const* query_values;
  size_t query_count;
  /* The authenticated caller. */
  const struct bb_principal* principal;
} bb_http_request;

/* Handles one request on a host worker thread (several may run at once). Sets *out_status
 * (200..599) and writes a JSON body to `body_out`, then returns BB_OK. Returning an error code
 * instead makes the host answer with {"detail": err->message, "code": err->reason} and the status
 * for that code: BB_ERR_INVALID_ARGUMENT 400, BB_ERR_NOT_FOUND 404, BB_ERR_CONFLICT 409,
 * BB_ERR_UNSUPPORTED 422, BB_ERR_UNAVAILABLE 503, anything else 500 with a generic message. */
typedef int32_t (*bb_route_fn)(void* user, const bb_http_request* request, int32_t* out_status,
                               bb_write_fn body_out, void* body_user, bb_error* err);

/* ---------------------------------------------------------------------------------------------
 * Host services
 *
 * The host passes one table to `create`; it stays valid until the instance's `destroy` returns.
 * Every function takes the instance's own ctx. Unless noted, functions are thread-safe and may be
 * called from any thread, including a bus callback, but not after `destroy` has started.
 * ------------------------------------------------------------------------------------------- */

typedef struct bb_host_api {
  uint32_t struct_size;
  uint32_t abi_major; /* the host's ABI version */
  uint32_t abi_minor;

  /* Writes one log line tagged with the plugin name and instance id. Never log secrets. */
  void (*log)(bb_host_ctx* ctx, int32_t level, const char* message, size_t len);

  /* Publishes an event on the bus. Returns at once (delivery is asynchronous). BB_ERR_INVALID_ARGUMENT
   * when the topic is empty or the payload is not a JSON object; BB_ERR_UNAVAILABLE when the bus
   * queue is full (the event is dropped and counted). */
  int32_t (*publish)(bb_host_ctx* ctx, const char* topic, const char* payload_json, size_t len,
                     uint32_t payload_version, bb_error* err);

  /* Subscribes to a topic ("*" = every topic). `cb` runs on a bus thread with `user`. The id written
   * to `out_id` is used to unsubscribe. All of an instance's subscriptions are dropped by the host
   * before its `destroy` is called. */
  int32_t (*subscribe)(bb_host_ctx* ctx, const char* topic, bb_event_fn cb, void* user, uint64_t* out_id,
                       bb_error* err);

  /* Drops a subscription. When it returns, `cb` is not running and will not be called again for it
   * (unless called from inside that very callback, which then simply is not called again).
   * BB_ERR_NOT_FOUND for an unknown id or one owned by another instance. */
  int32_t (*unsubscribe)(bb_host_ctx* ctx, uint64_t id, bb_error* err);

  /* Persistent JSON documents in the core database, namespaced by plugin name (instances of one
   * plugin share a namespace). Keys: 1..256 bytes. Values: valid JSON, at most 1 MiB. These calls do
   * blocking I/O: do not call them from a bus callback that must return quickly. */
  /* Writes the stored value to `out`; BB_ERR_NOT_FOUND when absent. */
  int32_t (*kv_get)(bb_host_ctx* ctx, const char* key, size_t key_len, bb_write_fn out, void* out_user,
                    bb_error* err);
  int32_t (*kv_put)(bb_host_ctx* ctx, const char* key, size_t key_len, const char* value_json,
                    size_t value_len, bb_error* err);
  /* BB_ERR_NOT_FOUND when there was nothing to delete. */
  int32_t (*kv_delete)(bb_host_ctx* ctx, const char* key, size_t key_len, bb_error* err);
  /* Visits every key starting with `prefix` (empty = all), in byte order. */
  int32_t (*kv_scan)(bb_host_ctx* ctx, const char* prefix, size_t prefix_len, bb_kv_visit_fn visit,
                     void* user, bb_error* err);

  /* A writable directory for this instance, created by the host. The string stays valid until
   * `destroy` returns. */
  const char* (*data_dir)(bb_host_ctx* ctx);

  /* Wall-clock UTC time in ms since the Unix epoch (the host's clock, replaceable in tests). */
  int64_t (*now_ms)(bb_host_ctx* ctx);

  /* Printer drivers only: report this printer's full normalized status (JSON object). The core
   * copies it (the caller keeps ownership of `status_json`) and derives print events from state
   * changes; every report reaches the lifecycle detector, in the order this instance made them.
   * Any thread. Usually returns at once; when the core is behind on this printer (hundreds of
   * reports waiting) it waits for room, at most 2 s, then refuses: BB_ERR_UNAVAILABLE, the report
   * is dropped and counted. So do not hold a lock the driver's other threads need across the call.
   * BB_ERR_UNSUPPORTED when called by an instance of another kind. */
  int32_t (*report_status)(bb_host_ctx* ctx, const char* status_json, size_t len, bb_error* err);

  /* since 0.2 */

  /* Adds a REST route served by this instance. `method` is "GET", "POST", "PUT", "PATCH" or
   * "DELETE"; `pattern` starts with "/api/v1/" and may hold whole-segment parameters ("{id}").
   * `permission` is one BB_PERM_* bit the caller needs, or 0 for any authenticated caller;
   * `rate_class` is BB_RATE_*. Only callers that pass authentication reach the handler. The route
   * lives until the server stops; after the instance is destroyed it answers 503. Call it from
   * `create`. BB_ERR_CONFLICT when the method and pattern are taken or the route would shadow a
   * core route (take requests a core route answers), BB_ERR_INVALID_ARGUMENT for a
   * bad method, pattern, permission or rate class, BB_ERR_UNSUPPORTED when the host serves no
   * HTTP (e.g. --check-config). */
  int32_t (*register_route)(bb_host_ctx* ctx, const char* method, const char* pattern, uint64_t permission,
                            uint32_t rate_class, bb_route_fn handler, void* user, bb_error* err);

  /* The server's data directory (the parent of every instance's data_dir), for files an operator
   * looks for there, e.g. a bootstrap credential. Valid until `destroy` returns. */
  const char* (*server_data_dir)(bb_host_ctx* ctx);

  /* since 0.4 */

  /* register_route for a route that takes a JSON body, declared as a JSON Schema (`body_schema`,
   * `schema_len` bytes of JSON; borrowed for the call, the host keeps its own copy). The schema must
   * be an object schema ("type": "object"); draft-07 keywords, and the ones valid in OpenAPI 3.1,
   * are understood. The host checks every body against it after authentication and before the
   * handler runs, so the handler only ever sees a JSON object that meets it; a body that does not
   * is answered 400 {"detail", "code", "errors": [{"path", "message"}]} without calling the handler.
   * The code is "unknown_field" for an undeclared key, else the top-level property's
   * "x-error-code" when it declares one, else "invalid_<property>". Bodies deeper than 64 levels
   * or larger than 1 MiB are refused before parsing. `body_flags`: BB_BODY_OPTIONAL or 0. The same
   * schema is published in GET /api/v1/openapi.json, so the document and the check never differ.
   * Errors as register_route, plus BB_ERR_INVALID_ARGUMENT (reason "invalid_body_schema") when the
   * schema is not valid JSON or not a usable object schema ("json_too_deep" / "json_too_large" past
   * the JSON limits, as for every document a plugin hands over). When an instance with the same plugin
   * and instance id registers a route again (after a reload), the first registration's schema
   * stays in force. */
  int32_t (*register_route_with_body)(bb_host_ctx* ctx, const char* method, const char* pattern,
                                      uint64_t permission, uint32_t rate_class, const char* body_schema,
                                      size_t schema_len, uint32_t body_flags, bb_route_fn handler, void* user,
                                      bb_error* err);

  /* since 0.5 */

  /* Asks the core to pause, resume or stop a printer, as POST /api/v1/printers/{id}/print/<action>
   * does. `command_json` (`len` bytes, borrowed for the call) is {"action":"pause"|"resume"|"stop"};
   * no other action is accepted through this call (BB_ERR_INVALID_ARGUMENT), so a plugin cannot
   * start prints or send driver-specific commands. The printer's driver executes it; its result
   * object is written to `out` (at least "{}") before the call returns. The host logs every call
   * (printer id, action, plugin instance). Errors: BB_ERR_NOT_FOUND for an unknown printer,
   * BB_ERR_CONFLICT when the printer's state does not allow it, BB_ERR_UNAVAILABLE when the
   * printer is not connected, BB_ERR_UNSUPPORTED when its driver cannot do it or the host has no
   * printers (e.g. --check-config). Any thread; it waits for the driver (usually milliseconds,
   * longer for a slow printer), so do not call it from a bus callback. The plugin decides who may
   * trigger it: the host does not authenticate anyone behind the call. */
  int32_t (*printer_command)(bb_host_ctx* ctx, int64_t printer_id, const char* command_json, size_t len,
                             bb_write_fn out, void* out_user, bb_error* err);
} bb_host_api;

/* ---------------------------------------------------------------------------------------------
 * Plugin kinds and their ops tables
 *
 * Each ops function receives the instance pointer returned by `create` as `self`. Unless the
 * plugin documents otherwise, the host may call ops of one instance from several threads at once.
 * ------------------------------------------------------------------------------------------- */

#define BB_KIND_INVALID 0u
#define BB_KIND_PRINTER_DRIVER 1u
#define BB_KIND_AUTH 2u
#define BB_KIND_STORAGE 3u
#define BB_KIND_NOTIFIER 4u

/* Printer driver: one instance per printer. */
typedef struct bb_printer_driver_ops {
  uint32_t struct_size;
  /* Begin connecting; returns without waiting for the connection. Status arrives via report_status. */
  int32_t (*start)(void* self, bb_error* err);
  /* Disconnect and stop every thread of this instance; no report_status call after it returns. */
  int32_t (*stop)(void* self, bb_error* err);
  /* Executes a command given as JSON, e.g. {"action":"pause"}; {"action":"start_print",...}.
   * A JSON result (object) may be written to `out`. BB_ERR_UNSUPPORTED for actions the driver
   * cannot do, BB_ERR_CONFLICT when the printer state does not allow it, BB_ERR_UNAVAILABLE when
   * not connected. */
  int32_t (*command)(void* self, const char* command_json, size_t len, bb_write_fn out, void* out_user,
                     bb_error* err);
  /* Writes a JSON object describing what the driver can do, e.g. {"pause":true,"start_print":false}. */
  int32_t (*capabilities)(void* self, bb_write_fn out, void* out_user, bb_error* err);
} bb_printer_driver_ops;

/* Permission bits carried by a principal; wire names in parentheses. */
#define BB_PERM_PRINTERS_READ (1u << 0)    /* printers:read */
#define BB_PERM_PRINTERS_CONTROL (1u << 1) /* printers:control */
#define BB_PERM_ARCHIVES_READ (1u << 2)    /* archives:read */
#define BB_PERM_ARCHIVES_WRITE (1u << 3)   /* archives:write */
#define BB_PERM_STATISTICS_READ (1u << 4)  /* statistics:read */
#define BB_PERM_QUEUE_READ (1u << 5)       /* queue:read */
#define BB_PERM_QUEUE_WRITE (1u << 6)      /* queue:write */
#define BB_PERM_SETTINGS_READ (1u << 7)    /* settings:read */
#define BB_PERM_SETTINGS_WRITE (1u << 8)   /* settings:write */
#define BB_PERM_ADMIN (1u << 9)            /* admin: implies every other permission */

/* What an authenticator sees of a request. Borrowed for the duration of the call; absent headers
 * are NULL with length 0. */
typedef struct bb_auth_request {
  uint32_t struct_size;
  const char* method;         /* "GET", "POST", ... */
  const char* path;           /* without query string */
  const char* client_ip;      /* after trusted-proxy processing */
  const char* api_key_header; /* X-API-Key */
  size_t api_key_header_len;
  const char* authorization_header; /* Authorization */
  size_t authorization_header_len;
} bb_auth_request;

#define BB_MAX_PRINCIPAL_PRINTERS 64

/* The identity an authenticator establishes. The host zero-fills it and sets struct_size before
 * the call; the plugin fills it on BB_AUTH_OK. */
typedef struct bb_principal {
  uint32_t struct_size;
  char id[64];            /* stable id, e.g. the key id */
  char display_name[128]; /* shown in logs and the audit trail */
  uint64_t permissions;   /* BB_PERM_* bits */
  uint32_t printer_count; /* 0 = every printer; else only printer_ids[0..printer_count) */
  int64_t printer_ids[BB_MAX_PRINCIPAL_PRINTERS];
  uint32_t rate_limit_read; /* requests per 60 s; 0 = the server default */
  uint32_t rate_limit_write;
  uint32_t rate_limit_control;
} bb_principal;

#define BB_AUTH_OK 0             /* credentials valid; principal filled */
#define BB_AUTH_NO_CREDENTIALS 1 /* nothing for this authenticator; the host asks the next one */
#define BB_AUTH_INVALID 2        /* credentials present but refused: 401 with err->reason/message */

typedef struct bb_auth_ops {
  uint32_t struct_size;
  /* Hot path: must not block on I/O. Returns one of BB_AUTH_* or a BB_ERR_* code on failure. */
  int32_t (*authenticate)(void* self, const bb_auth_request* request, bb_principal* out, bb_error* err);
} bb_auth_ops;

/* Outcome of one delivery attempt. The host zero-fills it and sets struct_size before the call. */
#define BB_DELIVERY_DELIVERED 1
#define BB_DELIVERY_RETRYABLE 2 /* try again later (retry_after_ms if the receiver said when) */
#define BB_DELIVERY_PERMANENT 3 /* do not retry (e.g. 4xx); http_status 410 disables the provider */

typedef struct bb_delivery_result {
  uint32_t struct_size;
  int32_t outcome;             /* BB_DELIVERY_* */
  int32_t http_status;         /* 0 when not HTTP or no response */
  int64_t retry_after_ms;      /* 0 = no hint */
  char response_snippet[1024]; /* start of the receiver's answer, NUL-terminated, may be empty */
  char error[256];             /* human text for failures, never containing secrets */
} bb_delivery_result;

/* since 0.6: an image that belongs to a notification: the print's thumbnail from its archive, or
 * (role "finish_photo") a photo of the finished print once a camera plugin provides one. Borrowed:
 * every pointer is valid only during the call that receives it. */
typedef struct bb_attachment {
  uint32_t struct_size;
  const char* role;         /* "thumbnail" or "finish_photo"; NUL-terminated */
  const char* filename;     /* e.g. "thumbnail.png": [A-Za-z0-9._-] only; NUL-terminated */
  const char* content_type; /* "image/png" or "image/jpeg"; NUL-terminated */
  const uint8_t* data;
  size_t len; /* 1 .. the server's notifications.max_attachment_bytes */
} bb_attachment;

typedef struct bb_notifier_ops {
  uint32_t struct_size;
  /* Delivers one notification (JSON: {"id","event","timestamp","data"}) before the UTC deadline
   * `deadline_ms`. Called on a host delivery thread; the host owns retries and durability. */
  int32_t (*send)(void* self, const char* notification_json, size_t len, int64_t deadline_ms,
                  bb_delivery_result* result, bb_error* err);

  /* since 0.6: both may be NULL. */

  /* Like send, for a notification that comes with `count` (>= 1) images, in the order the host
   * prefers them (thumbnail first). The plugin sends them where its service takes images and
   * ignores them otherwise; an image the service refuses (too large, wrong type) should not fail
   * the delivery when the text can still go. When this is NULL, or a notification has no image
   * (none stored, or larger than the server's cap), the host calls send. Same thread and deadline
   * rules as send; `attachments` and their bytes are borrowed for the call. */
  int32_t (*send_with_attachments)(void* self, const char* notification_json, size_t len,
                                   const bb_attachment* attachments, size_t count, int64_t deadline_ms,
                                   bb_delivery_result* result, bb_error* err);
  /* Describes, without sending anything, the message send would deliver for this notification:
   * writes one JSON object through `out` (possibly in several calls, appending) with at least
   * "title" and "message" (strings; "title" may be empty where the service has none) and whatever
   * else the service shows (e.g. "fields", "priority"). Serves the preview route and the web UI's
   * provider form. Must not touch the network or block: it is called on an HTTP worker thread,
   * possibly while send runs on another thread. BB_ERR_INVALID_ARGUMENT with a reason when a
   * template cannot be rendered. */
  int32_t (*preview)(void* self, const char* notification_json, size_t len, bb_write_fn out, void* out_user,
                     bb_error* err);
} bb_notifier_ops;

/* Visitor for blob listing: return 0 to continue, non-zero to stop. */
typedef int32_t (*bb_blob_visit_fn)(void* user, const char* key, size_t key_len, uint64_t size_bytes);

/* Blob store for archive files. Keys are relative paths of [A-Za-z0-9._-] segments joined by '/';
 * anything else (empty segments, "..", absolute paths) is BB_ERR_INVALID_ARGUMENT. */
typedef struct bb_storage_ops {
  uint32_t struct_size;
  /* Stores `data` under `key`, replacing any previous blob atomically (readers see old or new). */
  int32_t (*put)(void* self, const char* key, size_t key_len, const char* data, size_t len, bb_error* err);
  /* Writes the blob to `out`; BB_ERR_NOT_FOUND when absent. */
  int32_t (*get)(void* self, const char* key, size_t key_len, bb_write_fn out, void* out_user, bb_error* err);
  /* BB_ERR_NOT_FOUND when absent. */
  int32_t (*remove)(void* self, const char* key, size_t key_len, bb_error* err);
  /* Visits every blob whose key starts with `prefix` (empty = all), in byte order of keys. */
  int32_t (*list)(void* self, const char* prefix, size_t prefix_len, bb_blob_visit_fn visit, void* user,
                  bb_error* err);

  /* since 0.3: large blobs without holding them in memory. Both may be NULL (or absent when
   * struct_size is smaller): the host then falls back to put/get with the whole blob in memory. */

  /* Stores the first `size` bytes of the file open as `fd` under `key`, with put's guarantees.
   * Read it with pread from offset 0 (its file offset is unspecified). The descriptor belongs to
   * the host and stays open for the call; the plugin must not close it or keep it. Called on a
   * host worker thread; may block on the store's own I/O. */
  int32_t (*put_fd)(void* self, const char* key, size_t key_len, int fd, uint64_t size, bb_error* err);
  /* Opens the blob for reading: writes a new read-only descriptor to *out_fd and the blob's size to
   * *out_size. The caller owns the descriptor and closes it; the bytes it reads stay those of the
   * blob as it was when opened, even if it is replaced or removed meanwhile. BB_ERR_NOT_FOUND when
   * absent, BB_ERR_UNSUPPORTED when the store has no local file to offer (the host then uses
   * get). Thread-safe. */
  int32_t (*open_read)(void* self, const char* key, size_t key_len, int* out_fd, uint64_t* out_size,
                       bb_error* err);
} bb_storage_ops;

/* ---------------------------------------------------------------------------------------------
 * The descriptor
 * ------------------------------------------------------------------------------------------- */

typedef struct bb_plugin_descriptor {
  uint32_t struct_size;        /* sizeof(bb_plugin_descriptor) when the plugin was built */
  uint32_t abi_major;          /* BB_ABI_MAJOR at build time */
  uint32_t abi_minor;          /* BB_ABI_MINOR at build time */
  uint32_t kind;               /* BB_KIND_*; 0 is invalid */
  const char* name;            /* unique dotted id "<kind>.<impl>", e.g. "storage.local" */
  const char* version;         /* the plugin's own semantic version */
  const char* description;     /* one line */
  const char* config_schema;   /* JSON Schema (draft-07) of the plugin's YAML `config:` block */
  const char* instance_schema; /* JSON Schema of one instance's settings */

  /* Makes one instance. `config_json` is the plugin's validated config block (with schema defaults
   * applied) and `settings_json` the instance's validated settings; both borrowed for the call.
   * `host` and `ctx` stay valid until `destroy(instance)` returns. Called on the host's main
   * thread. On success writes the instance to *out_instance and returns BB_OK. Return
   * BB_ERR_INVALID_ARGUMENT when what the operator gave (settings, environment) is not acceptable:
   * for a required plugin the server then exits with 2 (configuration), for any other code with 3. */
  int32_t (*create)(const bb_host_api* host, bb_host_ctx* ctx, const char* config_json, size_t config_len,
                    const char* settings_json, size_t settings_len, void** out_instance, bb_error* err);
  /* Frees an instance. For printer drivers the host calls ops->stop first. Called on the host's main
   * thread after every subscription of the instance is dropped and no op of it is running. */
  void (*destroy)(void* instance);

  /* Points to the kind's table: bb_printer_driver_ops, bb_auth_ops, bb_storage_ops or
   * bb_notifier_ops. Static; lives as long as the library is loaded. */
  const void* ops;
} bb_plugin_descriptor;

/* The entry point. Must be side-effect free: it may be called several times (e.g. by
 * `bambuddy --list-plugins`) without any instance being created. Returns a static descriptor that
 * lives as long as the library is loaded, or NULL when the plugin cannot run on the given host
 * version. */
typedef const bb_plugin_descriptor* (*bb_plugin_query_fn)(uint32_t host_abi_major, uint32_t host_abi_minor);

#ifdef __cplusplus
}
#endif

#endif /* BAMBUDDY_ABI_H */
