/* Built against another major version: refused. */
#include "test_plugin.h"
TP_DESCRIPTOR(descriptor, sizeof(bb_plugin_descriptor), BB_ABI_MAJOR + 1, 0, "abi.other_major");
BB_EXPORT const bb_plugin_descriptor* bb_plugin_query(uint32_t major, uint32_t minor) {
  (void)major;
  (void)minor;
  return &descriptor;
}
