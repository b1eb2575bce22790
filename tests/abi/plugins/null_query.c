/* bb_plugin_query declines every host by returning NULL: refused. */
#include <bambuddy/abi.h>
#include <stddef.h>
BB_EXPORT const bb_plugin_descriptor* bb_plugin_query(uint32_t major, uint32_t minor) {
  (void)major;
  (void)minor;
  return NULL;
}
