#include "event_out.h"

#include <cerrno>
#include <unistd.h>

namespace bambusim {

void EventOut::emit(const std::string& line) {
  std::string text = line;
  for (char& c : text) {
    if (c == '\n' || c == '\r') {
      c = ' '; // one event, one line
    }
  }
  text += '\n';
  std::lock_guard<std::mutex> lock(mutex_);
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = write(STDOUT_FILENO, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return; // nobody reads stdout any more: events are best effort
    }
    done += static_cast<size_t>(n);
  }
}

} // namespace bambusim
