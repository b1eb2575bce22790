#include "app/archive_images.h"

#include "archives/archive_service.h"

#include <bambuddy/fd_io.hpp>

#include <unistd.h>

namespace bambuddy::app {

notifications::ImageSource archiveImages(archives::ArchiveService& archives) {
  return [&archives](const std::string& event, const nlohmann::json& data,
                     int64_t max_bytes) -> std::vector<notifications::NotificationImage> {
    if (event.rfind("print_", 0) != 0 || !data.is_object()) {
      return {};
    }
    const auto id = data.find("archive_id");
    if (id == data.end() || !id->is_number_integer()) {
      return {};
    }
    archives::ArchiveRecord record = archives.get(id->get<int64_t>());
    // A print started from an archive keeps its file (and thumbnail) in that archive.
    if (!record.thumbnail_key && record.source_archive_id) {
      record = archives.get(*record.source_archive_id);
    }
    if (!record.thumbnail_key) {
      return {}; // a print's 3MF may arrive after its start: the later notifications get it
    }
    // Read from the descriptor where the store offers one: its size comes first, so a thumbnail
    // over the cap is never read into memory, and the blob is opened once.
    std::string bytes;
    if (auto file = archives.openBlob(*record.thumbnail_key)) {
      const bool fits = file->size <= static_cast<uint64_t>(max_bytes);
      if (fits) {
        bytes.resize(static_cast<size_t>(file->size));
      }
      const bool read = fits && sdk::preadAll(file->fd, bytes.data(), bytes.size());
      ::close(file->fd);
      if (!read) {
        return {};
      }
    } else {
      bytes = archives.blob(*record.thumbnail_key);
    }
    if (bytes.empty() || bytes.size() > static_cast<uint64_t>(max_bytes)) {
      return {};
    }
    return {notifications::NotificationImage{"thumbnail", "thumbnail.png", "image/png", std::move(bytes)}};
  };
}

} // namespace bambuddy::app
