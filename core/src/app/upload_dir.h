// The directory where the HTTP layer writes upload bodies before a handler takes them.
#pragma once

#include <string>

namespace bambuddy {
class Logger;
}

namespace bambuddy::app {

// Makes <data_dir>/tmp (mode 0700) and removes upload files a killed process left there. Returns
// the directory. Throws std::runtime_error naming the path when it cannot be made.
std::string prepareUploadDir(const std::string& data_dir, Logger& logger);

} // namespace bambuddy::app
