// The entry point of bb_notifier_matrix.so: the descriptor and ABI trampolines for MatrixNotifier.
#include "matrix_notifier.h"

BAMBUDDY_PLUGIN(bambuddy::notifier_matrix::MatrixNotifier)
