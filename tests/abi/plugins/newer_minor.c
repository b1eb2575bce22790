/* Built against a minor version newer than the host's: refused. */
#include "test_plugin.h"
TP_DESCRIPTOR(descriptor, sizeof(bb_plugin_descriptor), BB_ABI_MAJOR, BB_ABI_MINOR + 1, "abi.newer_minor");
BB_EXPORT const bb_plugin_descriptor* bb_plugin_query(uint32_t major, uint32_t minor) {
  (void)major;
  (void)minor;
  return &descriptor;
}
