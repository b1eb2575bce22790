// The entry point of bb_notifier_telegram.so: the descriptor and ABI trampolines for TelegramNotifier.
#include "telegram_notifier.h"

BAMBUDDY_PLUGIN(bambuddy::notifier_telegram::TelegramNotifier)
