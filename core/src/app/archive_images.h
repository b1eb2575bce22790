// The images of print notifications: the print's thumbnail, read from its archive's storage. Kept
// in the app because it joins two areas (archives and notifications) that know nothing of each other.
#pragma once

#include "notifications/notification_images.h"

namespace bambuddy::archives {
class ArchiveService;
}

namespace bambuddy::app {

// An ImageSource answering events named print_* whose data carries an archive_id with a stored
// thumbnail (PNG) of at most max_bytes: the print's own, or that of the archive it was started
// from. `archives` must outlive the source.
notifications::ImageSource archiveImages(archives::ArchiveService& archives);

} // namespace bambuddy::app
