// The entry point of bb_printer_bambu.so: the descriptor and ABI trampolines for BambuPrinter.
#include "bambu_printer.h"

BAMBUDDY_PLUGIN(bambuddy::printer_bambu::BambuPrinter)
