// Secrets the core makes for providers (Standard Webhooks signing keys), so an operator never has
// to invent one: a plugin marks the setting in its instance schema with
// "x-bambuddy-generate": "whsec". The value is shown once, in the answer that created it.
#pragma once

#include <string>
#include <vector>

namespace bambuddy::notifications {

// Top-level settings of `schema_text` marked "x-bambuddy-generate": "whsec". For type "webhook"
// with no marked property, "secret" when the schema has it (plugins written before the marker).
std::vector<std::string> generatedSecretFields(const std::string& schema_text, const std::string& type);

// True when the schema's top level declares property `name`.
bool schemaHasProperty(const std::string& schema_text, const std::string& name);

// "whsec_" + standard base64 of 32 bytes from OpenSSL RAND_bytes. Throws std::runtime_error when
// the random generator fails.
std::string generateWebhookSecret();

// "evt_" + 24 lowercase hex digits (96 random bits), the bus's event id form.
std::string newEventId();

} // namespace bambuddy::notifications
