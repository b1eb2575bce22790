// Standard Webhooks signing (https://www.standardwebhooks.com): the receiver checks
//   webhook-signature: v1,<base64 of HMAC-SHA256(key, "<webhook-id>.<webhook-timestamp>.<body>")>
// where the key is the bytes encoded after "whsec_" in the shared secret.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bambuddy::notifier_webhook {

inline constexpr size_t kMinSecretBytes = 24;
inline constexpr size_t kMaxSecretBytes = 64;

// The key bytes of a "whsec_<base64>" secret, or nullopt with `why` set to a phrase that never
// contains the secret, e.g. "must decode to 24 to 64 bytes, got 16".
std::optional<std::string> decodeWebhookSecret(std::string_view secret, std::string* why);

// "v1,<base64 signature>" for one message.
std::string webhookSignature(std::string_view key, std::string_view message_id, int64_t timestamp_s,
                             std::string_view body);

} // namespace bambuddy::notifier_webhook
