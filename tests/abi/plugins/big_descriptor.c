/* A descriptor from a future ABI with fields this host does not know: struct_size larger than the
 * host's sizeof(bb_plugin_descriptor): refused. */
#include "test_plugin.h"
typedef struct {
  bb_plugin_descriptor base;
  const char* future_field;
  uint64_t future_flags;
} future_descriptor;
TP_DESCRIPTOR(base_descriptor, sizeof(future_descriptor), BB_ABI_MAJOR, BB_ABI_MINOR, "abi.big_descriptor");
static future_descriptor descriptor;
BB_EXPORT const bb_plugin_descriptor* bb_plugin_query(uint32_t major, uint32_t minor) {
  (void)major;
  (void)minor;
  descriptor.base = base_descriptor;
  descriptor.future_field = "from the future";
  descriptor.future_flags = 1;
  return &descriptor.base;
}
