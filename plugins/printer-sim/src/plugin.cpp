// The entry point of bb_printer_sim.so: the descriptor and ABI trampolines for SimDriver.
#include "sim_driver.h"

BAMBUDDY_PLUGIN(bambuddy::printer_sim::SimDriver)
