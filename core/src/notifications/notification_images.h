// Images that go with a notification (ABI 0.6 attachments): for print events, the print's
// thumbnail from its archive. The notifications area only asks for them through ImageSource; the
// app answers from the archives, so this area needs no archive code.
#pragma once

#include <bambuddy/abi.h>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace bambuddy::notifications {

struct NotificationImage {
  std::string role;         // "thumbnail" or "finish_photo"
  std::string filename;     // "thumbnail.png"
  std::string content_type; // "image/png" or "image/jpeg"
  std::string bytes;
};

// The images of one notification, from its event name and data; none when there are none, when
// one is larger than `max_bytes`, or when looking failed (a missing image never holds a delivery
// back). Called on a delivery worker thread: it may read storage.
using ImageSource = std::function<std::vector<NotificationImage>(
    const std::string& event, const nlohmann::json& data, int64_t max_bytes)>;

// The ABI view of `images`, borrowing their strings: valid while `images` lives unchanged.
std::vector<bb_attachment> borrowAttachments(const std::vector<NotificationImage>& images);

} // namespace bambuddy::notifications
