#include "notifications/notification_images.h"

namespace bambuddy::notifications {

std::vector<bb_attachment> borrowAttachments(const std::vector<NotificationImage>& images) {
  std::vector<bb_attachment> out;
  out.reserve(images.size());
  for (const NotificationImage& image : images) {
    if (image.bytes.empty()) {
      continue;
    }
    bb_attachment a{};
    a.struct_size = sizeof a;
    a.role = image.role.c_str();
    a.filename = image.filename.c_str();
    a.content_type = image.content_type.c_str();
    a.data = reinterpret_cast<const uint8_t*>(image.bytes.data());
    a.len = image.bytes.size();
    out.push_back(a);
  }
  return out;
}

} // namespace bambuddy::notifications
