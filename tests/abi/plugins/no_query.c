/* Exports a descriptor under another symbol name, but no bb_plugin_query: refused. */
#include "test_plugin.h"
TP_DESCRIPTOR(descriptor, sizeof(bb_plugin_descriptor), BB_ABI_MAJOR, BB_ABI_MINOR, "abi.no_query");
BB_EXPORT const bb_plugin_descriptor* bb_plugin_query_v2(uint32_t major, uint32_t minor) {
  (void)major;
  (void)minor;
  return &descriptor;
}
