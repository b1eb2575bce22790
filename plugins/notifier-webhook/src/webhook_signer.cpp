#include "webhook_signer.h"

#include "text/base64.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include <memory>
#include <stdexcept>

namespace bambuddy::notifier_webhook {
namespace {

constexpr std::string_view kPrefix = "whsec_";

struct MacDeleter {
  void operator()(EVP_MAC* m) const { EVP_MAC_free(m); }
};
struct MacCtxDeleter {
  void operator()(EVP_MAC_CTX* c) const { EVP_MAC_CTX_free(c); }
};

} // namespace

std::optional<std::string> decodeWebhookSecret(std::string_view secret, std::string* why) {
  auto fail = [why](std::string text) -> std::optional<std::string> {
    if (why != nullptr) {
      *why = std::move(text);
    }
    return std::nullopt;
  };
  if (secret.substr(0, kPrefix.size()) != kPrefix) {
    return fail("must start with 'whsec_' (a Standard Webhooks secret)");
  }
  std::optional<std::string> key = common::text::base64Decode(secret.substr(kPrefix.size()));
  if (!key) {
    return fail("must be 'whsec_' followed by standard base64 (A-Z, a-z, 0-9, '+', '/', '=' padding)");
  }
  if (key->size() < kMinSecretBytes || key->size() > kMaxSecretBytes) {
    return fail("must decode to " + std::to_string(kMinSecretBytes) + " to " +
                std::to_string(kMaxSecretBytes) + " bytes, got " + std::to_string(key->size()));
  }
  return key;
}

std::string webhookSignature(std::string_view key, std::string_view message_id, int64_t timestamp_s,
                             std::string_view body) {
  std::unique_ptr<EVP_MAC, MacDeleter> mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
  if (!mac) {
    throw std::runtime_error("OpenSSL has no HMAC");
  }
  std::unique_ptr<EVP_MAC_CTX, MacCtxDeleter> ctx(EVP_MAC_CTX_new(mac.get()));
  char digest_name[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
                         OSSL_PARAM_construct_end()};
  const std::string timestamp = std::to_string(timestamp_s);
  // The signed content is fed in pieces so a large body is never copied.
  const std::string_view pieces[] = {message_id, ".", timestamp, ".", body};
  bool ok = ctx && EVP_MAC_init(ctx.get(), reinterpret_cast<const unsigned char*>(key.data()), key.size(),
                                params) == 1;
  for (std::string_view piece : pieces) {
    ok = ok &&
         EVP_MAC_update(ctx.get(), reinterpret_cast<const unsigned char*>(piece.data()), piece.size()) == 1;
  }
  unsigned char out[EVP_MAX_MD_SIZE];
  size_t out_len = 0;
  ok = ok && EVP_MAC_final(ctx.get(), out, &out_len, sizeof out) == 1;
  if (!ok) {
    throw std::runtime_error("HMAC-SHA256 failed");
  }
  return "v1," + common::text::base64Encode(std::string_view(reinterpret_cast<const char*>(out), out_len));
}

} // namespace bambuddy::notifier_webhook
