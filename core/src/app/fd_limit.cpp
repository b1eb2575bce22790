#include "app/fd_limit.h"

#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace bambuddy::app {

FdLimit raiseOpenFileLimit() {
  // Unlimited is not a value the kernel takes for RLIMIT_NOFILE (fs.nr_open caps it).
  constexpr rlim_t kCeiling = 1048576;
  FdLimit result;
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    result.error = std::string("getrlimit: ") + std::strerror(errno);
    return result;
  }
  result.before = result.after = limit.rlim_cur;
  const rlim_t target = std::min(limit.rlim_max, kCeiling);
  if (limit.rlim_cur >= target) {
    return result;
  }
  rlimit raised = limit;
  raised.rlim_cur = target;
  if (::setrlimit(RLIMIT_NOFILE, &raised) != 0) {
    result.error = std::string("setrlimit: ") + std::strerror(errno);
    return result;
  }
  result.after = target;
  return result;
}

} // namespace bambuddy::app
