/* Two different files declaring the same plugin name (with dup_a.c): the second is refused. */
#include "test_plugin.h"
TP_DESCRIPTOR(descriptor, sizeof(bb_plugin_descriptor), BB_ABI_MAJOR, BB_ABI_MINOR, "abi.dup");
BB_EXPORT const bb_plugin_descriptor* bb_plugin_query(uint32_t major, uint32_t minor) {
  (void)major;
  (void)minor;
  return &descriptor;
}
